using System.Diagnostics;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;

namespace Ledger.Journal.WhatIf;

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

    /// <summary>The journal as decided, to the window's end: from the service's store checkpoint when it fits, else replayed from record 1.</summary>
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
        if (store?.LastCheckpoint is { } checkpoint && LedgerRecovery.CheckStore(log, store) is null &&
            checkpoint.ClockTicks <= options.ToTicks && checkpoint.RecordNumber <= options.UntilRecordNumber)
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
                    // The candidate's fees: ids derived here, as the prefetch stage does (in order, after the lookups), not in the engine.
                    command.DeriveLedgerFeeIds(engine.Catalog);
                    command.DeriveReversalFeeIds(feesSeen: true);
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
        summary.CountChange(toDeclined, toPosted, knockOn);
        tally.Code.CountChange(toDeclined, toPosted, knockOn);
        tally.Domain?.CountChange(toDeclined, toPosted, knockOn);
        if (!knockOn) summary.Direct++;
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

