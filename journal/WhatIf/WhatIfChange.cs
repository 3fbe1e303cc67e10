using Ledger.Engine.Domain;

namespace Ledger.Journal.WhatIf;

/// <summary>One entry whose outcome the candidate changes (a line of <c>changes.jsonl</c>).</summary>
public sealed record WhatIfChange(
    AccountKey Account,
    string CorrelationId,
    int EntryType,
    string Before,
    string After,
    string? Rule,
    bool KnockOn,
    long TimestampTicks,
    long RecordNumber);
