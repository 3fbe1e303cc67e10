namespace Ledger.Gateway.Api;

/// <summary>One query parameter an endpoint takes, as the OpenAPI document declares it.</summary>
/// <param name="Type">JSON Schema type of the value: <c>integer</c> or <c>string</c>.</param>
/// <param name="Format">OpenAPI format (<c>int32</c>, <c>int64</c>, <c>date-time</c>), or null.</param>
/// <param name="Enum">The values a string may take, or null.</param>
internal sealed record QueryParameter(string Name, string Type, string Description, string? Format = null, bool Required = false,
    string[]? Enum = null, long? Minimum = null, long? Maximum = null);

/// <summary>
/// The query parameters of an endpoint, declared once on it (<see cref="QueryParameterExtensions.WithQuery"/>): the one
/// query rule (<see cref="HttpEdge.CheckQuery"/>) takes its names from here, and the OpenAPI transformer its parameters, so
/// what the document promises and what the handler accepts cannot drift apart.
/// </summary>
internal sealed class QueryParameters(QueryParameter[] parameters)
{
    public QueryParameter[] All { get; } = parameters;
    public string[] Names { get; } = [.. parameters.Select(p => p.Name)];
}

internal static class QueryParameterExtensions
{
    public static RouteHandlerBuilder WithQuery(this RouteHandlerBuilder builder, params QueryParameter[] parameters) =>
        builder.WithMetadata(new QueryParameters(parameters));
}

/// <summary>The query parameters shared by several endpoints.</summary>
internal static class Query
{
    public static readonly QueryParameter Branch = new("branch", "integer", "Branch of the account (0..9999); with account, that account's statement; with neither, the whole ledger's.", "int32", Minimum: 0, Maximum: Ledger.Engine.Limits.BranchMax);
    public static readonly QueryParameter Account = new("account", "integer", "Account number (0..999999999999); given with branch, or neither.", "int64", Minimum: 0, Maximum: Ledger.Engine.Limits.AccountNumberMax);
    public static readonly QueryParameter From = new("from", "string",
        "Entries stamped at or after this ISO-8601 instant (2026-06-21T18:00:00Z) or date (2026-06-21: its start). Instants without an offset are UTC.");
    public static readonly QueryParameter To = new("to", "string",
        "Entries stamped before this instant (exclusive); a date alone (2026-06-21) includes that whole UTC day.");
    public static readonly QueryParameter Limit = new("limit", "integer", "Entries per page, 1..1000 (default 100).", "int32", Minimum: 1, Maximum: Ledger.Engine.Limits.StatementPageRowsMax);
    public static readonly QueryParameter Cursor = new("cursor", "string", "The previous page's nextCursor, unchanged: the next page.");
    public static readonly QueryParameter EntryType = new("entryType", "integer", "Only entries of this history code.", "int32");
    public static readonly QueryParameter EntryKind = new("entryKind", "string", "Only entries of this kind.", Enum: [.. Ledger.ReadSide.WireNames.Kinds.Select(Ledger.ReadSide.WireNames.Kind)]);
    public static readonly QueryParameter Status = new("status", "string", "Only entries whose current status is this.", Enum: [.. Ledger.ReadSide.WireNames.Statuses.Select(Ledger.ReadSide.WireNames.Status)]);
    public static readonly QueryParameter MinAmount = new("minAmount", "integer", "Only entries of at least this many minor units.", "int64", Minimum: 0);
    public static readonly QueryParameter MaxAmount = new("maxAmount", "integer", "Only entries of at most this many minor units.", "int64", Minimum: 0);
    public static readonly QueryParameter CorrelationId = new("correlationId", "string", "Only the entry with this correlationId (1..64 characters of [A-Za-z0-9._:-]).");
    public static readonly QueryParameter At = new("at", "string",
        "The balances as they stood then: an ISO-8601 instant or date, covering the precision it is written in (a date: the end of that UTC day; …T12:00:00.123Z: everything stamped within that millisecond).");
}
