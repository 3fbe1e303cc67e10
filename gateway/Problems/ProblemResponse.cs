namespace Ledger.Gateway.Problems;

/// <summary>
/// An RFC-7807 Problem (<c>application/problem+json</c>). Every 4xx/5xx body of the gateway is one.
/// <see cref="Type"/> is stable per reason; <see cref="EntryIndex"/> and <see cref="Rule"/> appear where they apply.
/// </summary>
public sealed class ProblemResponse
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
}
