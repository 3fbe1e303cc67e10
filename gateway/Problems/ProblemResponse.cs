namespace Ledger.Gateway.Problems;

/// <summary>
/// An RFC-7807 Problem (<c>application/problem+json</c>). Every 4xx/5xx body of the gateway is one.
/// <see cref="Type"/> is stable per reason; <see cref="EntryIndex"/> and <see cref="Rule"/> appear where they apply.
/// </summary>
public sealed record ProblemResponse
{
    public required string Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public required string Detail { get; init; }
    /// <summary>Index of the entry the problem is about (within its leg for a bundle).</summary>
    public int? EntryIndex { get; init; }
    /// <summary>For a bundle: index of the leg the entry belongs to.</summary>
    public int? LegIndex { get; init; }
    /// <summary>For <c>rule-declined</c>: the rule's name as the catalog spells it.</summary>
    public string? Rule { get; init; }
    /// <summary>For <c>idempotency-conflict</c>: the request fields that differ from the first request.</summary>
    public string[]? ConflictingFields { get; init; }
    /// <summary>For a storage failure (<c>journal-failed</c>, <c>entry-store-failed</c>, <c>read-store-failed</c>): the component that could not write.</summary>
    public string? Component { get; init; }
    /// <summary>This occurrence: the request's path (RFC 7807 <c>instance</c>), set when the Problem is written.</summary>
    public string? Instance { get; init; }
    /// <summary>The request's W3C trace id (from its <c>traceparent</c>, else generated), to quote to support; set when written.</summary>
    public string? TraceId { get; init; }
    /// <summary>The request's <c>X-Request-Id</c> (echoed, or generated when absent); set when written.</summary>
    public string? RequestId { get; init; }
}
