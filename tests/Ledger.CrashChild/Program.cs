using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Journal.Entries;

// The crash tests' child: opens the store on a data directory (recovering whatever a SIGKILL left), prints the
// recovered state, then runs the engine host with the real journal and entry store (behind a small cache, so old
// entries come from the store), taking commands from stdin and answering each on stdout only once it is durable.
// SIGTERM (or a "quit" line) takes the clean path: stop intake, drain, commit, checkpoint, exit 0.
// Arguments: <data-dir> [store-delay-ms] : the store stage waits that long before each write, which widens the window
// between a journal commit and the store write for a SIGKILL to land in.
//
// stdin, one command a line:  <id> <ticks> open <branch> <account>
//                             <id> <ticks> post <bundleId|-> <n> (<branch> <account> <L|B> <correlationId> <type> <amount> <expiresTicks>){n}
//                             <id> <ticks> delete <branch> <account> <correlationId>
//                             checkpoint   (checkpoint the entry store now, on a thread of its own)
//                             quit
// stdout: BALANCE <branch> <account> <available> <held>   (each account, at start)
//         READY <lastRecord> <lastSequence> <stateHash> <recordsReplayed> <storeCheckpointRecord|-> <journalCut|-> <storeRebuilt 0|1>
//         A <id> <code> <replayed 0|1> <seq,seq,...|-> <available> <held>
//         CHECKPOINT <recordNumber>   (the entry store is durable up to that record)
//         STOPPED <lastRecord> <stateHash>

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Ledger.CrashChild <data-dir> [store-delay-ms]");
    return 2;
}
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
var gate = new object();
void Say(string line)
{
    lock (gate)
    {
        stdout.WriteLine(line);
        stdout.Flush();
    }
}

var store = LedgerStore.Open(new LedgerStoreSettings
{
    DataDir = args[0],
    Catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath),
    Engine = new EngineSettings { AccountCapacity = 1_024, EntryCacheEntries = 16 },
    Journal = new JournalSettings { PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20 },
    EntryStore = new EntryStoreSettings { BlockCacheBytes = 8L << 20, WriteBufferBytes = 4L << 20, KeyFilterBytes = 1L << 20, CheckpointEvery = TimeSpan.FromMilliseconds(200) },
});
var report = store.Recovery;
foreach (ref readonly var account in store.Engine.Accounts.All)
{
    Say(FormattableString.Invariant($"BALANCE {account.Key.Branch} {account.Key.Number} {account.AvailableMinor} {account.HeldMinor}"));
}
Say(FormattableString.Invariant(
    $"READY {report.LastRecordNumber} {report.LastSequence} {report.StateHash:x16} {report.RecordsReplayed} {(report.StoreCheckpoint is { } s ? s.RecordNumber.ToString(CultureInfo.InvariantCulture) : "-")} {(report.JournalCut is { } c ? c.LastGoodRecordNumber.ToString(CultureInfo.InvariantCulture) : "-")} {(report.StoreRebuilt is null ? 0 : 1)}"));

int storeDelayMs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
IEntryStoreWriter writer = storeDelayMs > 0 ? new DelayedWriter(store.StoreWriter, storeDelayMs) : store.StoreWriter;
var host = new EngineHost(store.Engine, store.Journal, [], new EngineHostSettings { TickInterval = TimeSpan.Zero, RingSize = 1024 }, store.Prefetcher, writer);
host.Start();
store.Checkpoints.Start();

int pending = 0;
int stopping = 0;
var usd = CurrencyCode.Parse("USD");

void Shutdown()
{
    if (Interlocked.Exchange(ref stopping, 1) == 1) return;
    host.Stop(); // stop intake, drain: every published command is decided, committed and answered
    SpinWait.SpinUntil(() => Volatile.Read(ref pending) == 0);
    store.Dispose(); // stop checkpointing, commit, checkpoint, close
    Say(FormattableString.Invariant($"STOPPED {store.Journal.CommittedRecordNumber} {store.Engine.ComputeStateHash():x16}"));
    Environment.Exit(0);
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    Shutdown();
});

string? line;
while ((line = Console.ReadLine()) is not null)
{
    if (line == "quit") break;
    if (line == "checkpoint")
    {
        _ = Task.Run(() => Say(FormattableString.Invariant($"CHECKPOINT {store.Entries.Checkpoint()}")));
        continue;
    }
    if (Volatile.Read(ref stopping) == 1) break;
    var f = line.Split(' ');
    string id = f[0];
    var command = new LedgerCommand { TimestampTicks = long.Parse(f[1], CultureInfo.InvariantCulture) };
    switch (f[2])
    {
        case "open":
            command.SetOpenAccounts(1);
            command.Openings[0] = new AccountOpening { Account = Key(f[3], f[4]), Currency = usd };
            break;
        case "post":
        {
            int n = int.Parse(f[4], CultureInfo.InvariantCulture);
            command.SetPost(n, f[3] == "-" ? null : f[3]);
            for (int i = 0; i < n; i++)
            {
                int o = 5 + i * 7;
                command.Entries[i] = new EntryRequest
                {
                    Account = Key(f[o], f[o + 1]),
                    Kind = f[o + 2] == "B" ? EntryKind.Blocking : EntryKind.Ledger,
                    CorrelationId = f[o + 3],
                    EntryType = int.Parse(f[o + 4], CultureInfo.InvariantCulture),
                    HasAmount = true,
                    AmountMinor = long.Parse(f[o + 5], CultureInfo.InvariantCulture),
                    Currency = usd,
                    ExpiresAtTicks = long.Parse(f[o + 6], CultureInfo.InvariantCulture),
                };
            }
            break;
        }
        case "delete":
            command.SetRemove(Key(f[3], f[4]), f[5]);
            break;
        default:
            Console.Error.WriteLine($"unknown command: {line}");
            return 2;
    }
    Interlocked.Increment(ref pending);
    ValueTask done;
    try
    {
        done = host.SubmitAsync(command);
    }
    catch (InvalidOperationException)
    {
        Interlocked.Decrement(ref pending);
        break; // stopping
    }
    _ = Answer(id, command, done);
}
Shutdown();
return 0;

async Task Answer(string id, LedgerCommand command, ValueTask done)
{
    try
    {
        await done;
        var r = command.Result;
        int n = command.Kind == CommandKind.PostEntries ? command.EntryCount : command.Kind == CommandKind.RemoveEntry ? 1 : 0;
        var seqs = new StringBuilder();
        for (int i = 0; i < n && (r.Code == ResultCode.Ok); i++) seqs.Append(i > 0 ? "," : "").Append(command.EntryResults[i].Sequence.ToString(CultureInfo.InvariantCulture));
        var balances = n > 0 && r.Code == ResultCode.Ok ? command.EntryResults[0].BalancesAfter : default;
        Say(FormattableString.Invariant($"A {id} {(int)r.Code} {(r.Replayed ? 1 : 0)} {(seqs.Length > 0 ? seqs.ToString() : "-")} {balances.AvailableMinor} {balances.HeldMinor}"));
    }
    catch (Exception ex)
    {
        Say($"F {id} {ex.GetType().Name}");
    }
    finally
    {
        Interlocked.Decrement(ref pending);
    }
}

static AccountKey Key(string branch, string account) =>
    new(int.Parse(branch, CultureInfo.InvariantCulture), long.Parse(account, CultureInfo.InvariantCulture));

/// <summary>The store stage, slowed down: journaled commands wait longer for the store (a SIGKILL then often lands between).</summary>
internal sealed class DelayedWriter(IEntryStoreWriter inner, int delayMs) : IEntryStoreWriter
{
    public void Add(LedgerCommand command) => inner.Add(command);

    public void EndOfBatch()
    {
        Thread.Sleep(delayMs);
        inner.EndOfBatch();
    }
}
