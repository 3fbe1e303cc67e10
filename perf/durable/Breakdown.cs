using System.Diagnostics;
using System.Globalization;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Journal;
using Ledger.Journal.Format;

namespace Ledger.Perf.Durable;

/// <summary>Where the time of one single-entry command goes on the durable path, each step alone on one thread.</summary>
internal static class Breakdown
{
    public static void Run(string root, int n)
    {
        const int accounts = 10_000;
        var catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath);
        var engine = new LedgerEngine(catalog, new EngineSettings { AccountCapacity = accounts + 16, EntryCacheEntries = n + 1024 });
        var open = new LedgerCommand { TimestampTicks = 1 };
        open.SetOpenAccounts(accounts);
        for (int i = 0; i < accounts; i++) open.Openings[i] = new AccountOpening { Account = Book.Account(i), Currency = Book.Usd };
        engine.Apply(open);
        var ids = new string[n];
        for (int i = 0; i < n; i++) ids[i] = string.Create(CultureInfo.InvariantCulture, $"b{i}");
        var commands = new LedgerCommand[4096];
        for (int i = 0; i < commands.Length; i++) commands[i] = new LedgerCommand();

        var clock = Stopwatch.StartNew();
        var records = new byte[n][];
        var buffer = new RecordBuffer();
        double apply = 0, encode = 0;
        for (int i = 0; i < n; i++)
        {
            var c = commands[i & 4095];
            c.Reset();
            Book.Deposit(c, Book.Account(i % accounts), ids[i], 1 + i % 100);
            c.TimestampTicks = 2 + i;
            long t0 = Stopwatch.GetTimestamp();
            engine.Apply(c);
            long t1 = Stopwatch.GetTimestamp();
            RecordCodec.Encode(c, i + 2, engine.LastSequence, buffer);
            long t2 = Stopwatch.GetTimestamp();
            apply += t1 - t0;
            encode += t2 - t1;
            if (i < 1_000_000) records[i] = buffer.Written.ToArray();
        }
        int kept = Math.Min(n, 1_000_000);
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"engine.Apply: {Ns(apply, n)} ns/command; encode (MessagePack + CRC-32C): {Ns(encode, n)} ns/record, {records[0].Length} bytes"));

        string dir = Path.Combine(root, "breakdown");
        Book.Fresh(dir);
        using (var log = JournalLog.Open(dir, new JournalSettings()))
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < kept; i++)
            {
                log.Log.Enqueue(records[i]);
                if ((i & 4095) == 4095) log.Log.CommitAsync().AsTask().GetAwaiter().GetResult();
            }
            log.Log.CommitAsync().AsTask().GetAwaiter().GetResult();
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"FasterLog enqueue + commit per 4096 (blocking): {Ns(Stopwatch.GetTimestamp() - t0, kept)} ns/record"));
        }

        var record = new JournalRecord();
        long d0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < kept; i++)
        {
            RecordHeader.TryRead(records[i], out var header);
            RecordCodec.Decode(in header, records[i].AsMemory(RecordHeader.Size), record);
        }
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"check + decode: {Ns(Stopwatch.GetTimestamp() - d0, kept)} ns/record"));

        var fresh = new LedgerEngine(catalog, new EngineSettings { AccountCapacity = accounts + 16, EntryCacheEntries = n + 1024 });
        fresh.Apply(open);
        long r0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < kept; i++)
        {
            RecordHeader.TryRead(records[i], out var header);
            RecordCodec.Decode(in header, records[i].AsMemory(RecordHeader.Size), record);
            fresh.Apply(record.Command);
        }
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"decode + apply (replay without I/O): {Ns(Stopwatch.GetTimestamp() - r0, kept)} ns/record"));
        long h0 = Stopwatch.GetTimestamp();
        fresh.ComputeStateHash();
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"state hash of {kept:N0} entries: {(Stopwatch.GetTimestamp() - h0) * 1000.0 / Stopwatch.Frequency:0} ms; total {clock.Elapsed.TotalSeconds:0.0} s"));
    }

    private static string Ns(double ticks, long count) => (ticks * 1e9 / Stopwatch.Frequency / count).ToString("0", CultureInfo.InvariantCulture);
}
