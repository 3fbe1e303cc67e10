using System.Globalization;
using System.Text;
using Ledger.Journal.WhatIf;

namespace Ledger.ReplayTool;

/// <summary>
/// <c>report.md</c> of a what-if: the totals, per code and per domain, the most affected accounts, and two PNG plots
/// drawn with ScottPlot (the distribution of AVAILABLE deltas, flips per business day). ScottPlot needs fonts on the
/// machine (<c>fonts-dejavu-core</c>) or it draws no text.
/// </summary>
internal static class WhatIfReport
{
    private const int TopAccounts = 20;

    public static void Write(string outDir, WhatIfSummary s, string catalogPath, string dataDir)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# What-if report").AppendLine();
        md.AppendLine(inv, $"Journal: `{dataDir}`, records {s.FirstRecord}..{s.LastRecord}; candidate catalog: `{catalogPath}` ({s.CandidateCodes} codes).");
        md.AppendLine(inv, $"Window: {s.WindowFrom ?? "the journal's start"} to {s.WindowTo ?? "its end"}.").AppendLine();
        md.AppendLine("| | |").AppendLine("| --- | --- |");
        md.AppendLine(inv, $"| commands compared | {s.CommandsCompared:N0} |");
        md.AppendLine(inv, $"| entries compared | {s.EntriesCompared:N0} |");
        md.AppendLine(inv, $"| entries changed | {s.EntriesChanged:N0} |");
        md.AppendLine(inv, $"| flipped to declined | {s.FlippedToDeclined:N0} |");
        md.AppendLine(inv, $"| flipped to posted | {s.FlippedToPosted:N0} |");
        md.AppendLine(inv, $"| other changes (another reason or status) | {s.OtherChanges:N0} |");
        md.AppendLine(inv, $"| direct (a rule or code decides) / knock-on | {s.Direct:N0} / {s.KnockOn:N0} |");
        md.AppendLine(inv, $"| accounts ending with other balances | {s.AccountsWithBalanceDelta:N0} |");
        md.AppendLine(inv, $"| state hash baseline / candidate | `{s.StateHashBaseline}` / `{s.StateHashCandidate}` |");
        md.AppendLine(inv, $"| replay time | {s.ElapsedSeconds:0.0} s ({s.EntriesPerSecond:N0} entries/s, both runs) |").AppendLine();

        md.AppendLine("## Per history code").AppendLine();
        md.AppendLine("| code | entries | to declined | to posted | other | knock-on |").AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (code, t) in s.ByCode)
        {
            md.AppendLine(inv, $"| {(code < 0 ? "DELETE" : code.ToString(inv))} | {t.EntriesCompared:N0} | {t.FlippedToDeclined:N0} | {t.FlippedToPosted:N0} | {t.OtherChanges:N0} | {t.KnockOn:N0} |");
        }
        md.AppendLine().AppendLine("## Per domain").AppendLine();
        md.AppendLine("| domain | entries | to declined | to posted | other | knock-on |").AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (domain, t) in s.ByDomain)
        {
            md.AppendLine(inv, $"| {domain} | {t.EntriesCompared:N0} | {t.FlippedToDeclined:N0} | {t.FlippedToPosted:N0} | {t.OtherChanges:N0} | {t.KnockOn:N0} |");
        }

        md.AppendLine().AppendLine(inv, $"## Most affected accounts (top {TopAccounts})").AppendLine();
        md.AppendLine("| account | changed entries | AVAILABLE delta | HELD delta |").AppendLine("| --- | ---: | ---: | ---: |");
        var deltas = s.BalanceDeltas.ToDictionary(d => d.Account, d => (d.AvailableDeltaMinor, d.HeldDeltaMinor));
        foreach (var (account, count) in s.ChangesPerAccount.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Packed).Take(TopAccounts))
        {
            var (available, held) = deltas.GetValueOrDefault(account);
            md.AppendLine(inv, $"| {account} | {count:N0} | {available:N0} | {held:N0} |");
        }

        md.AppendLine().AppendLine("## Plots").AppendLine();
        if (s.BalanceDeltas.Count > 0)
        {
            PlotDeltas(Path.Combine(outDir, "balance-deltas.png"), s);
            md.AppendLine("![AVAILABLE candidate - baseline, per account that differs](balance-deltas.png)").AppendLine();
        }
        else
        {
            md.AppendLine("No account ends with other balances: no balance-delta plot.").AppendLine();
        }
        if (s.FlipsPerDay.Count > 0)
        {
            PlotFlips(Path.Combine(outDir, "flips-per-day.png"), s);
            md.AppendLine("![Flips (to declined or to posted) per business day](flips-per-day.png)");
        }
        else
        {
            md.AppendLine("No flip: no flips-per-day plot.");
        }
        File.WriteAllText(Path.Combine(outDir, "report.md"), md.ToString(), new UTF8Encoding(false));
    }

    private static void PlotDeltas(string path, WhatIfSummary s)
    {
        var values = s.BalanceDeltas.Select(d => (double)d.AvailableDeltaMinor).ToArray();
        double min = values.Min(), max = values.Max();
        int bins = Math.Clamp((int)Math.Sqrt(values.Length), 1, 50);
        if (max <= min) max = min + 1;
        double width = (max - min) / bins;
        var counts = new double[bins];
        foreach (double v in values) counts[Math.Min(bins - 1, (int)((v - min) / width))]++;
        using var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(Enumerable.Range(0, bins).Select(i => min + (i + 0.5) * width).ToArray(), counts);
        foreach (var bar in bars.Bars) bar.Size = width * 0.9; // a bar as wide as its bin (the default is 1 unit)
        plot.Title("AVAILABLE: candidate - baseline, per account that differs");
        plot.XLabel("delta (minor units)");
        plot.YLabel("accounts");
        plot.SavePng(path, 900, 500);
    }

    private static void PlotFlips(string path, WhatIfSummary s)
    {
        var days = s.FlipsPerDay.Keys.ToArray();
        using var plot = new ScottPlot.Plot();
        plot.Add.Bars(Enumerable.Range(0, days.Length).Select(i => (double)i).ToArray(), s.FlipsPerDay.Values.Select(v => (double)v).ToArray());
        var ticks = days.Select((d, i) => new ScottPlot.Tick(i, d)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Title("Flips per business day (UTC)");
        plot.YLabel("entries flipped");
        plot.SavePng(path, 900, 500);
    }
}
