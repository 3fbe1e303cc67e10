using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>
/// The ledger's state machine. One thread calls <see cref="Apply"/>; it does no I/O, reads no clock and,
/// once its tables are sized, allocates nothing. Time comes in on the command (raised to the ledger's clock
/// when behind), sequences are assigned here, so the same commands always give the same state.
/// Usage: <c>var engine = new LedgerEngine(catalog, settings); engine.Apply(command); read command.Result.</c>
/// </summary>
public sealed partial class LedgerEngine
{
    private const int KeyBytes = KeyIndex.KeyLengthMax;
    /// <summary>Available + held of an account never exceeds this, so releasing holds can never overflow.</summary>
    public const long BalanceMaxMinor = long.MaxValue / 4;

    private readonly AccountTable _accounts;
    private readonly EntryTable _entries;
    private readonly KeyIndex _keys;
    private readonly HoldExpiryQueue _expiryQueue;

    // Scratch, sized once for the largest command (no allocation per command).
    private readonly byte[] _keyScratch = new byte[Limits.EntriesPerBatchMax * KeyBytes];
    private readonly byte[] _refScratch = new byte[Limits.EntriesPerBatchMax * KeyBytes];
    private readonly byte[] _bundleScratch = new byte[KeyBytes];
    private readonly int[] _keyLength = new int[Limits.EntriesPerBatchMax];
    private readonly ulong[] _keyHash = new ulong[Limits.EntriesPerBatchMax];
    private readonly int[] _accountIndex = new int[Limits.EntriesPerBatchMax];
    private readonly int[] _foundRecord = new int[Limits.EntriesPerBatchMax];
    private readonly int[] _refRecord = new int[Limits.EntriesPerBatchMax];
    private readonly EntryPlan[] _plans = new EntryPlan[Limits.EntriesPerBatchMax];
    private readonly int[] _dedupSlots = new int[4096];
    private readonly int[] _dedupStamp = new int[4096];
    private int _dedupGeneration;
    // Simulated state of the accounts and referenced entries a command touches, for validation before mutation.
    private readonly int[] _simAccount = new int[Limits.EntriesPerBatchMax];
    private readonly long[] _simAvailable = new long[Limits.EntriesPerBatchMax];
    private readonly long[] _simHeld = new long[Limits.EntriesPerBatchMax];
    private int _simAccountCount;
    private readonly int[] _simRecord = new int[Limits.EntriesPerBatchMax];
    private readonly long[] _simRecordHeld = new long[Limits.EntriesPerBatchMax];
    private readonly EntryStatus[] _simRecordStatus = new EntryStatus[Limits.EntriesPerBatchMax];
    private readonly bool[] _simRecordReversed = new bool[Limits.EntriesPerBatchMax];
    private int _simRecordCount;

    public LedgerEngine(HistoryCatalog catalog, EngineSettings? settings = null)
        : this(catalog,
            new AccountTable((settings ?? new EngineSettings()).AccountCapacity),
            new EntryTable((settings ?? new EngineSettings()).EntryCapacity),
            new KeyIndex((settings ?? new EngineSettings()).EntryCapacity),
            new HoldExpiryQueue(1024))
    {
        if (settings?.PrefaultTables == true)
        {
            _entries.Prefault();
            _keys.Prefault();
        }
    }

    private LedgerEngine(HistoryCatalog catalog, AccountTable accounts, EntryTable entries, KeyIndex keys, HoldExpiryQueue expiries)
    {
        Catalog = catalog;
        _accounts = accounts;
        _entries = entries;
        _keys = keys;
        _expiryQueue = expiries;
    }

    public HistoryCatalog Catalog { get; private set; }

    /// <summary>Sequence of the last applied entry (0 before any).</summary>
    public long LastSequence { get; private set; }

    /// <summary>The ledger's clock: the newest command timestamp applied (UTC ticks).</summary>
    public long ClockTicks { get; private set; }

    public AccountTable Accounts => _accounts;
    public EntryTable Entries => _entries;
    public KeyIndex Keys => _keys;

    /// <summary>Balances of an account, or false when it does not exist. Not thread-safe: engine thread or a quiescent engine only.</summary>
    public bool TryGetAccount(AccountKey key, out AccountState account)
    {
        int index = _accounts.Find(key);
        account = index >= 0 ? _accounts[index] : default;
        return index >= 0;
    }

    /// <summary>Decides one command: writes <see cref="LedgerCommand.Result"/>, entry results and events into it.</summary>
    public void Apply(LedgerCommand command)
    {
        command.ResetDecision();
        command.Result.EntryIndex = -1;
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
                Catalog = command.Catalog ?? throw new InvalidOperationException("Invariant: LoadCatalog without a catalog.");
                command.ChangedState = true;
                break;
            default:
                Refuse(command, ResultCode.InvalidCommand, -1);
                break;
        }
    }

    // ---------------- clock ----------------

    private void ExpireDueHolds(LedgerCommand command)
    {
        while (_expiryQueue.TryTakeDue(ClockTicks, out int recordIndex))
        {
            ref var hold = ref _entries[recordIndex];
            if (hold.Status != EntryStatus.Pending) continue; // released or removed before it lapsed
            ref var account = ref _accounts[hold.AccountIndex];
            long amount = hold.HeldRemainingMinor;
            account.HeldMinor -= amount;
            account.AvailableMinor += amount;
            hold.HeldRemainingMinor = 0;
            hold.Status = EntryStatus.Expired;
            AddStatusChanged(command, in hold, in account, EntryStatus.Expired, amount, causedBy: 0);
            command.ChangedState = true;
        }
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
            _accounts.Add(in state);
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

    private bool HasDuplicateAccounts(LedgerCommand command)
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
        int length = NormalizeKey(command.TargetCorrelationId, key);
        if (length <= 0)
        {
            Refuse(command, ResultCode.InvalidCommand, -1);
            return;
        }
        ReadOnlySpan<byte> k = key[..length];
        if (!_keys.TryGet(accountIndex, k, KeyIndex.Hash(accountIndex, k), out int recordIndex) ||
            _entries[recordIndex].Status == EntryStatus.None)
        {
            Refuse(command, ResultCode.EntryNotFound, -1);
            return;
        }
        ref var hold = ref _entries[recordIndex];
        // Domain before status, so a partner learns nothing about entries outside its domains but that they exist.
        if (!IsPermitted(command, hold.EntryType))
        {
            Refuse(command, ResultCode.DomainNotPermitted, -1);
            return;
        }
        if (hold.Status != EntryStatus.Pending)
        {
            Refuse(command, ResultCode.EntryNotPending, -1);
            return;
        }
        ref var account = ref _accounts[accountIndex];
        long amount = hold.HeldRemainingMinor;
        account.HeldMinor -= amount;
        account.AvailableMinor += amount;
        hold.HeldRemainingMinor = 0;
        hold.Status = EntryStatus.Removed;
        AddStatusChanged(command, in hold, in account, EntryStatus.Removed, amount, causedBy: 0);
        ref var r = ref command.EntryResults[0];
        r = default;
        r.Account = account.Key;
        r.Status = EntryStatus.Removed;
        r.Sequence = hold.Sequence;
        r.TimestampTicks = ClockTicks;
        r.EntryType = hold.EntryType;
        r.AmountMinor = amount;
        r.Currency = hold.Currency;
        r.BalancesAfter = account.Balances;
        command.ChangedState = true;
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

    /// <summary>Copies a correlation id as ASCII into <paramref name="into"/>; returns its length, or -1 if it is not 1..64 chars of [A-Za-z0-9._:-].</summary>
    internal static int NormalizeKey(string? id, Span<byte> into)
    {
        if (id is null || id.Length is 0 or > KeyBytes) return -1;
        for (int i = 0; i < id.Length; i++)
        {
            char c = id[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or ':' or '-';
            if (!ok) return -1;
            into[i] = (byte)c;
        }
        return id.Length;
    }

    /// <summary>Whether a correlation id (or bundle id) is well formed.</summary>
    public static bool IsValidKey(string? id)
    {
        Span<byte> scratch = stackalloc byte[KeyBytes];
        return NormalizeKey(id, scratch) > 0;
    }

    private static ulong HashDescription(string? description) =>
        description is null ? 0 : KeyIndex.Hash(0, MemoryMarshal.AsBytes(description.AsSpan()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAdd(long a, long b, out long sum)
    {
        sum = unchecked(a + b);
        return ((a ^ sum) & (b ^ sum)) >= 0;
    }

    private void AddStatusChanged(LedgerCommand command, in EntryRecord target, in AccountState account, EntryStatus status, long amount, long causedBy)
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

    internal static string Describe(ReadOnlySpan<byte> key) => Encoding.ASCII.GetString(key);
}
