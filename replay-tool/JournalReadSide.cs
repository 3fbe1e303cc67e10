using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal;
using Ledger.Journal.Recovery;
using Ledger.ReadSide;

namespace Ledger.ReplayTool;

/// <summary>
/// The service's Balance &amp; Statements read side (<see cref="ReadStore"/>), rebuilt in a scratch directory from a
/// data directory's journal and deleted afterwards. The tool never trusts the service's own read store: it recomputes
/// from the journal, so the two answering alike is evidence. RAM is the store's budget; time follows the journal.
/// When the journal's start was archived the feed begins at the first record kept (<see cref="FirstTimestampTicks"/>)
/// and the requested account is seeded from the entry store, so statements of what the journal still holds work.
/// Usage: <c>using var reads = JournalReadSide.Build(data, key, "statement"); reads.Store.Statement(key, query);</c>
/// </summary>
internal sealed class JournalReadSide : IDisposable
{
    private static readonly ReadStoreSettings ToolSettings = new() { BlockCacheBytes = 64L << 20, WriteBufferBytes = 32L << 20 };

    private readonly string _directory;

    private JournalReadSide(string directory, ReadStore store, long firstTimestampTicks, HistoryCatalog catalog)
    {
        _directory = directory;
        Store = store;
        FirstTimestampTicks = firstTimestampTicks;
        Catalog = catalog;
    }

    public ReadStore Store { get; }

    /// <summary>The catalog last loaded in the journal (the one the service runs), else the one shipped beside the tool.</summary>
    public HistoryCatalog Catalog { get; }

    /// <summary>Where the history it holds begins: long.MinValue for a whole journal, the first kept record's instant for an archived one.</summary>
    public long FirstTimestampTicks { get; }

    /// <summary>
    /// <see cref="Build"/>, or null after printing where the journal is damaged and that no <paramref name="what"/> is
    /// printed from it (the caller exits <see cref="ExitCodes.Damaged"/>).
    /// </summary>
    public static JournalReadSide? BuildOrReport(DataDirectory data, AccountKey account, string label, string what)
    {
        try
        {
            return Build(data, account, label);
        }
        catch (JournalDamagedException ex)
        {
            Console.Error.WriteLine($"DAMAGED: journal record {ex.Damage.ExpectedRecordNumber} at {data.Where(ex.Damage.Address)}: {ex.Damage.Reason}. No {what} is printed from a damaged journal.");
            return null;
        }
    }

    /// <summary>Feeds every journal record to a scratch read store; throws <see cref="JournalDamagedException"/> at damage.</summary>
    public static JournalReadSide Build(DataDirectory data, AccountKey account, string label)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"ledger-replay-read-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var store = ReadStore.Open(dir, ToolSettings);
        try
        {
            var archive = data.Log.Archive;
            LedgerEvent[]? seed = null;
            HistoryCatalog? catalog = null;
            ReadStoreWriter writer;
            if (archive.IsArchived)
            {
                writer = store.PartialWriter(new ReadWatermark(archive.FirstRecordNumber - 1, archive.FirstAddress, archive.LastSequenceBefore));
                if (data.Store is { } entries && entries.TryGetAccount(account, out var state) && state.OpenedAtTicks < archive.FirstTimestampTicks)
                {
                    seed = [new LedgerEvent { Kind = LedgerEventKind.AccountOpened, Account = account, Currency = state.Currency, AmountMinor = state.OverdraftLimitMinor, TimestampTicks = state.OpenedAtTicks }];
                }
            }
            else
            {
                writer = store.Writer();
            }
            using (writer)
            {
                long bytesTotal = Math.Max(1, data.Log.TailAddress - data.Log.StartAddress);
                ToolProgress.Run(label, report =>
                {
                    long records = JournalReader.ReadAll(data.Log, record =>
                    {
                        if (record.Kind == CommandKind.LoadCatalog && record.Command.Catalog is { } loaded) catalog = loaded;
                        if (seed is not null)
                        {
                            writer.Add([.. seed, .. record.EventSpan], record.RecordNumber, record.NextAddress);
                            seed = null;
                        }
                        else
                        {
                            writer.Add(record.EventSpan, record.RecordNumber, record.NextAddress);
                        }
                        if (writer.Pending < 1_024) return;
                        writer.Commit();
                        report(new RecoveryProgress(record.RecordNumber, record.NextAddress - data.Log.StartAddress, bytesTotal));
                    });
                    writer.Commit();
                    return records;
                });
            }
            catalog ??= DataDirectory.FallbackCatalog ?? throw new ToolException(ExitCodes.Usage,
                $"The journal loads no history-code catalog after record {archive.FirstRecordNumber} and none is shipped at '{HistoryCatalogFile.DefaultPath}'.");
            return new JournalReadSide(dir, store, archive.IsArchived ? archive.FirstTimestampTicks : long.MinValue, catalog);
        }
        catch
        {
            store.Dispose();
            ReadStore.Delete(dir);
            throw;
        }
    }

    public void Dispose()
    {
        Store.Dispose();
        ReadStore.Delete(_directory);
    }
}
