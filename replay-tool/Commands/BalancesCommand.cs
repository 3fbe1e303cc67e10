using System.CommandLine;
using System.Globalization;
using Ledger.Engine.Domain;
using Ledger.Journal;
using Ledger.Journal.Recovery;
using Ledger.ReadSide;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>balances &lt;data-dir&gt; --branch B --account A [--at T]</c>: an account's balances now (the engine recovered as
/// the service would: store checkpoint + journal tail), or as they stood at an instant (the service's read side recomputed
/// over the journal, the same answer as <c>GET …/balances?at=</c>).
/// </summary>
internal static class BalancesCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var branch = new Option<int>("--branch") { Description = "Branch number.", Required = true };
        var account = new Option<long>("--account") { Description = "Account number.", Required = true };
        var at = new Option<string?>("--at") { Description = "ISO-8601 instant or date, covering the precision it is written in (a date: the end of that day; .123Z: that millisecond): the balances as they stood then (default: now, the journal's end)." };
        var command = new Command("balances", "Print an account's AVAILABLE and HELD balances, now or at a point in time.") { dir, branch, account, at };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, new AccountKey(r.GetValue(branch), r.GetValue(account)), r.GetValue(at))));
        return command;
    }

    private static int Execute(string path, AccountKey key, string? at)
    {
        if (!key.IsValid) throw new ToolException(ExitCodes.Usage, $"Account {key} is outside branch 0..9999 / account 0..999999999999.");
        using var data = DataDirectory.Open(path);
        return at is null ? Now(data, key) : At(data, key, at);
    }

    private static int Now(DataDirectory data, AccountKey key)
    {
        var result = data.Recover("balances", new RecoverySettings { InitialCatalog = DataDirectory.FallbackCatalog }, full: false);
        if (!result.Engine.TryGetAccount(key, out var state)) throw new ToolException(ExitCodes.NotFound, $"Account {key} does not exist as of now (end of journal).");
        Print(key, state.Currency, state.OverdraftLimitMinor, state.Balances,
            $"now (end of journal: record {result.Report.LastRecordNumber}, sequence {result.Report.LastSequence})");
        if (result.Report.Damage is { } damage)
        {
            Console.Out.WriteLine($"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. The balances above stop before it.");
            return ExitCodes.Damaged;
        }
        return ExitCodes.Ok;
    }

    private static int At(DataDirectory data, AccountKey key, string text)
    {
        if (!WireTime.TryParseInstantThrough(text, out long ticks))
            throw new ToolException(ExitCodes.Usage, $"--at '{text}' is not an ISO-8601 date (2026-06-21) or instant (2026-06-21T18:00:00Z).");
        var archive = data.Log.Archive;
        if (archive.IsArchived)
        {
            // The balance at an instant is the last one the history shows before it; a journal whose start was archived
            // does not show the balance at its first kept record, so no instant can be answered from it honestly.
            throw new ToolException(ExitCodes.NotFound,
                $"Balances at an instant are recomputed from record 1, but the journal begins at record {archive.FirstRecordNumber} ({Tool.Instant(archive.FirstTimestampTicks)}); " +
                $"records before it were archived to '{archive.ArchivedTo}'. Copy them back into {data.Log.Directory}, or ask the service (GET …/balances?at=).");
        }
        using var reads = JournalReadSide.BuildOrReport(data, key, "balances", "balance");
        if (reads is null) return ExitCodes.Damaged;
        // Echo the instant as written: it covers its whole precision (a date, a second...), so the last tick it reaches
        // (…T12:00:00.9999999Z) is how it is read, not what the operator asked.
        string asOf = text.Trim();
        if (!reads.Store.TryGetBalancesAt(key, ticks, out var account))
            throw new ToolException(ExitCodes.NotFound, reads.Store.Watermark.RecordNumber == 0
                ? $"Account {key} did not exist as of {asOf}: the journal holds no records yet."
                : $"Account {key} did not exist as of {asOf} (it was not open then, or never was).");
        Print(key, account.Currency, account.OverdraftLimitMinor, account.Balances, $"{asOf} (journal through record {reads.Store.Watermark.RecordNumber})");
        return ExitCodes.Ok;
    }

    private static void Print(AccountKey key, CurrencyCode currency, long overdraft, Balances balances, string asOf)
    {
        var o = Console.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"account:   {key.Branch}/{key.Number} ({currency}, overdraft limit {overdraft})"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AVAILABLE: {balances.AvailableMinor} {currency}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HELD:      {balances.HeldMinor} {currency}"));
        o.WriteLine($"as of:     {asOf}");
    }
}
