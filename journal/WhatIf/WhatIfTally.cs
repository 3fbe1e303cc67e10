namespace Ledger.Journal.WhatIf;

/// <summary>
/// What a candidate changes: per history code or domain, and in all (<see cref="WhatIfSummary"/> is this shape with the
/// run's other totals). One shape, counted by one method.
/// </summary>
public class WhatIfTally
{
    public long EntriesCompared { get; set; }
    public long FlippedToDeclined { get; set; }
    public long FlippedToPosted { get; set; }
    /// <summary>Changed outcomes that are neither flip: another decline reason, another status.</summary>
    public long OtherChanges { get; set; }
    /// <summary>Changes the catalog does not decide (funds, references, holds): knock-on effects of earlier changes.</summary>
    public long KnockOn { get; set; }

    /// <summary>Counts one changed outcome: a flip to declined, to posted, or another change; and whether it was a knock-on.</summary>
    internal void CountChange(bool toDeclined, bool toPosted, bool knockOn)
    {
        if (toDeclined) FlippedToDeclined++;
        else if (toPosted) FlippedToPosted++;
        else OtherChanges++;
        if (knockOn) KnockOn++;
    }
}
