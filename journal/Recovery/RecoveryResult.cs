using Ledger.Engine;
using Ledger.Journal.Entries;

namespace Ledger.Journal.Recovery;

/// <summary>The recovered ledger and where the journal continues.</summary>
public sealed class RecoveryResult
{
    internal RecoveryResult(LedgerEngine engine, RecoveryReport report, long nextRecordNumber, long nextAddress)
    {
        Engine = engine;
        Report = report;
        NextRecordNumber = nextRecordNumber;
        NextAddress = nextAddress;
    }

    public LedgerEngine Engine { get; }

    /// <summary>
    /// With <see cref="RecoverySettings.FilterTopUpLater"/>: the store checkpoint recovery started from, up to which the
    /// key filter still needs its top-up from the journal (null: the filter is complete).
    /// </summary>
    public StoreCheckpoint? FilterTopUpUntil { get; internal set; }
    public RecoveryReport Report { get; }
    /// <summary>The number the next appended record must get.</summary>
    public long NextRecordNumber { get; }
    /// <summary>Where a reader continues after the last recovered record.</summary>
    public long NextAddress { get; }
}
