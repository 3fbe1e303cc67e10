using Ledger.Engine.Commands;

namespace Ledger.Gateway.Problems;

/// <summary>What a Problem says for one reason: status, stable type URI, title.</summary>
public sealed record ProblemKind(int Status, string Type, string Title)
{
    /// <summary>The last segment of <see cref="Type"/>, used as the metrics label.</summary>
    public string Reason { get; } = Type[(Type.LastIndexOf('/') + 1)..];
}

/// <summary>
/// The one table mapping reasons to Problems. Engine result codes map through <see cref="Of(ResultCode)"/>;
/// refusals of the edge (validation, auth, limits) use the named kinds below.
/// </summary>
public static class ProblemTypes
{
    /// <summary>Base of every Problem type URI. Stable: partners switch on these.</summary>
    public const string Base = "https://ledger.example/problems/";

    public static readonly ProblemKind Validation = new(400, Base + "validation", "The request is not valid");
    public static readonly ProblemKind MalformedJson = new(400, Base + "malformed-json", "The body is not the JSON this endpoint takes");
    public static readonly ProblemKind Unauthorized = new(401, Base + "unauthorized", "A valid bearer token is required");
    public static readonly ProblemKind InsufficientScope = new(403, Base + "insufficient-scope", "The token lacks a scope this operation needs");
    public static readonly ProblemKind DomainNotPermitted = new(403, Base + "domain-not-permitted", "The partner may not post in this domain");
    public static readonly ProblemKind AccountNotFound = new(404, Base + "account-not-found", "The account does not exist");
    public static readonly ProblemKind EntryNotFound = new(404, Base + "entry-not-found", "No entry has this correlationId on the account");
    public static readonly ProblemKind NotFound = new(404, Base + "not-found", "No such resource");
    public static readonly ProblemKind MethodNotAllowed = new(405, Base + "method-not-allowed", "The method is not allowed on this resource");
    public static readonly ProblemKind IdempotencyConflict = new(409, Base + "idempotency-conflict", "The id was used before with a different payload");
    public static readonly ProblemKind AccountExists = new(409, Base + "account-exists", "The account already exists");
    public static readonly ProblemKind PayloadTooLarge = new(413, Base + "payload-too-large", "The body is larger than this endpoint accepts");
    public static readonly ProblemKind UnsupportedMediaType = new(415, Base + "unsupported-media-type", "The body's content type is not accepted here");
    public static readonly ProblemKind TooManyRequests = new(429, Base + "rate-limited", "The partner's request rate is over its limit");
    public static readonly ProblemKind Internal = new(500, Base + "internal", "The ledger failed to answer");
    public static readonly ProblemKind NotReady = new(503, Base + "not-ready", "The ledger is starting, stopping or recovering");
    public static readonly ProblemKind Busy = new(503, Base + "busy", "The ledger is busy");
    public static readonly ProblemKind JournalFailed = new(503, Base + "journal-failed", "The journal could not write; writes are refused until it can");
    public static readonly ProblemKind EntryStoreFailed = new(503, Base + "entry-store-failed", "The entry store could not write; writes are refused until it can");
    public static readonly ProblemKind ReadStoreFailed = new(503, Base + "read-store-failed", "The read store could not write; writes are refused until it can");
    public static readonly ProblemKind InvalidCatalog = new(422, Base + "invalid-catalog", "The history-code catalog is not valid");
    public static readonly ProblemKind SimulationRunning = new(409, Base + "simulation-running", "A simulation is already running; one runs at a time");
    public static readonly ProblemKind OpenHoldsLimit = new(503, Base + "open-holds-limit", "The ledger holds its maximum of open holds; retry when some are released");
    public static readonly ProblemKind ReadOnlyReplica = new(421, Base + "read-only-replica", "This node is a statements replica: it serves reads only");
    public static readonly ProblemKind ReadSideBehind = new(503, Base + "read-side-behind", "Balances and statements have not caught up with the writes acknowledged before this read");

    // Ledger declines: sticky, remembered under every correlationId of the command (docs/contract.md section 3).
    public static readonly ProblemKind UnknownHistoryCode = new(422, Base + "unknown-history-code", "The history code is not in the catalog");
    public static readonly ProblemKind RuleDeclined = new(422, Base + "rule-declined", "A rule of the history code declined the entry");
    public static readonly ProblemKind ReferenceNotFound = new(422, Base + "reference-not-found", "The referenced entry does not exist on the account");
    public static readonly ProblemKind NotReversible = new(422, Base + "not-reversible", "Only POSTED ledger entries can be reversed");
    public static readonly ProblemKind AlreadyReversed = new(422, Base + "already-reversed", "The entry was already reversed");
    public static readonly ProblemKind EntryNotPending = new(409, Base + "entry-not-pending", "The entry is not PENDING");
    public static readonly ProblemKind CurrencyMismatch = new(422, Base + "currency-mismatch", "The currency differs from the account's");
    public static readonly ProblemKind UnblockExceedsHeld = new(422, Base + "unblock-exceeds-held", "The amount exceeds what the hold still holds");
    public static readonly ProblemKind AmountOverflow = new(422, Base + "amount-overflow", "The balance would leave the representable range");
    public static readonly ProblemKind InsufficientFunds = new(422, Base + "insufficient-funds", "Insufficient funds");
    public static readonly ProblemKind ReferenceMismatch = new(422, Base + "reference-mismatch", "A field of the entry disagrees with the entry it refers to");

    /// <summary>Every kind, for documentation and metrics labels.</summary>
    public static readonly ProblemKind[] All =
    [
        Validation, MalformedJson, Unauthorized, InsufficientScope, DomainNotPermitted, AccountNotFound, EntryNotFound, NotFound,
        MethodNotAllowed, IdempotencyConflict, AccountExists, PayloadTooLarge, UnsupportedMediaType, TooManyRequests, Internal,
        NotReady, Busy, JournalFailed, EntryStoreFailed, ReadStoreFailed, OpenHoldsLimit, ReadSideBehind, ReadOnlyReplica, InvalidCatalog, SimulationRunning, UnknownHistoryCode, RuleDeclined, ReferenceNotFound, NotReversible, AlreadyReversed,
        EntryNotPending, CurrencyMismatch, UnblockExceedsHeld, AmountOverflow, InsufficientFunds, ReferenceMismatch,
    ];

    /// <summary>The Problem of an engine result code (never called with <see cref="ResultCode.Ok"/>).</summary>
    public static ProblemKind Of(ResultCode code) => code switch
    {
        ResultCode.InvalidCommand => Validation,
        ResultCode.AccountNotFound => AccountNotFound,
        ResultCode.DomainNotPermitted => DomainNotPermitted,
        ResultCode.IdempotencyConflict => IdempotencyConflict,
        ResultCode.EntryNotFound => EntryNotFound,
        ResultCode.AccountExists => AccountExists,
        ResultCode.OpenHoldsLimit => OpenHoldsLimit,
        ResultCode.UnknownHistoryCode => UnknownHistoryCode,
        ResultCode.RuleDeclined => RuleDeclined,
        ResultCode.ReferenceNotFound => ReferenceNotFound,
        ResultCode.NotReversible => NotReversible,
        ResultCode.AlreadyReversed => AlreadyReversed,
        ResultCode.EntryNotPending => EntryNotPending,
        ResultCode.CurrencyMismatch => CurrencyMismatch,
        ResultCode.UnblockExceedsHeld => UnblockExceedsHeld,
        ResultCode.AmountOverflow => AmountOverflow,
        ResultCode.InsufficientFunds => InsufficientFunds,
        ResultCode.ReferenceMismatch => ReferenceMismatch,
        _ => Internal,
    };

    /// <summary>The Problem kind of an HTTP status the framework set without a body (404 route, 405, 413, 415...).</summary>
    public static ProblemKind OfStatus(int status) => status switch
    {
        400 => Validation,
        401 => Unauthorized,
        403 => InsufficientScope,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => TooManyRequests,
        503 => NotReady,
        _ => status >= 500 ? Internal : new ProblemKind(status, Base + "http-" + status, "The request failed"),
    };
}
