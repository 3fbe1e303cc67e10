using System.Globalization;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Gateway.Problems;
using Ledger.ReadSide;

namespace Ledger.Gateway.Edge;

/// <summary>
/// The ledger's declines as refusals, for every door. Everything here is a function of the request and of what the
/// engine wrote into the command (Result, EntryResults), both identical for an idempotent replay, so a replay gets the
/// first answer byte for byte. Nothing reads current state (no balance in a decline's detail).
/// </summary>
internal static class Declines
{
    /// <summary>The decline of a batch or bundle the ledger refused. <paramref name="legStarts"/> maps a bundle's flat entry index to its leg.</summary>
    public static Refusal Of(LedgerCommand command, HistoryCatalog catalog, int[]? legStarts = null)
    {
        var result = command.Result;
        var kind = ProblemTypes.Of(result.Code);
        int index = result.EntryIndex;
        int? legIndex = null;
        int? entryIndex = index >= 0 ? index : null;
        if (legStarts is not null && index >= 0)
        {
            int leg = 0;
            while (leg + 1 < legStarts.Length && legStarts[leg + 1] <= index) leg++;
            legIndex = leg;
            entryIndex = index - legStarts[leg];
        }
        string where = index < 0 ? "" : EntryMapper.Where(legIndex ?? -1, entryIndex ?? 0) + ": ";
        string detail;
        string[]? fields = null;
        if (index < 0 || index >= command.EntryCount)
        {
            detail = result.Code switch
            {
                ResultCode.AccountNotFound => "The account does not exist; open it with POST /v1/accounts first.",
                ResultCode.IdempotencyConflict => "The bundleId was used before with a different payload.",
                _ => kind.Title + ".",
            };
            if (result.Code == ResultCode.IdempotencyConflict) fields = ConflictNames(result.Conflicts, EntryKind.Ledger);
            return Refusal.Decline(kind, detail, entryIndex, legIndex, result.Rule, fields);
        }
        ref var e = ref command.Entries[index];
        string reference = $"'{e.Reference}'";
        string amount = e.HasAmount ? $"{e.AmountMinor.ToString(CultureInfo.InvariantCulture)} {(e.Currency.IsNone ? "" : CurrencyNames.Of(e.Currency))}".TrimEnd() : "";
        switch (result.Code)
        {
            case ResultCode.AccountNotFound:
                detail = $"{where}account {e.Account} does not exist; open it with POST /v1/accounts first.";
                break;
            case ResultCode.DomainNotPermitted:
                string? domain = e.EntryType >= 0 ? catalog.Find(e.EntryType)?.Domain : null;
                detail = domain is null
                    ? $"{where}the entry refers to {reference}, whose history code is in a domain this partner's token does not grant."
                    : $"{where}history code {e.EntryType} is in domain '{domain}'; the token needs scope domain:{domain} (or domain:*).";
                break;
            case ResultCode.IdempotencyConflict:
                fields = ConflictNames(result.Conflicts, e.Kind);
                detail = $"{where}correlationId '{e.CorrelationId}' was used before with a different payload; differing: {string.Join(", ", fields)}" +
                         (result.Conflicts.HasFlag(ConflictFields.Batch) ? " (batch: the id belongs to another batch, another position in it, or a batch of another size). " : ". ") +
                         "A new attempt takes a new correlationId.";
                break;
            case ResultCode.UnknownHistoryCode:
                detail = $"{where}history code {e.EntryType} is not in the catalog.";
                break;
            case ResultCode.RuleDeclined:
                detail = result.Rule == "allowedKinds"
                    ? $"{where}history code {e.EntryType} does not allow {WireNames.Kind(e.Kind)} entries (rule allowedKinds)."
                    : $"{where}rule '{result.Rule}' of history code {e.EntryType} declined {amount}.";
                break;
            case ResultCode.ReferenceNotFound:
                detail = $"{where}no entry {reference} on account {e.Account} to {Verb(e.Kind)}.";
                break;
            case ResultCode.NotReversible:
                detail = $"{where}{reference} is not a POSTED ledger entry (holds are undone by unblocking or removal; reversals are final).";
                break;
            case ResultCode.AlreadyReversed:
                detail = $"{where}{reference} was already reversed; an entry is reversed at most once.";
                break;
            case ResultCode.EntryNotPending:
                detail = $"{where}{reference} is not PENDING (it was posted, released, removed or it expired).";
                break;
            case ResultCode.CurrencyMismatch:
                detail = $"{where}currency {CurrencyNames.Of(e.Currency)} is not the currency of account {e.Account}.";
                break;
            case ResultCode.UnblockExceedsHeld:
                detail = $"{where}{amount} is more than hold {reference} still holds.";
                break;
            case ResultCode.AmountOverflow:
                detail = $"{where}the entry would take account {e.Account}'s balances out of the representable range.";
                break;
            case ResultCode.InsufficientFunds:
                detail = $"{where}AVAILABLE on account {e.Account} does not cover this entry ({(amount.Length > 0 ? amount : "the referenced amount")}).";
                break;
            case ResultCode.ReferenceMismatch:
            {
                // The referenced entry's values are in the failing entry's result (the engine wrote them there, and a replay writes them again).
                ref var referenced = ref command.EntryResults[index];
                bool type = result.Conflicts.HasFlag(ConflictFields.EntryType);
                fields = [type ? "entryType" : "amount.value"];
                detail = type
                    ? $"{where}entryType {e.EntryType.ToString(CultureInfo.InvariantCulture)} is not the entryType of {reference} ({referenced.EntryType.ToString(CultureInfo.InvariantCulture)}); send it or leave it out."
                    : $"{where}amount.value {e.AmountMinor.ToString(CultureInfo.InvariantCulture)} is not the amount of {reference} ({referenced.AmountMinor.ToString(CultureInfo.InvariantCulture)} {CurrencyNames.Of(referenced.Currency)}); a {WireNames.Kind(e.Kind)} takes the whole entry.";
                if (e.EntryType == int.MinValue) detail = $"{where}entryType is negative, never the entryType of {reference} ({referenced.EntryType.ToString(CultureInfo.InvariantCulture)}).";
                break;
            }
            case ResultCode.OpenHoldsLimit:
                detail = $"{where}the ledger already keeps its configured maximum of open holds (Ledger:Memory:OpenHoldsMax); retry once holds are released, removed or expire.";
                break;
            case ResultCode.InvalidCommand:
                detail = $"{where}the entry is not valid (duplicate correlationId within the request, a field out of range, or a correlationId longer than {FeeIds.CarrierIdLengthMax} characters on an entry that posts a fee: its fee's id <id>:fee must fit {Ledger.Engine.Limits.CorrelationIdLengthMax}).";
                break;
            default:
                detail = $"{where}{kind.Title}.";
                break;
        }
        return Refusal.Decline(kind, detail, entryIndex, legIndex, result.Rule, fields);
    }

    /// <summary>The decline of a removal of a pending entry (REST DELETE, Kafka REMOVE_ENTRY), worded as the batch declines above.</summary>
    public static Refusal Removal(LedgerCommand command)
    {
        var kind = ProblemTypes.Of(command.Result.Code);
        string id = $"'{command.TargetCorrelationId}'";
        var account = command.TargetAccount;
        string detail = command.Result.Code switch
        {
            ResultCode.AccountNotFound => $"Account {account} does not exist; open it with POST /v1/accounts first.",
            ResultCode.EntryNotFound => $"No entry {id} on account {account}.",
            ResultCode.EntryNotPending => $"Entry {id} is not PENDING (it was posted, released, removed or it expired); reverse a posted entry instead.",
            ResultCode.DomainNotPermitted => $"Entry {id} has a history code in a domain this partner's token does not grant.",
            _ => kind.Title + ".",
        };
        return Refusal.Decline(kind, detail);
    }

    /// <summary>The refusal of an account opening (REST POST /v1/accounts, Kafka OPEN_ACCOUNT); not replayed: an opening has no idempotency key.</summary>
    public static Refusal Opening(LedgerCommand command)
    {
        var code = command.Result.Code;
        return code == ResultCode.AccountExists
            ? new Refusal(ProblemTypes.AccountExists, $"Account {command.Openings[0].Account} already exists.")
            : new Refusal(ProblemTypes.Of(code), $"The account cannot be opened: {ProblemTypes.Of(code).Title}.");
    }

    private static string Verb(EntryKind kind) => kind switch
    {
        EntryKind.Reversal => "reverse",
        EntryKind.Unblocking => "unblock",
        EntryKind.Removal => "remove",
        _ => "reference",
    };

    /// <summary>Request field names of the conflict flags (docs/contract.md section 3: the 409 names the fields that differ).</summary>
    public static string[] ConflictNames(ConflictFields conflicts, EntryKind kind)
    {
        var names = new List<string>(4);
        if (conflicts.HasFlag(ConflictFields.EntryKind)) names.Add("entryKind");
        if (conflicts.HasFlag(ConflictFields.EntryType)) names.Add("entryType");
        if (conflicts.HasFlag(ConflictFields.Amount)) names.Add("amount.value");
        if (conflicts.HasFlag(ConflictFields.Currency)) names.Add("amount.currency");
        if (conflicts.HasFlag(ConflictFields.Description)) names.Add("description");
        if (conflicts.HasFlag(ConflictFields.Reference)) names.Add(EntryMapper.ReferenceField(kind));
        if (conflicts.HasFlag(ConflictFields.ExpiresAt)) names.Add("expiresAt");
        if (conflicts.HasFlag(ConflictFields.Account)) names.Add("account");
        if (conflicts.HasFlag(ConflictFields.Batch)) names.Add("batch");
        return [.. names];
    }
}
