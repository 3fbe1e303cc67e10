using System.Diagnostics;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;

namespace Ledger.Journal.WhatIf;

/// <summary>Settings of one what-if replay. Only <see cref="Candidate"/> and <see cref="ScratchDirectory"/> are required.</summary>
public sealed record WhatIfSettings
{
    /// <summary>The catalog to try: in force for every command of the window (a journaled LoadCatalog in it is applied, then the candidate put back).</summary>
    public required HistoryCatalog Candidate { get; init; }

    /// <summary>A directory of the replay's own for its scratch entry stores (created, and deleted afterwards).</summary>
    public required string ScratchDirectory { get; init; }

    /// <summary>The window: commands applied at or after this instant (UTC ticks) are decided under the candidate and compared; earlier ones replay as journaled.</summary>
    public long FromTicks { get; init; } = long.MinValue;

    /// <summary>The window's end (inclusive, UTC ticks): the replay stops before the first command after it.</summary>
    public long ToTicks { get; init; } = long.MaxValue;

    /// <summary>The last journal record to read (a bound fixed at the start when the journal grows meanwhile, as in the service).</summary>
    public long UntilRecordNumber { get; init; } = long.MaxValue;

    /// <summary>The scratch stores' RAM (a small block cache and memtables: the replay reads and writes each key about once).</summary>
    public EntryStoreSettings StoreSettings { get; init; } = new() { BlockCacheBytes = 64L << 20, WriteBufferBytes = 32L << 20, KeyFilterBytes = 64L << 20 };

    public EngineSettings? EngineSettings { get; init; }

    /// <summary>
    /// The service's own entry store (read-only), used for the baseline when its cut fits the journal and the window runs
    /// to the journal's end: then the baseline costs a load of the live state instead of a second replay.
    /// </summary>
    public EntryStore? BaselineStore { get; init; }

    /// <summary>Called for every entry (or DELETE) whose outcome differs, in journal order.</summary>
    public Action<WhatIfChange>? OnChange { get; init; }

    /// <summary>Called every few thousand records with the phase ("baseline" or "candidate") and how far it is.</summary>
    public Action<string, RecoveryProgress>? OnProgress { get; init; }

    /// <summary>Called after every 64 records of either run (a background run paces itself, and may throw to cancel, here).</summary>
    public Action? AfterBatch { get; init; }

    public CancellationToken Cancellation { get; init; }
}

/// <summary>One entry whose outcome the candidate changes (a line of <c>changes.jsonl</c>).</summary>
public sealed record WhatIfChange(
    AccountKey Account,
    string CorrelationId,
    int EntryType,
    string Before,
    string After,
    string? Rule,
    bool KnockOn,
    long TimestampTicks,
    long RecordNumber);

/// <summary>What a candidate changes, per history code (or domain).</summary>
public sealed class WhatIfTally
{
    public long EntriesCompared { get; set; }
    public long FlippedToDeclined { get; set; }
    public long FlippedToPosted { get; set; }
    public long OtherChanges { get; set; }
    public long KnockOn { get; set; }
}

/// <summary>The totals of a what-if replay (<c>summary.json</c>) and what the report draws.</summary>
public sealed class WhatIfSummary
{
    public long RecordsRead { get; set; }
    public long CommandsCompared { get; set; }
    public long EntriesCompared { get; set; }
    public long CommandsChanged { get; set; }
    public long EntriesChanged { get; set; }
    public long FlippedToDeclined { get; set; }
    public long FlippedToPosted { get; set; }
    /// <summary>Changed outcomes that are neither flip: another decline reason, another status.</summary>
    public long OtherChanges { get; set; }
    /// <summary>Changes the catalog does not decide (funds, references, holds): knock-on effects of earlier changes.</summary>
    public long KnockOn { get; set; }
    /// <summary>Changes the catalog decides: a rule (or a code one of the catalogs lacks) declines on one side.</summary>
    public long Direct { get; set; }
    /// <summary>Minor units of the fee entries the candidate posted in the window (its catalog's fee rules; reversals of fees not subtracted).</summary>
    public long FeesPostedMinor { get; set; }
    public long AccountsWithBalanceDelta { get; set; }
    public string StateHashBaseline { get; set; } = "";
    public string StateHashCandidate { get; set; } = "";
    public long FirstRecord { get; set; }
    public long LastRecord { get; set; }
    public string? WindowFrom { get; set; }
    public string? WindowTo { get; set; }
    public int CandidateCodes { get; set; }
    public double ElapsedSeconds { get; set; }
    public double EntriesPerSecond { get; set; }

    /// <summary>Per history code (by code) and per domain: what changed.</summary>
    public SortedDictionary<int, WhatIfTally> ByCode { get; } = [];
    public SortedDictionary<string, WhatIfTally> ByDomain { get; } = new(StringComparer.Ordinal);
    /// <summary>Flips per business day (yyyy-MM-dd).</summary>
    public SortedDictionary<string, long> FlipsPerDay { get; } = new(StringComparer.Ordinal);
    /// <summary>Changes per account (most affected first when sorted by the report).</summary>
    public Dictionary<AccountKey, long> ChangesPerAccount { get; } = [];
    /// <summary>AVAILABLE candidate − baseline of every account whose balances differ at the end (bounded by accounts).</summary>
    public List<(AccountKey Account, long AvailableDeltaMinor, long HeldDeltaMinor)> BalanceDeltas { get; } = [];
}

/// <summary>
/// The digital twin's what-if (issue 16): replays the journal's commands as they arrived (their timestamps, entries,
/// domains) through a scratch engine and scratch entry store, with <see cref="WhatIfSettings.Candidate"/> in force in the
/// window, and compares each command's decision with the journaled one. Knock-on effects follow by construction (the
/// candidate's state feeds every later decision); a change is direct when a rule or an unknown code declines on one side,
/// else <c>knockOn</c> (funds, references, holds differ because an earlier decision did). The baseline (the journal as decided) is rebuilt the same way, for its state hash
/// and final balances. Never writes to the data directory: everything it writes goes under the scratch directory.
/// RAM: two engines (the live state twice) and two scratch stores' caches, never the history.
/// Usage: <c>var summary = WhatIfReplay.Run(log, new WhatIfSettings { Candidate = c, ScratchDirectory = dir });</c>
/// </summary>
public static class WhatIfReplay
{
    private const int RecordsPerBatch = 64;
    private const int ProgressEvery = 1 << 14;

    public static WhatIfSummary Run(JournalLog log, WhatIfSettings options)
    {
        if (log.Archive.IsArchived)
        {
            throw new JournalFormatException(
                $"A what-if replays from record 1, but the journal in '{log.Directory}' begins at record {log.Archive.FirstRecordNumber}; " +
                $"records before it were archived to '{log.Archive.ArchivedTo}'. Copy them back to replay the whole history.");
        }
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.ScratchDirectory);
        var summary = new WhatIfSummary
        {
            WindowFrom = options.FromTicks == long.MinValue ? null : Instant(options.FromTicks),
            WindowTo = options.ToTicks == long.MaxValue ? null : Instant(options.ToTicks),
            CandidateCodes = options.Candidate.Definitions.Count,
        };
        string baselineDir = Path.Combine(options.ScratchDirectory, "baseline");
        string candidateDir = Path.Combine(options.ScratchDirectory, "candidate");
        try
        {
            var baseline = Baseline(log, options, baselineDir);
            options.Cancellation.ThrowIfCancellationRequested();
            var candidate = Candidate(log, options, candidateDir, summary);
            summary.StateHashBaseline = baseline.ComputeStateHash().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
            summary.StateHashCandidate = candidate.ComputeStateHash().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
            foreach (ref readonly var a in baseline.Accounts.All)
            {
                var b = candidate.TryGetAccount(a.Key, out var c) ? c.Balances : default;
                if (b == a.Balances) continue;
                summary.BalanceDeltas.Add((a.Key, b.AvailableMinor - a.AvailableMinor, b.HeldMinor - a.HeldMinor));
            }
            summary.AccountsWithBalanceDelta = summary.BalanceDeltas.Count;
            summary.ElapsedSeconds = clock.Elapsed.TotalSeconds;
            summary.EntriesPerSecond = summary.ElapsedSeconds > 0 ? summary.EntriesCompared / summary.ElapsedSeconds : 0;
            return summary;
        }
        finally
        {
            EntryStore.Delete(baselineDir);
            EntryStore.Delete(candidateDir);
            try
            {
                Directory.Delete(options.ScratchDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Left behind for the operator (it is under a temporary directory of the replay's own).
            }
        }
    }

    /// <summary>The journal as decided, to the window's end: from the service's store cut when it fits, else replayed from record 1.</summary>
    private static LedgerEngine Baseline(JournalLog log, WhatIfSettings options, string scratch)
    {
        long applied = 0;
        var recovery = new RecoverySettings
        {
            OnRecord = options.AfterBatch is null ? null : (_, _) =>
            {
                if ((++applied & (RecordsPerBatch - 1)) == 0) options.AfterBatch();
            },
            UntilTimestampTicks = options.ToTicks,
            UntilRecordNumber = options.UntilRecordNumber,
            EngineSettings = options.EngineSettings,
            OnProgress = p => options.OnProgress?.Invoke("baseline", p),
        };
        var store = options.BaselineStore;
        if (store?.Cut is { } cut && LedgerRecovery.CheckStore(log, store) is null &&
            cut.ClockTicks <= options.ToTicks && cut.RecordNumber <= options.UntilRecordNumber)
        {
            return LedgerRecovery.Recover(log, store, recovery).Engine;
        }
        using var scratchStore = EntryStore.Open(scratch, options.StoreSettings);
        return LedgerRecovery.Recover(log, scratchStore, recovery).Engine;
    }

    private static LedgerEngine Candidate(JournalLog log, WhatIfSettings options, string scratch, WhatIfSummary summary)
    {
        using var store = EntryStore.Open(scratch, options.StoreSettings);
        using var prefetcher = store.Prefetcher();
        using var writer = store.Writer();
        using var cursor = new JournalCursor(log, log.StartAddress, 1, 0, follow: false);
        var records = new JournalRecord[RecordsPerBatch];
        for (int i = 0; i < records.Length; i++) records[i] = new JournalRecord();
        LedgerEngine? engine = null;
        bool inWindow = false;
        long total = Math.Max(1, log.CommittedUntilAddress - log.StartAddress);
        var outcome = ReadOutcome.Record;
        bool past = false;
        while (outcome == ReadOutcome.Record && !past)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            int n = 0;
            while (n < records.Length && (outcome = cursor.TryRead(records[n])) == ReadOutcome.Record)
            {
                var record = records[n];
                if (record.TimestampTicks > options.ToTicks || record.RecordNumber > options.UntilRecordNumber)
                {
                    past = true;
                    break;
                }
                var command = record.CommandAtItsAddress();
                prefetcher.Add(command);
                n++;
            }
            prefetcher.EndOfBatch();
            for (int i = 0; i < n; i++)
            {
                var record = records[i];
                var command = record.Command;
                if (engine is null)
                {
                    if (record.Kind != CommandKind.LoadCatalog)
                        throw new JournalFormatException($"Journal record {record.RecordNumber} in '{log.Directory}' is a {record.Kind}, not the catalog every journal starts with.");
                    engine = new LedgerEngine(command.Catalog!, options.EngineSettings);
                    summary.FirstRecord = record.RecordNumber;
                }
                if (!inWindow && record.TimestampTicks >= options.FromTicks)
                {
                    inWindow = true;
                    engine.ReplaceCatalogForWhatIf(options.Candidate);
                }
                if (!inWindow)
                {
                    LedgerRecovery.ApplyChecked(engine, record); // before the window: exactly as journaled
                }
                else
                {
                    command.DeriveFeeIds(engine.Catalog); // the candidate's fees: ids derived here, not in the engine
                    engine.Apply(command);
                    if (command.Kind == CommandKind.LoadCatalog) engine.ReplaceCatalogForWhatIf(options.Candidate); // the candidate stays in force
                    else Compare(record, engine, summary, options.OnChange);
                }
                if (command.ChangedState) writer.Add(command);
                summary.RecordsRead++;
                summary.LastRecord = record.RecordNumber;
                if ((summary.RecordsRead & (ProgressEvery - 1)) == 0) options.OnProgress?.Invoke("candidate", new RecoveryProgress(summary.RecordsRead, record.NextAddress - log.StartAddress, total));
            }
            writer.EndOfBatch();
            options.AfterBatch?.Invoke();
        }
        if (cursor.Damage is { } damage) throw new JournalFormatException($"The journal is damaged at record {damage.ExpectedRecordNumber}: {damage.Reason}. Run verify.");
        return engine ?? throw new JournalFormatException($"The journal in '{log.Directory}' has no record to replay.");
    }

    /// <summary>Compares the candidate's decision of one command (just applied) with the journaled one.</summary>
    private static void Compare(JournalRecord record, LedgerEngine engine, WhatIfSummary summary, Action<WhatIfChange>? onChange)
    {
        var command = record.Command;
        var before = record.Result;
        var after = command.Result;
        summary.CommandsCompared++;
        bool changed = false;
        switch (command.Kind)
        {
            case CommandKind.PostEntries when after.Replayed:
                // An idempotent resend, journaled only because a hold expired as it arrived (a replay changes nothing
                // else). Its ids were decided by an earlier command in both runs (every journaled post remembers its
                // ids, applied or declined), so it was a replay in the journal too: compared where first decided.
                break;
            case CommandKind.PostEntries:
            {
                int n = command.EntryCount;
                summary.EntriesCompared += n;
                // Fees the candidate posts (a fee entry's kind is its carrier's: a posting's fee, not the reversal of one).
                if (after.Code == ResultCode.Ok)
                {
                    for (int f = n; f < command.ResultCount; f++)
                    {
                        if (command.Entries[command.EntryResults[f].FeeOfIndex].Kind == EntryKind.Ledger) summary.FeesPostedMinor += command.EntryResults[f].AmountMinor;
                    }
                }
                int applied = 0;
                var journaled = record.EventSpan;
                int e = 0;
                for (int i = 0; i < n; i++)
                {
                    ref readonly var entry = ref command.Entries[i];
                    // The journaled status of entry i: its EntryApplied event (they come in entry order).
                    var beforeStatus = EntryStatus.None;
                    int beforeType = entry.EntryType;
                    if (before.Code == ResultCode.Ok)
                    {
                        while (e < journaled.Length && journaled[e].Kind != LedgerEventKind.EntryApplied) e++;
                        if (e < journaled.Length)
                        {
                            beforeStatus = journaled[e].Status;
                            beforeType = journaled[e].EntryType;
                            e++;
                        }
                    }
                    var afterStatus = after.Code == ResultCode.Ok ? command.EntryResults[i].Status : EntryStatus.None;
                    int type = after.Code == ResultCode.Ok ? command.EntryResults[i].EntryType : beforeType;
                    string b = Outcome(before.Code, before.Rule, beforeStatus, before.EntryIndex == i);
                    string a = Outcome(after.Code, after.Rule, afterStatus, after.EntryIndex == i);
                    var code = engine.Catalog.Find(type);
                    var tally = Tally(summary, type, code?.Domain);
                    tally.Code.EntriesCompared++;
                    if (tally.Domain is { } domainTally) domainTally.EntriesCompared++;
                    if (string.Equals(a, b, StringComparison.Ordinal)) continue;
                    applied++;
                    bool knockOn = IsKnockOn(before.Code, after.Code);
                    Count(summary, tally, before.Code, after.Code, knockOn, record.TimestampTicks, entry.Account);
                    onChange?.Invoke(new WhatIfChange(entry.Account, entry.CorrelationId, type, b, a,
                        after.Code == ResultCode.RuleDeclined ? after.Rule : before.Code == ResultCode.RuleDeclined ? before.Rule : null,
                        knockOn, record.TimestampTicks, record.RecordNumber));
                }
                changed = applied > 0;
                break;
            }
            case CommandKind.RemoveEntry:
            {
                if (before.Code == after.Code) break;
                changed = true;
                bool knockOn = IsKnockOn(before.Code, after.Code);
                var tally = Tally(summary, -1, null);
                Count(summary, tally, before.Code, after.Code, knockOn, record.TimestampTicks, command.TargetAccount);
                onChange?.Invoke(new WhatIfChange(command.TargetAccount, command.TargetCorrelationId ?? "", -1,
                    before.Code == ResultCode.Ok ? "REMOVED (DELETE)" : Name(before.Code), after.Code == ResultCode.Ok ? "REMOVED (DELETE)" : Name(after.Code),
                    null, knockOn, record.TimestampTicks, record.RecordNumber));
                break;
            }
            default:
                changed = before.Code != after.Code;
                break;
        }
        if (changed) summary.CommandsChanged++;
    }

    /// <summary>
    /// Direct: the catalog decides the difference (either side declined by a rule, or by a code one catalog lacks).
    /// Knock-on: anything else (funds, references, holds) can only differ because an earlier decision did.
    /// </summary>
    private static bool IsKnockOn(ResultCode before, ResultCode after) =>
        before is not (ResultCode.RuleDeclined or ResultCode.UnknownHistoryCode) && after is not (ResultCode.RuleDeclined or ResultCode.UnknownHistoryCode);

    private static (WhatIfTally Code, WhatIfTally? Domain) Tally(WhatIfSummary summary, int code, string? domain)
    {
        if (!summary.ByCode.TryGetValue(code, out var c)) summary.ByCode[code] = c = new WhatIfTally();
        WhatIfTally? d = null;
        if (domain is not null && !summary.ByDomain.TryGetValue(domain, out d)) summary.ByDomain[domain] = d = new WhatIfTally();
        return (c, d);
    }

    private static void Count(WhatIfSummary summary, (WhatIfTally Code, WhatIfTally? Domain) tally, ResultCode before, ResultCode after, bool knockOn, long ticks, AccountKey account)
    {
        summary.EntriesChanged++;
        bool toDeclined = before == ResultCode.Ok && after != ResultCode.Ok;
        bool toPosted = before != ResultCode.Ok && after == ResultCode.Ok;
        foreach (var t in new[] { tally.Code, tally.Domain })
        {
            if (t is null) continue;
            if (toDeclined) t.FlippedToDeclined++;
            else if (toPosted) t.FlippedToPosted++;
            else t.OtherChanges++;
            if (knockOn) t.KnockOn++;
        }
        if (toDeclined) summary.FlippedToDeclined++;
        else if (toPosted) summary.FlippedToPosted++;
        else summary.OtherChanges++;
        if (knockOn) summary.KnockOn++;
        else summary.Direct++;
        if (toDeclined || toPosted)
        {
            string day = new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            summary.FlipsPerDay[day] = summary.FlipsPerDay.GetValueOrDefault(day) + 1;
        }
        summary.ChangesPerAccount[account] = summary.ChangesPerAccount.GetValueOrDefault(account) + 1;
    }

    /// <summary>An entry's outcome as a word: its status when applied, else the decline (the failing entry names the rule).</summary>
    private static string Outcome(ResultCode code, string? rule, EntryStatus status, bool failing)
    {
        if (code == ResultCode.Ok) return status.ToString().ToUpperInvariant();
        string name = Name(code);
        if (code == ResultCode.RuleDeclined && rule is not null) name += $" ({rule})";
        return failing ? name : name + " (batch)";
    }

    /// <summary>A result code as the Problem <c>type</c>'s last segment spells it (InsufficientFunds: insufficient-funds).</summary>
    public static string Name(ResultCode code)
    {
        string s = code.ToString();
        var b = new System.Text.StringBuilder(s.Length + 4);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0) b.Append('-');
            b.Append(char.ToLowerInvariant(s[i]));
        }
        return b.ToString();
    }

    public static string Instant(long ticks) =>
        new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The summary's JSON (<c>summary.json</c>, and the body of <c>GET /v1/simulations/{id}</c> once done): one writer for both.</summary>
public static class WhatIfSummaryJson
{
    public static void Write(System.Text.Json.Utf8JsonWriter w, WhatIfSummary s)
    {
        w.WriteStartObject();
        w.WriteNumber("commandsCompared", s.CommandsCompared);
        w.WriteNumber("entriesCompared", s.EntriesCompared);
        w.WriteNumber("commandsChanged", s.CommandsChanged);
        w.WriteNumber("entriesChanged", s.EntriesChanged);
        w.WriteNumber("flippedToDeclined", s.FlippedToDeclined);
        w.WriteNumber("flippedToPosted", s.FlippedToPosted);
        w.WriteNumber("otherChanges", s.OtherChanges);
        w.WriteNumber("knockOn", s.KnockOn);
        w.WriteNumber("direct", s.Direct);
        w.WriteNumber("feesPostedMinor", s.FeesPostedMinor);
        w.WriteNumber("accountsWithBalanceDelta", s.AccountsWithBalanceDelta);
        w.WriteString("stateHashBaseline", s.StateHashBaseline);
        w.WriteString("stateHashCandidate", s.StateHashCandidate);
        w.WriteNumber("recordsRead", s.RecordsRead);
        w.WriteNumber("firstRecord", s.FirstRecord);
        w.WriteNumber("lastRecord", s.LastRecord);
        if (s.WindowFrom is null) w.WriteNull("from");
        else w.WriteString("from", s.WindowFrom);
        if (s.WindowTo is null) w.WriteNull("to");
        else w.WriteString("to", s.WindowTo);
        w.WriteStartObject("byCode");
        foreach (var (code, t) in s.ByCode)
        {
            if (t.EntriesCompared == 0 && t.FlippedToDeclined + t.FlippedToPosted + t.OtherChanges == 0) continue;
            WriteTally(w, code.ToString(System.Globalization.CultureInfo.InvariantCulture), t);
        }
        w.WriteEndObject();
        w.WriteStartObject("byDomain");
        foreach (var (domain, t) in s.ByDomain) WriteTally(w, domain, t);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static byte[] ToUtf8(WhatIfSummary s, bool indented = true)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = indented })) Write(w, s);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTally(System.Text.Json.Utf8JsonWriter w, string name, WhatIfTally t)
    {
        w.WriteStartObject(name);
        w.WriteNumber("entriesCompared", t.EntriesCompared);
        w.WriteNumber("flippedToDeclined", t.FlippedToDeclined);
        w.WriteNumber("flippedToPosted", t.FlippedToPosted);
        w.WriteNumber("otherChanges", t.OtherChanges);
        w.WriteNumber("knockOn", t.KnockOn);
        w.WriteEndObject();
    }
}
