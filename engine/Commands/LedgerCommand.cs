using System.Threading.Tasks.Sources;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.State;

namespace Ledger.Engine.Commands;

/// <summary>
/// A command travelling through the ring: the request (filled by a gateway), then the engine's decision
/// (results and events written in place), then durability (completed after the journal commit).
/// Instances are pooled and reused (<see cref="LedgerCommandPool"/>), so a producer awaits its result with
/// <see cref="WhenDone"/> without a Task per command.
/// <para>Two owners: the producer is answered once the journal commit returned (<see cref="WhenDone"/>), while the
/// stages behind the journal (entry store, read side) still read the command. It is recycled when both have let go:
/// <see cref="LedgerCommandPool.Return"/> by the producer, <see cref="ReleaseFromPipeline"/> by the host's last stage,
/// in either order; <see cref="Reset"/> of a command the pipeline still holds waits for it.</para>
/// Usage: <c>var c = pool.Rent(); c.SetBatch(...); await host.SubmitAsync(c); read c.Result; pool.Return(c);</c>
/// </summary>
public sealed class LedgerCommand : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _completion = new() { RunContinuationsAsynchronously = true };

    // Ownership bits (see the class comment): set by the host at publish, cleared by its last stage; the producer's
    // return raises ReturnRequested. Whoever changes the state second recycles the command, exactly once.
    private const int InPipeline = 1, ReturnRequested = 2;
    private int _ownership;

    /// <summary>The pool this command goes back to once the producer and the pipeline have let go (null: not pooled).</summary>
    internal LedgerCommandPool? Pool;

    // ---- request ----
    public CommandKind Kind;
    /// <summary>UTC ticks stamped by the publisher; the engine raises it to the ledger's clock if it is behind, so journaled time is monotonic.</summary>
    public long TimestampTicks;
    /// <summary>Bit i set: the partner may post codes of catalog domain i. All bits: <c>domain:*</c>.</summary>
    public ulong PermittedDomains = ulong.MaxValue;
    /// <summary>Set for a multi-account bundle (idempotent by this id); null for a single-account batch.</summary>
    public string? BundleId;
    public EntryRequest[] Entries = new EntryRequest[4];
    public int EntryCount;
    public AccountOpening[] Openings = new AccountOpening[1];
    public int OpeningCount;
    /// <summary>For <see cref="CommandKind.LoadCatalog"/>.</summary>
    public HistoryCatalog? Catalog;
    /// <summary>
    /// True for a command read back from the journal (recovery, tools): it is a fact already decided, so limits that
    /// refuse new work (<see cref="ResultCode.OpenHoldsLimit"/>) do not apply to it.
    /// </summary>
    public bool FromJournal;
    /// <summary>For <see cref="CommandKind.RemoveEntry"/>: the account and correlation id of the pending entry.</summary>
    public AccountKey TargetAccount;
    public string? TargetCorrelationId;

    // ---- prefetched (written by the prefetch stage, before the engine) ----
    /// <summary>True when <see cref="Lookups"/> hold what the entry store had for every key the command names (see <see cref="LookupPlan"/>).</summary>
    public bool Prefetched;
    /// <summary>The entry store's watermark when the lookups were read: it held every change of commands up to this journal record number.</summary>
    public long StoreWatermark;
    /// <summary>
    /// Whether the catalog this command will be decided under may post a fee (set by the pipeline's prefetch stage, which
    /// follows the catalogs in ring order). False lets the prefetch leave out the fee key of a ledger entry unless the
    /// store holds that entry with a fee (<see cref="LookupPlan.Deferred"/>). True by default: every key is looked up.
    /// </summary>
    public bool FeesInForce = true;
    public EntryLookup[] Lookups = new EntryLookup[2];
    public int LookupCount;

    // ---- decision (written by the engine) ----
    public CommandResult Result;
    /// <summary>One per entry (or per account opening), valid when <see cref="Result"/> is Ok or replayed.</summary>
    public EntryResult[] EntryResults = new EntryResult[4];
    public LedgerEvent[] Events = new LedgerEvent[4];
    public int EventCount;
    /// <summary>True when the command changed the ledger (so it must be journaled before it is acknowledged).</summary>
    public bool ChangedState;
    /// <summary>When <see cref="ChangedState"/>: the journal record number the command gets (the engine counts them; the journal checks it).</summary>
    public long RecordNumber;
    /// <summary>The ledger's last entry sequence and running history hash after the command (the entry store keeps them with its watermark).</summary>
    public long LastSequenceAfter;
    public ulong HistoryHashAfter;
    /// <summary>Accounts and open holds the ledger has after the command (the store's checkpoint records them, recovery checks them).</summary>
    public long AccountsAfter;
    public long OpenHoldsAfter;
    /// <summary>Final images of the entries (and bundle ids) the command created or changed: what the store writer writes.</summary>
    public EntryImage[] Changes = new EntryImage[4];
    public int ChangeCount;
    /// <summary>Accounts the command opened or whose balances it changed, as they stand after it.</summary>
    public AccountState[] AccountChanges = new AccountState[2];
    public int AccountChangeCount;
    /// <summary>Daily rule counters the command changed, as they stand after it (the store keeps them with its checkpoint).</summary>
    public DailyCounter[] CounterChanges = new DailyCounter[2];
    public int CounterChangeCount;

    // ---- journaled (set by the journal writer, or by recovery from the record read) ----
    /// <summary>The journal address of this command's record, and right after it (where a reader resumes).</summary>
    public long JournalAddress;
    public long JournalNextAddress;
    /// <summary>The record's CRC-32C: with its address, it identifies the record in this journal and no other.</summary>
    public uint JournalChecksum;

    // ---- durability ----
    /// <summary>Set by the host when the journal failed: the command is not acknowledged.</summary>
    public Exception? Failure;

    /// <summary>Results the command answers: its entries, then the fee entries it posted (<see cref="CommandResult.FeeCount"/>).</summary>
    public int ResultCount => EntryCount + Result.FeeCount;

    public ReadOnlySpan<EntryRequest> EntrySpan => Entries.AsSpan(0, EntryCount);
    public ReadOnlySpan<LedgerEvent> EventSpan => Events.AsSpan(0, EventCount);
    public ReadOnlySpan<EntryImage> ChangeSpan => Changes.AsSpan(0, ChangeCount);
    public ReadOnlySpan<AccountState> AccountChangeSpan => AccountChanges.AsSpan(0, AccountChangeCount);
    public ReadOnlySpan<DailyCounter> CounterChangeSpan => CounterChanges.AsSpan(0, CounterChangeCount);

    /// <summary>Prepares a post of <paramref name="count"/> entries; fill <see cref="Entries"/>[0..count).</summary>
    public void SetPost(int count, string? bundleId = null)
    {
        Kind = CommandKind.PostEntries;
        BundleId = bundleId;
        EnsureEntryCapacity(count);
        EntryCount = count;
    }

    /// <summary>
    /// Gives every ledger and reversal entry its fee id (<see cref="FeeIds"/>) where it has none, whatever the catalog
    /// (tests that hand commands to an engine without a pipeline). In the service the prefetch stage derives only the
    /// ids a fee may need (<see cref="DeriveLedgerFeeIds"/>, <see cref="DeriveReversalFeeIds"/>), and the journal's
    /// reader those of the fees a record holds; an id too long to carry a fee gets none (the engine refuses that entry
    /// if it would carry one).
    /// </summary>
    public void DeriveFeeIds()
    {
        if (Kind != CommandKind.PostEntries) return;
        for (int i = 0; i < EntryCount; i++) DeriveFeeId(ref Entries[i]);
    }

    /// <summary>
    /// Prefetch side, before the lookups: gives a fee id to each ledger entry whose code has a fee under
    /// <paramref name="catalog"/>, the catalog the command is decided under (the prefetch stage follows them in ring
    /// order), so the engine, which posts the fee with that id, allocates nothing. Nothing when no code has a fee.
    /// </summary>
    public void DeriveLedgerFeeIds(HistoryCatalog catalog)
    {
        if (Kind != CommandKind.PostEntries || !catalog.HasFees) return;
        for (int i = 0; i < EntryCount; i++)
        {
            ref var e = ref Entries[i];
            if (e.Kind == Domain.EntryKind.Ledger && catalog.Find(e.EntryType)?.Fee is not null) DeriveFeeId(ref e);
        }
    }

    /// <summary>
    /// Prefetch side, after the lookups: gives a fee id to each reversal that may reverse a fee (which the engine then
    /// reverses with that id): the store holds the entry it reverses with a fee, or the store does not hold that entry
    /// (it may be in the engine's cache alone, or not exist) and <paramref name="feesSeen"/>: a fee may have been posted
    /// since the store last held everything the engine does (some catalog in force since then had a fee). Whether an
    /// entry carried a fee never changes, so the store's answer is the engine's.
    /// </summary>
    public void DeriveReversalFeeIds(bool feesSeen)
    {
        if (Kind != CommandKind.PostEntries) return;
        for (int i = 0; i < EntryCount; i++)
        {
            ref var e = ref Entries[i];
            if (e.Kind != Domain.EntryKind.Reversal) continue;
            bool inStore = Prefetched && Lookups[LookupPlan.Reference(i)].Found;
            if (inStore ? Lookups[LookupPlan.Reference(i)].Image.HasFee : feesSeen) DeriveFeeId(ref e);
        }
    }

    private static void DeriveFeeId(ref EntryRequest e)
    {
        if (e.FeeCorrelationId is null && FeeIds.MayCarry(e.Kind) && e.CorrelationId is { Length: > 0 and <= FeeIds.CarrierIdLengthMax } id)
            e.FeeCorrelationId = FeeIds.Of(id);
    }

    public void SetOpenAccounts(int count)
    {
        Kind = CommandKind.OpenAccounts;
        if (Openings.Length < count) Openings = new AccountOpening[count];
        OpeningCount = count;
        EnsureResultCapacity(count);
    }

    public void SetRemove(AccountKey account, string correlationId)
    {
        Kind = CommandKind.RemoveEntry;
        TargetAccount = account;
        TargetCorrelationId = correlationId;
        EnsureResultCapacity(1);
    }

    public void SetTick() => Kind = CommandKind.Tick;

    public void SetLoadCatalog(HistoryCatalog catalog)
    {
        Kind = CommandKind.LoadCatalog;
        Catalog = catalog;
    }

    /// <summary>
    /// Grows the entry array to at least <paramref name="count"/>, keeping the entries already filled (a reader may grow
    /// while it parses), and what the stages write for that many entries (events, changes, lookups), so the engine and
    /// prefetch threads never grow a pooled command's arrays: the producer that sizes it pays, once.
    /// </summary>
    public void EnsureEntryCapacity(int count)
    {
        if (Entries.Length < count) Array.Resize(ref Entries, Math.Max(count, Entries.Length * 2));
        EnsureResultCapacity(2 * count); // each entry may carry a fee entry, answered after the requested ones
        if (Events.Length < count) Array.Resize(ref Events, Math.Max(count, Events.Length * 2));
        if (Changes.Length < count) Changes = new State.EntryImage[Math.Max(count, Changes.Length * 2)]; // a new entry each; references, fees and expiries grow it rarely
        int lookups = LookupPlan.CountOf(count);
        if (Lookups.Length < lookups) Lookups = new EntryLookup[Math.Max(lookups, Lookups.Length * 2)];
    }

    private void EnsureResultCapacity(int count)
    {
        if (EntryResults.Length < count) EntryResults = new EntryResult[Math.Max(count, EntryResults.Length * 2)];
    }

    /// <summary>Prefetch side: sizes <see cref="Lookups"/> for the command's plan and returns the count.</summary>
    public int PrepareLookups()
    {
        int count = LookupPlan.Count(this);
        if (Lookups.Length < count) Lookups = new EntryLookup[Math.Max(count, Lookups.Length * 2)];
        LookupCount = count;
        return count;
    }

    internal ref EntryImage AddChange()
    {
        if (ChangeCount == Changes.Length) Array.Resize(ref Changes, Changes.Length * 2);
        return ref Changes[ChangeCount++];
    }

    internal ref DailyCounter AddCounterChange()
    {
        if (CounterChangeCount == CounterChanges.Length) Array.Resize(ref CounterChanges, CounterChanges.Length * 2);
        return ref CounterChanges[CounterChangeCount++];
    }

    internal ref AccountState AddAccountChange()
    {
        if (AccountChangeCount == AccountChanges.Length) Array.Resize(ref AccountChanges, AccountChanges.Length * 2);
        return ref AccountChanges[AccountChangeCount++];
    }

    /// <summary>Engine side: appends an event, growing the array only when a command produces more than ever before.</summary>
    internal ref LedgerEvent AddEvent()
    {
        if (EventCount == Events.Length) Array.Resize(ref Events, Events.Length * 2);
        ref var e = ref Events[EventCount++];
        e = default;
        return ref e;
    }

    /// <summary>Clears the request and decision so the instance can be reused (waiting, if need be, until the pipeline has let go of it).</summary>
    public void Reset()
    {
        if ((Volatile.Read(ref _ownership) & InPipeline) != 0) WaitForPipeline();
        _ownership = 0;
        Kind = CommandKind.None;
        TimestampTicks = 0;
        PermittedDomains = ulong.MaxValue;
        BundleId = null;
        Array.Clear(Entries, 0, EntryCount);
        EntryCount = 0;
        OpeningCount = 0;
        Catalog = null;
        TargetAccount = default;
        TargetCorrelationId = null;
        FromJournal = false;
        Prefetched = false;
        StoreWatermark = 0;
        FeesInForce = true;
        LookupCount = 0;
        JournalAddress = 0;
        JournalNextAddress = 0;
        JournalChecksum = 0;
        ResetDecision();
        Failure = null;
        _completion.Reset();
    }

    /// <summary>Clears what the engine wrote (replay re-applies a journaled command).</summary>
    public void ResetDecision()
    {
        Result = default;
        Array.Clear(Events, 0, EventCount);
        EventCount = 0;
        ChangedState = false;
        RecordNumber = 0;
        LastSequenceAfter = 0;
        HistoryHashAfter = 0;
        AccountsAfter = 0;
        OpenHoldsAfter = 0;
        ChangeCount = 0; // images hold no references: nothing to clear for the GC
        AccountChangeCount = 0;
        CounterChangeCount = 0;
    }

    // ---- ownership ----

    /// <summary>True while stages behind the acknowledgement (entry store, read side) may still read the command.</summary>
    public bool IsInPipeline => (Volatile.Read(ref _ownership) & InPipeline) != 0;

    /// <summary>Host side, at publish: the pipeline holds the command until <see cref="ReleaseFromPipeline"/>.</summary>
    internal void EnterPipeline()
    {
        Invariant.That(Volatile.Read(ref _ownership) == 0, "a command is published while the pipeline or a pool still holds it");
        Volatile.Write(ref _ownership, InPipeline);
    }

    /// <summary>Host side, after its last stage: the pipeline lets go; recycles the command if its producer already returned it.</summary>
    internal void ReleaseFromPipeline()
    {
        int before = Interlocked.And(ref _ownership, ~InPipeline);
        Invariant.That((before & InPipeline) != 0, "the pipeline released a command it did not hold");
        if ((before & ReturnRequested) != 0) Pool!.Recycle(this);
    }

    /// <summary>Producer side (through <see cref="LedgerCommandPool.Return"/>): true when the command may be recycled now, false when the pipeline will do it.</summary>
    internal bool ReturnFromProducer()
    {
        int before = Interlocked.Or(ref _ownership, ReturnRequested);
        Invariant.That((before & ReturnRequested) == 0, "a command was returned to its pool twice");
        return (before & InPipeline) == 0;
    }

    private void WaitForPipeline()
    {
        var spin = new SpinWait();
        while ((Volatile.Read(ref _ownership) & InPipeline) != 0) spin.SpinOnce(sleep1Threshold: 20);
    }

    // ---- awaiting ----

    /// <summary>Completes when the command is durable (or failed); await once per use.</summary>
    public ValueTask WhenDone => new(this, _completion.Version);

    /// <summary>Host side, after the journal commit: the command is durable (or refused without a change); answer the producer.</summary>
    public void Complete() => _completion.SetResult(true);

    /// <summary>Host side: the journal failed; the producer gets the exception, never an acknowledgement.</summary>
    public void Fail(Exception failure)
    {
        Failure = failure;
        _completion.SetException(failure);
    }

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
