namespace Ledger.Journal.WhatIf;

/// <summary>What a candidate changes, per history code (or domain).</summary>
public sealed class WhatIfTally
{
    public long EntriesCompared { get; set; }
    public long FlippedToDeclined { get; set; }
    public long FlippedToPosted { get; set; }
    public long OtherChanges { get; set; }
    public long KnockOn { get; set; }
}
