using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Journal.Catalog;

// The crash tests' child: opens the store on a data directory (recovering whatever a SIGKILL left), prints the
// recovered state, then runs the engine host with the real journal, taking commands from stdin and answering each
// on stdout only once it is durable. SIGTERM (or a "quit" line) takes the clean path: stop intake, drain, commit, exit 0.
//
// stdin, one command a line:  <id> <ticks> open <branch> <account>
//                             <id> <ticks> post <bundleId|-> <n> (<branch> <account> <L|B> <correlationId> <type> <amount> <expiresTicks>){n}
//                             <id> <ticks> delete <branch> <account> <correlationId>
//                             snapshot   (ask the shadow for a snapshot now)
//                             quit
// stdout: BALANCE <branch> <account> <available> <held>   (each account, at start)
//         READY <lastRecord> <lastSequence> <stateHash> <recordsReplayed> <snapshotRecord|-> <cut|->
//         A <id> <code> <replayed 0|1> <seq,seq,...|-> <available> <held>
//         SNAPSHOT <recordNumber>   (a snapshot file is durable)
//         STOPPED <lastRecord> <stateHash>

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Ledger.CrashChild <data-dir> [snapshot-every-entries]");
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

var store = LedgerStore.Open(new LedgerStoreOptions
{
    DataDir = args[0],
    Catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath),
    SnapshotEveryEntries = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000,
    SnapshotsKept = 2,
    Journal = new JournalSettings { PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20 },
});
var report = store.Recovery;
foreach (ref readonly var account in store.Engine.Accounts.All)
{
    Say(FormattableString.Invariant($"BALANCE {account.Key.Branch} {account.Key.Number} {account.AvailableMinor} {account.HeldMinor}"));
}
Say(FormattableString.Invariant(
    $"READY {report.LastRecordNumber} {report.LastSequence} {report.StateHash:x16} {report.RecordsReplayed} {(report.SnapshotUsed is { } s ? s.RecordNumber.ToString(CultureInfo.InvariantCulture) : "-")} {(report.Cut is { } c ? c.LastGoodRecordNumber.ToString(CultureInfo.InvariantCulture) : "-")}"));

var host = new EngineHost(store.Engine, store.Journal, [], new EngineHostSettings { TickInterval = TimeSpan.Zero, RingSize = 1024 });
host.Start();
store.Snapshots.SnapshotWritten += info => Say(FormattableString.Invariant($"SNAPSHOT {info.RecordNumber}"));
store.Snapshots.Start();

int pending = 0;
int stopping = 0;
var usd = CurrencyCode.Parse("USD");

void Shutdown()
{
    if (Interlocked.Exchange(ref stopping, 1) == 1) return;
    host.Stop(); // stop intake, drain: every published command is decided, committed and answered
    SpinWait.SpinUntil(() => Volatile.Read(ref pending) == 0);
    store.Dispose(); // stop the snapshotter, commit, close
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
    if (line == "snapshot")
    {
        store.Snapshots.RequestSnapshot();
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
