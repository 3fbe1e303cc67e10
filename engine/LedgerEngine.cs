using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>
/// The ledger's state machine. One thread calls <see cref="Apply"/>; it does no I/O, reads no clock and, once its
/// tables are sized, allocates nothing. Time comes in on the command (raised to the ledger's clock when behind),
/// sequences are assigned here, so the same commands always give the same state.
/// <para>RAM holds the live state: accounts with their balances, every open hold, and a bounded cache of recent
/// entries (<see cref="EntryCache"/>). Every other entry the ledger ever remembered lives in the entry store on
/// disk; the prefetch stage reads the entries a command names into the command (<see cref="LedgerCommand.Lookups"/>)
/// before it reaches this thread, and the store writer writes what the engine changed
/// (<see cref="LedgerCommand.Changes"/>) after the journal commit.</para>
/// The parts: this file (commands, clock, accounts, DELETE), <c>LedgerEngine.Idempotency.cs</c> (finding entries,
/// idempotency), <c>LedgerEngine.Simulation.cs</c> (deciding against simulated state), <c>LedgerEngine.Apply.cs</c>
/// (remembering and applying), <c>LedgerEngine.Hash.cs</c> (the state hash).
/// Usage: <c>var engine = new LedgerEngine(catalog, settings); engine.Apply(command); read command.Result.</c>
/// </summary>
public sealed partial class LedgerEngine
{
    private const int KeyBytes = EntryKeys.LengthMax;
    /// <summary>Available + held of an account never exceeds this, so releasing holds can never overflow.</summary>
    public const long BalanceMaxMinor = long.MaxValue / 4;

    private readonly AccountTable _accounts;
    private readonly EntryCache _cache;
    private readonly HoldExpiryQueue _expiryQueue;
    private readonly DailyCounterTable _daily;
    private readonly int _openHoldsMax;

    // The command being decided: its journal record number (if it changes state) and the store watermark it carries.
    private long _current;
    private long _watermark;
    private ulong _historyHash;

    // What the command being decided changed (cache slots and account indexes), each listed once.
    private int[] _changedSlots = new int[Limits.EntriesPerBatchMax * 4 + 1]; // new entries, references, fees, reversed fees, bundle
    private int _changedSlotCount;
    private int[] _changedAccounts = new int[Limits.EntriesPerBatchMax];
    private int _changedAccountCount;
    private int[] _changedCounters = new int[2 * Limits.EntriesPerBatchMax];
    private int _changedCounterCount;

    public LedgerEngine(HistoryCatalog catalog, EngineSettings? settings = null)
    {
        settings ??= new EngineSettings();
        settings.Validate();
        Catalog = catalog;
        _catalogVersion = catalog.Version;
        _accounts = new AccountTable(settings.AccountCapacity, settings.HugePages);
        _cache = new EntryCache(settings.EntryCacheEntries, settings.HugePages);
        _expiryQueue = new HoldExpiryQueue(settings.OpenHoldsMax, _cache);
        _daily = new DailyCounterTable(1024);
        _openHoldsMax = settings.OpenHoldsMax;
        if (settings.PrefaultTables) _cache.Prefault();
    }

    public HistoryCatalog Catalog { get; private set; }

    private int _catalogVersion;

    /// <summary>The daily counters of the live state (engine thread or a quiescent engine only).</summary>
    public DailyCounterTable DailyCounters => _daily;

    /// <summary>Sequence of the last applied entry (0 before any).</summary>
    public long LastSequence { get; private set; }

    /// <summary>The ledger's clock: the newest command timestamp applied (UTC ticks).</summary>
    public long ClockTicks { get; private set; }

    /// <summary>Journal record number of the last command that changed the ledger (0 before any).</summary>
    public long RecordNumber { get; private set; }

    /// <summary>
    /// Fee entries this engine posted (and reversals of fees), recovery's replay included. The prefetch stage reads it
    /// before the engine decides anything from the ring: an entry this engine holds may carry a fee only if it is non-zero
    /// or a catalog with a fee comes into force (or the entry store holds the entry, and says so).
    /// </summary>
    public long FeesPosted { get; private set; }

    /// <summary>A running hash of every entry image the ledger ever remembered, in order (the history's fingerprint, O(1) to keep).</summary>
    public ulong HistoryHash => _historyHash;

    public AccountTable Accounts => _accounts;

    /// <summary>The cache of entries (engine thread only; its counters may be read approximately from any thread).</summary>
    public EntryCache Cache => _cache;

    public int OpenHoldCount => _cache.PinnedCount;

    /// <summary>
    /// Between commands, on the engine thread: evicts every cached entry (but open holds) whose last change the entry
    /// store already holds, so the next lookups go to the store. For tests that make nearly every lookup a store read,
    /// and for shedding memory; the cache evicts by itself when full.
    /// </summary>
    public int TrimCache(long storeWatermark) => _cache.Trim(storeWatermark);

    /// <summary>Balances of an account, or false when it does not exist. Not thread-safe: engine thread or a quiescent engine only.</summary>
    public bool TryGetAccount(AccountKey key, out AccountState account)
    {
        int index = _accounts.Find(key);
        account = index >= 0 ? _accounts[index] : default;
        return index >= 0;
    }

    /// <summary>
    /// What-if replays only: puts <paramref name="candidate"/> in force without a command (keeping the domain bits of the
    /// catalog in force), so the scratch engine of a what-if decides the journal's commands under it while its record
    /// numbers stay the journal's. A live engine never calls this: its catalogs arrive as journaled LoadCatalog commands.
    /// </summary>
    public void ReplaceCatalogForWhatIf(HistoryCatalog candidate) =>
        Catalog = candidate.Replacing(Catalog, candidate.PromotedBy).Installed(Catalog.Version, Catalog.SinceSequence);

    /// <summary>Decides one command: writes <see cref="LedgerCommand.Result"/>, entry results, events and changes into it.</summary>
    public void Apply(LedgerCommand command)
    {
        command.ResetDecision();
        command.Result.EntryIndex = -1;
        _current = RecordNumber + 1;
        _watermark = command.Prefetched ? command.StoreWatermark : 0;
        if (_watermark >= _current) Invariant.Fail("the store's watermark is at or past the command being decided");
        _changedSlotCount = 0;
        _changedAccountCount = 0;
        _changedCounterCount = 0;
        if (command.TimestampTicks < ClockTicks) command.TimestampTicks = ClockTicks;
        ClockTicks = command.TimestampTicks;
        command.Result.TimestampTicks = ClockTicks;
        ExpireDueHolds(command);

        switch (command.Kind)
        {
            case CommandKind.PostEntries:
                PostEntries(command);
                break;
            case CommandKind.OpenAccounts:
                OpenAccounts(command);
                break;
            case CommandKind.RemoveEntry:
                RemoveEntry(command);
                break;
            case CommandKind.Tick:
                break;
            case CommandKind.LoadCatalog:
                // In force from the next entry; the installed catalog (version, since) goes back on the command for the store.
                var loaded = command.Catalog ?? throw new InvariantViolationException("Invariant: LoadCatalog without a catalog.");
                Catalog = loaded.Installed(_catalogVersion + 1, LastSequence + 1);
                _catalogVersion++;
                command.Catalog = Catalog;
                command.ChangedState = true;
                break;
            default:
                Refuse(command, ResultCode.InvalidCommand, -1);
                break;
        }
        Finish(command);
    }

    /// <summary>Hands the command its changes (final images, accounts after it) and, if it changed the ledger, its record number.</summary>
    private void Finish(LedgerCommand command)
    {
        if (!command.ChangedState)
        {
            if (_changedSlotCount != 0 || _changedAccountCount != 0 || _changedCounterCount != 0) Invariant.Fail("a command that changed nothing listed changes");
            command.RecordNumber = 0;
            WriteTotals(command);
            return;
        }
        for (int i = 0; i < _changedSlotCount; i++)
        {
            ref var image = ref _cache[_changedSlots[i]];
            if (image.Kind == EntryKind.Blocking) Invariant.Hold(in image);
            _historyHash = HashStep(_historyHash, HashOf(in image));
            command.AddChange() = image;
        }
        for (int i = 0; i < _changedAccountCount; i++)
        {
            ref var account = ref _accounts[_changedAccounts[i]];
            Invariant.Balances(in account);
            command.AddAccountChange() = account;
        }
        for (int i = 0; i < _changedCounterCount; i++) command.AddCounterChange() = _daily[_changedCounters[i]];
        RecordNumber = _current;
        command.RecordNumber = _current;
        WriteTotals(command);
    }

    private void WriteTotals(LedgerCommand command)
    {
        command.LastSequenceAfter = LastSequence;
        command.HistoryHashAfter = _historyHash;
        command.AccountsAfter = _accounts.Count;
        command.OpenHoldsAfter = _cache.PinnedCount;
    }

    // ---------------- what a command changed ----------------

    /// <summary>Marks a cached entry changed by the command being decided (listed once; not evictable until the store has it).</summary>
    private void EntryChanged(int slot)
    {
        ref var image = ref _cache[slot];
        if (image.LastChange == _current) return;
        image.LastChange = _current;
        if (_changedSlotCount == _changedSlots.Length) Array.Resize(ref _changedSlots, _changedSlots.Length * 2);
        _changedSlots[_changedSlotCount++] = slot;
    }

    private void AccountChanged(int accountIndex)
    {
        if (!_accounts.MarkChanged(accountIndex, _current)) return;
        if (_changedAccountCount == _changedAccounts.Length) Array.Resize(ref _changedAccounts, _changedAccounts.Length * 2);
        _changedAccounts[_changedAccountCount++] = accountIndex;
    }

    /// <summary>Adds an applied debit to a daily counter (a new business day starts it again) and lists it as changed.</summary>
    private void Count(long account, int scope, int day, long amount)
    {
        int slot = _daily.FindOrAdd(account, scope);
        ref var counter = ref _daily[slot];
        if (counter.Day != day)
        {
            counter.Day = day;
            counter.Count = 0;
            counter.SumMinor = 0;
        }
        counter.Count++;
        long sum = unchecked(counter.SumMinor + amount);
        counter.SumMinor = ((counter.SumMinor ^ sum) & (amount ^ sum)) < 0 ? long.MaxValue : sum;
        if (!_daily.MarkChanged(slot, _current)) return;
        if (_changedCounterCount == _changedCounters.Length) Array.Resize(ref _changedCounters, _changedCounters.Length * 2);
        _changedCounters[_changedCounterCount++] = slot;
    }

    // ---------------- clock ----------------

    private void ExpireDueHolds(LedgerCommand command)
    {
        while (_expiryQueue.TryTakeDue(ClockTicks, out int slot, out long sequence))
        {
            ref var hold = ref _cache[slot];
            if (hold.Sequence != sequence || !hold.IsOpenHold) continue; // released or removed before it lapsed (the slot may hold another entry now)
            ReleaseHold(command, slot, EntryStatus.Expired);
        }
    }

    /// <summary>
    /// Releases all that a hold still holds back to AVAILABLE and gives it its final status (expiry by the clock,
    /// DELETE), with the event that says so. Unblocking and removal entries release through their plan instead.
    /// </summary>
    private long ReleaseHold(LedgerCommand command, int slot, EntryStatus status)
    {
        ref var hold = ref _cache[slot];
        int accountIndex = _accounts.Find(AccountKey.FromPacked(hold.AccountPacked));
        if (accountIndex < 0) Invariant.Fail("an open hold's account does not exist");
        ref var account = ref _accounts[accountIndex];
        long amount = hold.HeldRemainingMinor;
        account.HeldMinor -= amount;
        account.AvailableMinor += amount;
        hold.HeldRemainingMinor = 0;
        hold.Status = status;
        _cache.UpdatePin(slot);
        EntryChanged(slot);
        AccountChanged(accountIndex);
        AddStatusChanged(command, in _cache[slot], in account, status, amount, causedBy: 0);
        command.ChangedState = true;
        return amount;
    }

    // ---------------- accounts ----------------

    private void OpenAccounts(LedgerCommand command)
    {
        int n = command.OpeningCount;
        if (n <= 0 || n > Limits.AccountsPerImportMax)
        {
            Refuse(command, ResultCode.InvalidCommand, -1);
            return;
        }
        for (int i = 0; i < n; i++)
        {
            ref var o = ref command.Openings[i];
            if (!o.Account.IsValid || o.Currency.IsNone || o.OverdraftLimitMinor is < 0 or > Limits.OverdraftLimitMax)
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return;
            }
            if (_accounts.Find(o.Account) >= 0)
            {
                Refuse(command, ResultCode.AccountExists, i);
                return;
            }
        }
        if (n > 1 && HasDuplicateAccounts(command))
        {
            return;
        }
        for (int i = 0; i < n; i++)
        {
            ref var o = ref command.Openings[i];
            var state = new AccountState
            {
                Key = o.Account,
                Currency = o.Currency,
                OverdraftLimitMinor = o.OverdraftLimitMinor,
                OpenedAtTicks = ClockTicks,
            };
            AccountChanged(_accounts.Add(in state));
            ref var e = ref command.AddEvent();
            e.Kind = LedgerEventKind.AccountOpened;
            e.TimestampTicks = ClockTicks;
            e.Account = o.Account;
            e.Currency = o.Currency;
            e.AmountMinor = o.OverdraftLimitMinor;
            ref var r = ref command.EntryResults[i];
            r = default;
            r.Account = o.Account;
            r.Currency = o.Currency;
            r.TimestampTicks = ClockTicks;
        }
        command.ChangedState = true;
    }

    private static bool HasDuplicateAccounts(LedgerCommand command)
    {
        var seen = new HashSet<long>(command.OpeningCount); // bulk import only: not the per-entry hot path
        for (int i = 0; i < command.OpeningCount; i++)
        {
            if (!seen.Add(command.Openings[i].Account.Packed))
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return true;
            }
        }
        return false;
    }

    // ---------------- batches and bundles ----------------

    /// <summary>Validates everything first (there is no rollback on one thread), then applies; the steps follow <see cref="ResultCode"/>'s precedence.</summary>
    private void PostEntries(LedgerCommand command)
    {
        int n = command.EntryCount;
        bool bundle = command.BundleId is not null;
        if (n <= 0 || n > (bundle ? Limits.EntriesPerBundleMax : Limits.EntriesPerBatchMax))
        {
            Refuse(command, ResultCode.InvalidCommand, -1);
            return;
        }
        // 1. shape, accounts, keys (normalized once, reused below)
        if (!CheckShapeAndAccounts(command, n, bundle)) return;
        // 2. domains, with references resolved (reversal, unblocking and removal take the referenced entry's code)
        if (!ResolveReferencesAndDomains(command, n)) return;
        // 3. idempotency
        if (AnswerFromMemory(command, n, bundle)) return;
        // 4. fees: which entries carry one and their derived ids (refused when too long to derive, or already taken)
        if (!PlanFees(command, n)) return;
        // 5. capacity: open holds are RAM the ledger must keep
        if (!HasRoomForHolds(command, n)) return;
        // 6. decide every entry against simulated state, then the fee entries (they come after the requested ones);
        //    the first failure declines the whole command (a fee's names the entry that carries it)
        _simAccountCount = 0;
        _simRecordCount = 0;
        _simCounters = 0;
        for (int i = 0; i < n; i++)
        {
            var code = Decide(command, i, ref _plans[i], out byte ruleId);
            if (code != ResultCode.Ok)
            {
                RememberDecline(command, n, bundle, code, i, ruleId);
                return;
            }
        }
        for (int k = 0; k < _feeCount; k++)
        {
            var code = DecideFee(k, ref _plans[n + k]);
            if (code != ResultCode.Ok)
            {
                RememberDecline(command, n, bundle, code, _feeOf[k], 0);
                return;
            }
        }
        // 7. apply
        ApplyPlans(command, n, bundle);
    }

    private bool HasRoomForHolds(LedgerCommand command, int n)
    {
        if (command.FromJournal) return true; // a journaled command is a fact, whatever the limit is today
        int holds = 0, first = -1;
        for (int i = 0; i < n; i++)
        {
            if (command.Entries[i].Kind != EntryKind.Blocking) continue;
            holds++;
            if (first < 0) first = i;
        }
        if (holds == 0 || _cache.PinnedCount + holds <= _openHoldsMax) return true;
        Refuse(command, ResultCode.OpenHoldsLimit, first);
        return false;
    }

    // ---------------- DELETE of a pending entry ----------------

    private void RemoveEntry(LedgerCommand command)
    {
        int accountIndex = _accounts.Find(command.TargetAccount);
        if (accountIndex < 0)
        {
            Refuse(command, ResultCode.AccountNotFound, -1);
            return;
        }
        Span<byte> key = stackalloc byte[KeyBytes];
        int length = EntryKeys.Normalize(command.TargetCorrelationId, key);
        if (length <= 0)
        {
            Refuse(command, ResultCode.InvalidCommand, -1);
            return;
        }
        ReadOnlySpan<byte> k = key[..length];
        long account = command.TargetAccount.Packed;
        int slot = Resolve(command, 0, account, k, EntryKeys.Hash(account, k));
        if (slot < 0 || _cache[slot].Status == EntryStatus.None)
        {
            Refuse(command, ResultCode.EntryNotFound, -1);
            return;
        }
        // Domain before status, so a partner learns nothing about entries outside its domains but that they exist.
        if (!IsPermitted(command, _cache[slot].EntryType))
        {
            Refuse(command, ResultCode.DomainNotPermitted, -1);
            return;
        }
        if (_cache[slot].Status != EntryStatus.Pending)
        {
            Refuse(command, ResultCode.EntryNotPending, -1);
            return;
        }
        long amount = ReleaseHold(command, slot, EntryStatus.Removed);
        ref var hold = ref _cache[slot];
        ref var r = ref command.EntryResults[0];
        r = default;
        r.Account = command.TargetAccount;
        r.Status = EntryStatus.Removed;
        r.Sequence = hold.Sequence;
        r.TimestampTicks = ClockTicks;
        r.EntryType = hold.EntryType;
        r.AmountMinor = amount;
        r.Currency = hold.Currency;
        r.BalancesAfter = _accounts[accountIndex].Balances;
    }

    // ---------------- helpers ----------------

    private static void Refuse(LedgerCommand command, ResultCode code, int entryIndex, string? rule = null)
    {
        command.Result.Code = code;
        command.Result.EntryIndex = entryIndex;
        command.Result.Rule = rule;
    }

    private bool IsPermitted(LedgerCommand command, int entryType)
    {
        var code = Catalog.Find(entryType);
        return code is null || (command.PermittedDomains & (1UL << code.DomainBit)) != 0;
    }

    /// <summary>Whether a correlation id (or bundle id) is well formed.</summary>
    public static bool IsValidKey(string? id) => EntryKeys.IsValid(id);

    private static ulong HashDescription(string? description) =>
        description is null ? 0 : EntryKeys.Hash(0, MemoryMarshal.AsBytes(description.AsSpan()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAdd(long a, long b, out long sum)
    {
        sum = unchecked(a + b);
        return ((a ^ sum) & (b ^ sum)) >= 0;
    }

    private void AddStatusChanged(LedgerCommand command, in EntryImage target, in AccountState account, EntryStatus status, long amount, long causedBy)
    {
        ref var e = ref command.AddEvent();
        e.Kind = LedgerEventKind.EntryStatusChanged;
        e.Sequence = target.Sequence;
        e.CausedBySequence = causedBy;
        e.TimestampTicks = ClockTicks;
        e.Account = account.Key;
        e.Currency = account.Currency;
        e.EntryKind = target.Kind;
        e.Status = status;
        e.EntryType = target.EntryType;
        e.AmountMinor = amount;
        e.BalancesAfter = account.Balances;
    }
}
