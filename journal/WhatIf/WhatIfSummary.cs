using Ledger.Engine.Domain;

namespace Ledger.Journal.WhatIf;

/// <summary>
/// The totals of a what-if replay (<c>summary.json</c>) and what the report draws: the tally of every change (the shape
/// of the per-code and per-domain tallies) and the run's own totals.
/// </summary>
public sealed class WhatIfSummary : WhatIfTally
{
    public long RecordsRead { get; set; }
    public long CommandsCompared { get; set; }
    public long CommandsChanged { get; set; }
    public long EntriesChanged { get; set; }
    /// <summary>Changes the catalog decides: a rule (or a code one of the catalogs lacks) declines on one side.</summary>
    public long Direct { get; set; }
    /// <summary>Minor units of the fee entries the candidate posted in the window (its catalog's fee rules; reversals of fees not subtracted).</summary>
    public long FeesPostedMinor { get; set; }
    public long AccountsWithBalanceDelta { get; set; }
    public string StateHashBaseline { get; set; } = "";
    public string StateHashCandidate { get; set; } = "";
    public long FirstRecord { get; set; }
    public long LastRecord { get; set; }
    public string? WindowFrom { get; set; }
    public string? WindowTo { get; set; }
    public int CandidateCodes { get; set; }
    public double ElapsedSeconds { get; set; }
    public double EntriesPerSecond { get; set; }

    /// <summary>Per history code (by code) and per domain: what changed.</summary>
    public SortedDictionary<int, WhatIfTally> ByCode { get; } = [];
    public SortedDictionary<string, WhatIfTally> ByDomain { get; } = new(StringComparer.Ordinal);
    /// <summary>Flips per business day (yyyy-MM-dd).</summary>
    public SortedDictionary<string, long> FlipsPerDay { get; } = new(StringComparer.Ordinal);
    /// <summary>Changes per account (most affected first when sorted by the report).</summary>
    public Dictionary<AccountKey, long> ChangesPerAccount { get; } = [];
    /// <summary>AVAILABLE candidate − baseline of every account whose balances differ at the end (bounded by accounts).</summary>
    public List<(AccountKey Account, long AvailableDeltaMinor, long HeldDeltaMinor)> BalanceDeltas { get; } = [];
}
