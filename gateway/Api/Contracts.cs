using System.Text.Json.Serialization;

namespace Ledger.Gateway.Api;

// The wire contract of docs/rest-api.md and docs/contract.md. Request types use nullable members so a missing field is
// told apart from a zero and named in a 400; response types are exactly what the endpoints send (the generated
// OpenAPI document is built from them).

/// <summary>Body of <c>POST /v1/accounts/{branch}/{account}/batches</c>.</summary>
public sealed class EntryBatchRequest
{
    /// <summary>1 to 1 000 entries, applied atomically in this order.</summary>
    public List<EntryRequestBody>? Entries { get; set; }
}

/// <summary>One entry as a partner sends it. Which fields apply depends on <see cref="EntryKind"/>.</summary>
public sealed class EntryRequestBody
{
    /// <summary>ledger | blocking | unblocking | reversal | removal.</summary>
    public string? EntryKind { get; set; }
    /// <summary>1-64 characters of [A-Za-z0-9._:-]; unique within the account, forever.</summary>
    public string? CorrelationId { get; set; }
    /// <summary>At most 256 characters.</summary>
    public string? Description { get; set; }
    /// <summary>History code (ledger and blocking only; follow-up kinds take the referenced entry's).</summary>
    public int? EntryType { get; set; }
    /// <summary>Required for ledger and blocking; optional for unblocking (default: all that remains held).</summary>
    public AmountBody? Amount { get; set; }
    /// <summary>reversal: correlationId of the POSTED ledger entry to reverse.</summary>
    public string? Reverses { get; set; }
    /// <summary>unblocking: correlationId of the PENDING hold to release.</summary>
    public string? Unblocks { get; set; }
    /// <summary>removal: correlationId of the PENDING hold to remove.</summary>
    public string? Removes { get; set; }
    /// <summary>blocking only: ISO-8601 instant with an offset; the rest of the hold is released when the ledger's clock passes it.</summary>
    public string? ExpiresAt { get; set; }
}

/// <summary>An amount in minor units of its currency ($50.00 is 5000 USD).</summary>
public sealed class AmountBody
{
    /// <summary>Positive whole number of minor units.</summary>
    public long? Value { get; set; }
    /// <summary>ISO-4217 code, upper case.</summary>
    public string? Currency { get; set; }
    /// <summary>Optional guard: if present it must equal the currency's minor-unit digits (USD 2, JPY 0, BHD 3).</summary>
    public int? Scale { get; set; }
}

/// <summary>Body of <c>POST /v1/transaction-bundles</c>.</summary>
public sealed class TransactionBundleRequest
{
    /// <summary>Idempotency key of the whole bundle (same rules as a correlationId).</summary>
    public string? BundleId { get; set; }
    /// <summary>1 to 100 legs, one per account; 1 000 entries over all legs at most.</summary>
    public List<BundleLegRequest>? Legs { get; set; }
}

/// <summary>The entries of one account in a bundle.</summary>
public sealed class BundleLegRequest
{
    public int? Branch { get; set; }
    public long? Account { get; set; }
    public List<EntryRequestBody>? Entries { get; set; }
}

/// <summary>Body of <c>POST /v1/accounts</c>, and one line of a bulk import.</summary>
public sealed class OpenAccountRequest
{
    public int? Branch { get; set; }
    public long? Account { get; set; }
    /// <summary>ISO-4217 code, fixed for the account's life.</summary>
    public string? Currency { get; set; }
    /// <summary>Minor units AVAILABLE may go below zero for codes that may overdraw; default 0.</summary>
    public long? OverdraftLimit { get; set; }
}

// ---------------- responses ----------------

/// <summary>An entry's status.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EntryStatusName>))]
public enum EntryStatusName
{
    [JsonStringEnumMemberName("POSTED")] Posted = 1,
    [JsonStringEnumMemberName("PENDING")] Pending = 2,
    [JsonStringEnumMemberName("EXPIRED")] Expired = 3,
    [JsonStringEnumMemberName("RELEASED")] Released = 4,
    [JsonStringEnumMemberName("REMOVED")] Removed = 5,
}

/// <summary>The kind of an entry.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EntryKindName>))]
public enum EntryKindName
{
    [JsonStringEnumMemberName("ledger")] Ledger = 1,
    [JsonStringEnumMemberName("blocking")] Blocking = 2,
    [JsonStringEnumMemberName("unblocking")] Unblocking = 3,
    [JsonStringEnumMemberName("reversal")] Reversal = 4,
    [JsonStringEnumMemberName("removal")] Removal = 5,
}

/// <summary>A balance type.</summary>
/// <summary>Which way an entry moves the account's available balance (the history code's direction; the other way for what undoes an entry).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DirectionName>))]
public enum DirectionName
{
    [JsonStringEnumMemberName("DEBIT")] Debit = 1,
    [JsonStringEnumMemberName("CREDIT")] Credit = 2,
}

[JsonConverter(typeof(JsonStringEnumConverter<BalanceTypeName>))]
public enum BalanceTypeName
{
    [JsonStringEnumMemberName("AVAILABLE")] Available = 1,
    [JsonStringEnumMemberName("HELD")] Held = 2,
}

/// <summary>An amount in minor units.</summary>
public sealed record AmountResponse(long Value, string Currency);

/// <summary>One balance of an account.</summary>
public sealed record BalanceResponse(BalanceTypeName Type, long Value, string Currency);

/// <summary>
/// What the ledger answered for one entry of a batch. A fee entry the ledger posted with an entry (issue 16: its code's
/// <c>fee</c> rule; or the reversal of that fee with the entry's reversal) follows the requested entries, with the derived
/// correlationId <c>&lt;id&gt;:fee</c> and <see cref="FeeOf"/> naming the entry that carried it.
/// </summary>
public sealed record EntryResponse(
    string CorrelationId,
    int EntryType,
    DirectionName Direction,
    EntryStatusName Status,
    long Sequence,
    DateTime Timestamp,
    DateOnly AsOfDate,
    AmountResponse Amount,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FeeOf = null);

/// <summary>201 of <c>POST …/batches</c>: one answer per entry, and the account's balances after the batch.</summary>
public sealed record EntryBatchGroupResponse(EntryResponse[] Entries, BalanceResponse[] Balances);

/// <summary>One leg of a committed bundle.</summary>
public sealed record BundleLegResponse(int Branch, long Account, EntryResponse[] Entries, BalanceResponse[] Balances);

/// <summary>201 of <c>POST /v1/transaction-bundles</c>.</summary>
public sealed record TransactionBundleResponse(string BundleId, BundleLegResponse[] Legs);

/// <summary><c>GET …/balances</c>.</summary>
public sealed record AccountBalancesResponse(int Branch, long Account, BalanceResponse[] Balances);

/// <summary>An account (201 of <c>POST /v1/accounts</c>, <c>GET /v1/accounts/{branch}/{account}</c>).</summary>
public sealed record AccountResponse(int Branch, long Account, string Currency, long OverdraftLimit, DateTime OpenedAt, BalanceResponse[] Balances);

/// <summary>200 of <c>POST /v1/accounts/import</c>.</summary>
public sealed record AccountImportResponse(int Lines, int Opened, int AlreadyOpen);

/// <summary>One entry of a statement, with its current status.</summary>
public sealed record StatementEntryResponse
{
    /// <summary>The entry's account, in the whole-ledger statement only (an account's statement names it once, above).</summary>
    public int? Branch { get; init; }
    public long? Account { get; init; }
    public required string CorrelationId { get; init; }
    public required int EntryType { get; init; }
    public required EntryKindName EntryKind { get; init; }
    /// <summary>Which way it moved the available balance; amounts are always positive.</summary>
    public DirectionName? Direction { get; init; }
    public required AmountResponse Amount { get; init; }
    /// <summary>Current status (a hold reads RELEASED, REMOVED or EXPIRED once it is).</summary>
    public required EntryStatusName Status { get; init; }
    public required DateOnly AsOfDate { get; init; }
    public required long Sequence { get; init; }
    public required DateTime Timestamp { get; init; }
    public string? Description { get; init; }
    /// <summary>correlationId of the reversal, when this entry was reversed.</summary>
    public string? ReversedBy { get; init; }
    public string? Reverses { get; init; }
    public string? Unblocks { get; init; }
    public string? Removes { get; init; }
    public DateTime? ExpiresAt { get; init; }
}

/// <summary>
/// <c>GET /v1/entries</c> and <c>/v2/entries</c>: oldest first; <see cref="NextCursor"/> is absent on the last page.
/// <see cref="Branch"/> and <see cref="Account"/> name the account of an account's statement and are absent from the
/// whole-ledger statement, whose entries name theirs.
/// </summary>
public sealed record StatementResponse(int? Branch, long? Account, StatementEntryResponse[] Entries, string? NextCursor);

/// <summary>A history code as <c>GET /v1/history-codes</c> lists it.</summary>
public sealed record HistoryCodeResponse(int Code, string Name, DirectionName Direction, string Domain, EntryKindName[] AllowedKinds, bool MayOverdraw, HistoryRuleResponse[] Rules);

/// <summary>A rule of a history code: its name (as a <c>rule-declined</c> Problem names it) and value, as the catalog file spells them.</summary>
public sealed record HistoryRuleResponse(string Name, string Value);

/// <summary>Rules of a whole domain (they judge every code of the domain after the code's own).</summary>
public sealed record DomainRulesResponse(string Domain, HistoryRuleResponse[] Rules);

/// <summary>
/// 200 of <c>GET /v1/history-codes</c> (and of <c>PUT</c>): the catalog the ledger runs, by code, with its domains'
/// rules; <see cref="Version"/> counts the catalogs the ledger installed (1 = its first), in force from entry sequence
/// <see cref="Since"/>; <see cref="PromotedBy"/> is the client that promoted it (null: the catalog file).
/// </summary>
public sealed record HistoryCodesResponse(HistoryCodeResponse[] Codes, DomainRulesResponse[] Domains, int Version, long Since, string? PromotedBy);

/// <summary>
/// Body of <c>POST /v1/simulations</c>: the candidate catalog (the catalog file's format) and an optional window
/// (ISO-8601; commands before <see cref="From"/> replay as decided, under the catalogs then in force).
/// </summary>
public sealed record SimulationRequest(System.Text.Json.JsonElement? Catalog, string? From, string? To);

/// <summary>How far a simulation is: the phase (baseline: the journal as decided; candidate: under the candidate), records read, and the fraction of both done.</summary>
public sealed record SimulationProgressResponse(string Phase, long Records, double Fraction);

/// <summary>
/// A simulation: <see cref="Status"/> running, done, failed or cancelled; <see cref="UntilRecord"/> the last journal record
/// it reads; <see cref="Summary"/> once done, the replay-tool's <c>summary.json</c> for the same journal and window.
/// </summary>
public sealed record SimulationResponse(string Id, string Status, DateTime StartedAt, DateTime? FinishedAt, long UntilRecord,
    SimulationProgressResponse Progress, System.Text.Json.JsonElement? Summary, string? Error);
