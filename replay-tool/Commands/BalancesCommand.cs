using System.CommandLine;
using System.Globalization;
using Ledger.Engine.Domain;
using Ledger.Journal.Recovery;

namespace Ledger.ReplayTool.Commands;

/// <summary><c>balances &lt;data-dir&gt; --branch B --account A [--at T]</c>: an account's balances now, or as they stood at an instant.</summary>
internal static class BalancesCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var branch = new Option<int>("--branch") { Description = "Branch number.", Required = true };
        var account = new Option<long>("--account") { Description = "Account number.", Required = true };
        var at = new Option<string?>("--at") { Description = "ISO-8601 instant: the balances as they stood then (default: now, the journal's end)." };
        var command = new Command("balances", "Print an account's AVAILABLE and HELD balances, now or at a point in time.") { dir, branch, account, at };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, r.GetValue(branch), r.GetValue(account), r.GetValue(at))));
        return command;
    }

    private static int Execute(string path, int branch, long number, string? at)
    {
        var key = new AccountKey(branch, number);
        if (!key.IsValid) throw new ToolException(ExitCodes.Usage, $"Account {key} is outside branch 0..9999 / account 0..999999999999.");
        long untilTicks = at is null ? long.MaxValue : Tool.ParseInstant(at, "--at");
        using var data = DataDirectory.Open(path);
        var result = data.Recover("balances", new RecoveryOptions
        {
            InitialCatalog = DataDirectory.FallbackCatalog,
            UntilTimestampTicks = untilTicks,
        }, full: false);
        string asOf = at is null ? "now (end of journal)" : Tool.Instant(untilTicks);
        if (!result.Engine.TryGetAccount(key, out var state))
            throw new ToolException(ExitCodes.NotFound, $"Account {key} does not exist as of {asOf}.");
        var o = Console.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"account:   {key.Branch}/{key.Number} ({state.Currency}, overdraft limit {state.OverdraftLimitMinor})"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AVAILABLE: {state.AvailableMinor} {state.Currency}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HELD:      {state.HeldMinor} {state.Currency}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"as of:     {asOf} (journal record {result.Report.LastRecordNumber}, sequence {result.Report.LastSequence})"));
        if (result.Report.Damage is { } damage)
        {
            o.WriteLine($"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. The balances above stop before it.");
            return ExitCodes.Damaged;
        }
        return ExitCodes.Ok;
    }
}
