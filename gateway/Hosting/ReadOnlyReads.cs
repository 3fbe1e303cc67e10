using Ledger.Journal.Entries;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The reads of a ledger that started read-only (start-up could not write): its read store and the entry store beside
/// it, both opened read-only, the read store asking the entry store for correlation ids as in the running ledger
/// (<see cref="ReadStoreSettings.IdKeys"/>). Disposed in that order: no read is inside the entry store once the read
/// store has closed.
/// </summary>
internal sealed class ReadOnlyReads : IDisposable
{
    private readonly EntryStore _entries;

    private ReadOnlyReads(ReadStore reads, EntryStore entries)
    {
        Reads = reads;
        _entries = entries;
    }

    public ReadStore Reads { get; }

    public static ReadOnlyReads Open(string readDir, ReadStoreSettings readSettings, string entriesDir, EntryStoreSettings entrySettings)
    {
        var entries = EntryStore.Open(entriesDir, entrySettings with { LookupsOnly = true }, readOnly: true);
        try
        {
            var reads = ReadStore.Open(readDir, readSettings, readOnly: true);
            reads.LookUpIdsIn(entries);
            return new ReadOnlyReads(reads, entries);
        }
        catch
        {
            entries.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Reads.Dispose();
        _entries.Dispose();
    }
}
