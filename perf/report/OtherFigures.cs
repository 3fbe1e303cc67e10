using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Ledger.PerfReport;

/// <summary>
/// A figure of the sections ledger-bench does not drive (micro benches, the durable pipeline, replay and restart, the
/// in-process Kafka bench), parsed from their output under the results directory: its value, the same run's baseline
/// when the section has one (<see cref="BaselineName"/> and <see cref="BaselineValue"/>), or none (an absolute figure),
/// and its goal. <see cref="HigherIsBetter"/> says which way the ratio reads: <see cref="Ratio"/> is always "times better
/// than the baseline" (above 1 = better).
/// </summary>
public sealed record OtherFigure(string Section, string Figure, double Value, string Unit, bool HigherIsBetter, string? BaselineName, double? BaselineValue,
    string Goal, bool? Met, string Source)
{
    [JsonIgnore]
    public double? Ratio => BaselineValue is { } b && b > 0 && Value > 0 ? (HigherIsBetter ? Value / b : b / Value) : null;
}

/// <summary>
/// Parses the other sections' output into <see cref="OtherFigure"/>s and writes them as <c>figures.json</c> in the results
/// directory (the report reads that file, so a results directory carries every figure of its run as JSON):
/// <list type="bullet">
/// <item><c>micro/bdn/results/*.json</c>: BenchmarkDotNet's JSON export (mean ns per operation; the ring's baseline is the
/// <c>Channel</c> benchmark of the same run; the codecs and store lookups have none, and a row of bytes allocated per
/// operation each), <c>micro/throughput.log</c>: the EngineHost harness lines.</item>
/// <item><c>durable.log</c>: perf/durable's durable throughput (baseline: raw FasterLog of the same records, same run),
/// commit latency, the bounded-memory soaks (last slice against the first) and their restart, the per-step breakdown,
/// replay (baseline: the scan of the same journal without the engine) and start-up.</item>
/// <item><c>kafka.log</c>: perf/kafka's ingress, publisher rate and publisher lag.</item>
/// </list>
/// Goals are those of the issues that set them (docs/perf.md, docs/perf-history.md).
/// </summary>
public static class OtherFigures
{
    public const string FileName = "figures.json";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses what is there and writes <c>figures.json</c> (nothing when no section ran); returns the figures.</summary>
    public static List<OtherFigure> ParseAndWrite(string dir)
    {
        var figures = new List<OtherFigure>();
        figures.AddRange(Micro(dir));
        figures.AddRange(Durable(dir));
        figures.AddRange(Kafka(dir));
        string path = Path.Combine(dir, FileName);
        if (figures.Count > 0) File.WriteAllText(path, JsonSerializer.Serialize(figures, Json));
        return figures;
    }

    // ---------------- micro ----------------

    public static List<OtherFigure> Micro(string dir)
    {
        var figures = new List<OtherFigure>();
        string bdn = Path.Combine(dir, "micro", "bdn", "results");
        var benches = new Dictionary<string, (string Type, string Method, string Parameters, double MeanNs, double? Allocated)>();
        if (Directory.Exists(bdn))
        {
            foreach (string file in Directory.GetFiles(bdn, "*.json").Order(StringComparer.Ordinal))
            {
                try
                {
                    using var doc = JsonDocument.Parse(File.ReadAllText(file));
                    if (!doc.RootElement.TryGetProperty("Benchmarks", out var list)) continue;
                    foreach (var b in list.EnumerateArray())
                    {
                        if (!b.TryGetProperty("Statistics", out var stats) || stats.ValueKind != JsonValueKind.Object) continue;
                        string type = Str(b, "Type");
                        string method = Str(b, "Method");
                        string parameters = Str(b, "Parameters");
                        double? allocated = b.TryGetProperty("Memory", out var mem) && mem.ValueKind == JsonValueKind.Object && mem.TryGetProperty("BytesAllocatedPerOperation", out var a) && a.ValueKind == JsonValueKind.Number
                            ? a.GetDouble() : null;
                        benches[$"{type}.{method}({parameters})"] = (type, method, parameters, stats.GetProperty("Mean").GetDouble(), allocated);
                    }
                }
                catch (JsonException)
                {
                    // not BenchmarkDotNet's
                }
            }
        }
        foreach (var (_, b) in benches.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            string name = b.Type.Replace("Benchmarks", "", StringComparison.Ordinal) + "." + b.Method + (b.Parameters.Length > 0 ? $" ({b.Parameters})" : "");
            string source = "micro/bdn (BenchmarkDotNet, mean)";
            if (b.Type == "RingVsChannelBenchmarks")
            {
                if (b.Method == "Channel") continue; // the baseline, shown beside each ring
                var channel = benches.Values.FirstOrDefault(x => x.Type == b.Type && x.Method == "Channel" && x.Parameters == b.Parameters);
                double? baseline = channel.Method is null ? null : channel.MeanNs;
                bool? met = baseline is { } c ? c / b.MeanNs >= 2 : null;
                figures.Add(new OtherFigure("micro", name, b.MeanNs, "ns/item", false, baseline is null ? null : "bounded Channel (SingleReader), same run", baseline,
                    ">= 2x the channel", met, source));
                continue;
            }
            if (CodecAndStoreUnits.TryGetValue(b.Type, out string? unit))
            {
                // Codecs and store lookups: no same-run baseline and no goal of their own (absolute), time and allocation.
                figures.Add(new OtherFigure("micro", name, b.MeanNs, unit, false, null, null, "", null, source));
                if (b.Allocated is { } allocated)
                    figures.Add(new OtherFigure("micro", name + ", allocated", allocated, "B/op", false, null, null, "", null, source));
                continue;
            }
            string goal = "";
            bool? meets = null;
            if (b.Type == "EngineApplyBenchmarks" && b.Method == "SingleEntry")
            {
                goal = ">= 10 M entries/s (<= 100 ns/entry)";
                meets = b.MeanNs <= 100;
            }
            figures.Add(new OtherFigure("micro", name, b.MeanNs, "ns/entry", false, null, null, goal, meets, source));
            if (b.Type == "EngineApplyBenchmarks" && b.Method == "SingleEntry" && b.Allocated is { } bytes)
            {
                figures.Add(new OtherFigure("micro", name + ", allocated", bytes, "B/op", false, null, null, "0 B per command", bytes == 0, source));
            }
        }

        string harness = Path.Combine(dir, "micro", "throughput.log");
        if (File.Exists(harness))
        {
            var line = new Regex(@"^throughput wait=(\S+) producers=(\d+) batch=(\d+) .*entries_per_s=(\d+)", RegexOptions.CultureInvariant);
            foreach (string text in File.ReadLines(harness))
            {
                var m = line.Match(text);
                if (!m.Success) continue;
                figures.Add(new OtherFigure("micro", $"EngineHost pipeline, no journal, {m.Groups[1].Value} wait, {m.Groups[2].Value} producers, {m.Groups[3].Value}-entry commands",
                    D(m.Groups[4].Value), "entries/s", true, null, null, "", null, "micro/throughput.log (perf/throughput)"));
            }
        }
        return figures;
    }

    /// <summary>
    /// The codec and store benches (perf/benchmarks) and what one of their operations is: a journal record of 1 or 100
    /// entries, a 100-entry batch read at a door, one lookup.
    /// </summary>
    private static readonly Dictionary<string, string> CodecAndStoreUnits = new(StringComparer.Ordinal)
    {
        ["JournalCodecBenchmarks"] = "ns/record",
        ["EdgeCodecBenchmarks"] = "ns/100-entry batch",
        ["StoreLookupBenchmarks"] = "ns/lookup",
    };

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    // ---------------- durable ----------------

    public static List<OtherFigure> Durable(string dir)
    {
        var figures = new List<OtherFigure>();
        string path = Path.Combine(dir, "durable.log");
        if (!File.Exists(path)) return figures;
        const string src = "durable.log (perf/durable)";
        var lines = File.ReadAllLines(path);
        double? durable = null, raw = null;
        string soakBatch = "";
        double? scan = null;
        foreach (string line in lines)
        {
            Match m;
            if ((m = Regex.Match(line, @"^soak: .*?, (\d+)-entry commands")).Success) soakBatch = m.Groups[1].Value;
            else if ((m = Regex.Match(line, @"^summary: ([\d,]+) entries in (\d+) s; first slice ([\d,]+) entries/s, last ([\d,]+) .*RSS at slice 1 (\d+) MiB, max after it (\d+) MiB")).Success)
            {
                double first = D(m.Groups[3].Value), last = D(m.Groups[4].Value);
                string what = $"bounded-memory soak, {soakBatch}-entry commands ({D(m.Groups[1].Value) / 1e6:0.#} M entries)";
                bool hundred = soakBatch == "100";
                figures.Add(new OtherFigure("durable", what + ", last slice", last, "entries/s", true, "its first slice, same run", first,
                    hundred ? ">= 1.5 M entries/s; last >= 90 % of first" : "last >= 90 % of first", hundred ? last >= 1_500_000 && last >= 0.9 * first : last >= 0.9 * first, src));
                double rss1 = D(m.Groups[5].Value), rssMax = D(m.Groups[6].Value);
                figures.Add(new OtherFigure("durable", what + ", max RSS after slice 1", rssMax, "MiB", false, "RSS at slice 1, same run", rss1, "RSS flat (<= 1.15x slice 1)", rssMax <= 1.15 * rss1, src));
            }
            else if ((m = Regex.Match(line, @"^restart to ready: ([\d.]+) s \(([\d,]+) journal records replayed")).Success)
            {
                figures.Add(new OtherFigure("restart", $"restart to ready after the {soakBatch}-entry soak ({D(m.Groups[2].Value):0} records replayed)", D(m.Groups[1].Value), "s", false,
                    null, null, "<= 5 s", D(m.Groups[1].Value) <= 5, src));
            }
            else if ((m = Regex.Match(line, @"^durable: ([\d,]+) single-entry commands in ([\d.]+) s = ([\d,]+) entries/s")).Success) durable = D(m.Groups[3].Value);
            else if ((m = Regex.Match(line, @"^raw FasterLog append\+commit of the same records .*: ([\d,]+) records/s")).Success) raw = D(m.Groups[1].Value);
            else if ((m = Regex.Match(line, @"^commit of (\d+) x (\d+) B, (.+?): p50 (\d+) µs, p99 (\d+) µs")).Success)
            {
                double p99 = D(m.Groups[5].Value) / 1000;
                figures.Add(new OtherFigure("durable", $"commit of {m.Groups[1].Value} x {m.Groups[2].Value} B, {m.Groups[3].Value}, p99", p99, "ms", false, null, null, "p99 <= 5 ms", p99 <= 5, src));
            }
            else if ((m = Regex.Match(line, @"^group commit \(FasterLog commit, waited\): p50 (\d+) µs, p99 (\d+) µs")).Success)
            {
                double p99 = D(m.Groups[2].Value) / 1000;
                figures.Add(new OtherFigure("durable", "group commit at the durable peak, p99", p99, "ms", false, null, null, "p99 <= 5 ms", p99 <= 5, src));
            }
            else if ((m = Regex.Match(line, @"^engine\.Apply: ([\d.]+) ns/command; encode \(MessagePack \+ CRC-32C\): ([\d.]+) ns/record")).Success)
            {
                figures.Add(new OtherFigure("durable", "breakdown: engine.Apply", D(m.Groups[1].Value), "ns/command", false, null, null, "", null, src));
                figures.Add(new OtherFigure("durable", "breakdown: encode (MessagePack + CRC-32C)", D(m.Groups[2].Value), "ns/record", false, null, null, "", null, src));
            }
            else if ((m = Regex.Match(line, @"^(FasterLog enqueue \+ commit per 4096 \(blocking\)|check \+ decode|decode \+ apply \(replay without I/O\)): ([\d.]+) ns/record")).Success)
            {
                figures.Add(new OtherFigure("durable", "breakdown: " + m.Groups[1].Value, D(m.Groups[2].Value), "ns/record", false, null, null, "", null, src));
            }
            else if ((m = Regex.Match(line, @"^scan \(read \+ check \+ decode, no engine\): ([\d,]+) records in ([\d.]+) s = ([\d,]+) entries/s")).Success)
            {
                scan = D(m.Groups[3].Value);
                figures.Add(new OtherFigure("replay", "journal scan (read + check + decode, no engine)", scan.Value, "entries/s", true, null, null, ">= 2 M entries/s", scan >= 2_000_000, src));
            }
            else if ((m = Regex.Match(line, @"^full replay through the engine into a scratch store .*: ([\d,]+) records / ([\d,]+) entries in ([\d.]+) s = ([\d,]+) entries/s")).Success)
            {
                double rate = D(m.Groups[4].Value);
                figures.Add(new OtherFigure("replay", $"full replay through the engine into a scratch store ({D(m.Groups[2].Value) / 1e6:0.#} M entries)", rate, "entries/s", true,
                    scan is null ? null : "the scan of the same journal, no engine, same run", scan, ">= 2 M entries/s", rate >= 2_000_000, src));
            }
            else if ((m = Regex.Match(line, @"^start-up from the store's (?:checkpoint|cut): ([\d.]+) s \(([\d,]+) records replayed")).Success)
            {
                double s = D(m.Groups[1].Value);
                figures.Add(new OtherFigure("restart", $"start-up from the store's checkpoint ({D(m.Groups[2].Value):0} records replayed)", s, "s", false, null, null, "<= 2 s", s <= 2, src));
            }
            else if ((m = Regex.Match(line, @"^start-up with the store deleted \(rebuilt from the whole journal\): ([\d.]+) s \(([\d,]+) records replayed")).Success)
            {
                double s = D(m.Groups[1].Value);
                figures.Add(new OtherFigure("restart", $"start-up with the store deleted ({D(m.Groups[2].Value):0} records replayed)", s, "s", false, null, null, "<= 10 s", s <= 10, src));
            }
        }
        if (durable is { } d)
        {
            figures.Insert(0, new OtherFigure("durable", "durable pipeline: ring -> engine -> FasterLog commit -> entry store, single entries", d, "entries/s", true,
                raw is null ? null : "raw FasterLog append+commit of the same records, same run", raw, ">= 1 M entries/s", d >= 1_000_000, src));
        }
        return figures;
    }

    // ---------------- Kafka (perf/kafka, in process) ----------------

    public static List<OtherFigure> Kafka(string dir)
    {
        var figures = new List<OtherFigure>();
        string path = Path.Combine(dir, "kafka.log");
        if (!File.Exists(path)) return figures;
        const string src = "kafka.log (perf/kafka: runtime in process, mock cluster)";
        string batch = "";
        foreach (string line in File.ReadLines(path))
        {
            Match m;
            if ((m = Regex.Match(line, @"^kafka bench: (\d+) commands of (\d+) entries")).Success) batch = m.Groups[2].Value;
            else if ((m = Regex.Match(line, @"ingress \(commands in -> results out\): (\d+) entries/s")).Success)
            {
                figures.Add(new OtherFigure("kafka", $"in-process ingress, {batch}-entry commands, all produced at once", D(m.Groups[1].Value), "entries/s", true, null, null, "", null, src));
            }
            else if ((m = Regex.Match(line, @"publisher \(ledger\.events read\): (\d+) events/s")).Success)
            {
                figures.Add(new OtherFigure("kafka", $"publisher, {batch}-entry commands: events read back", D(m.Groups[1].Value), "events/s", true, null, null, "", null, src));
            }
            else if ((m = Regex.Match(line, @"publisher lag sampled every 100 ms: max (\d+) journal records, max ([\d.]+) s")).Success)
            {
                double s = D(m.Groups[2].Value);
                figures.Add(new OtherFigure("kafka", $"publisher lag, {batch}-entry commands, max", s, "s", false, null, null, "< 1 s", s < 1, src));
            }
        }
        return figures;
    }

    private static double D(string text) => double.Parse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, Inv);
}
