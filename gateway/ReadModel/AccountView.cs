using System.Runtime.CompilerServices;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Gateway.Api;

namespace Ledger.Gateway.ReadModel;

/// <summary>
/// One account of the read model: its entries in sequence order (an index per account, so a statement page costs
/// a binary search and the page, never a scan of the ledger), its balance history, and a correlationId index.
/// One writer (the publish thread) and many readers; every access holds this view's monitor briefly.
/// </summary>
internal sealed class AccountView
{
    /// <summary>Entries a v2 filter examines per page at most; past it the page ends early with a cursor (bounded work per request).</summary>
    public const int ScanBudget = 100_000;

    private ChunkedList<StatementEntry>? _entries;
    private ChunkedList<BalancePoint>? _history;
    // Open addressing over entry positions (+1; 0 = empty), keyed by the correlationId's hash; load factor <= 1/2.
    private int[] _byCorrelation = [];
    private Balances _current;

    public AccountView(AccountKey key, CurrencyCode currency, long overdraftLimitMinor, long openedAtTicks)
    {
        Key = key;
        Currency = currency;
        CurrencyText = currency.ToString();
        OverdraftLimitMinor = overdraftLimitMinor;
        OpenedAtTicks = openedAtTicks;
    }

    public AccountKey Key { get; }
    public CurrencyCode Currency { get; }
    public string CurrencyText { get; }
    public long OverdraftLimitMinor { get; }
    public long OpenedAtTicks { get; }

    public int EntryCount
    {
        get
        {
            lock (this) return _entries?.Count ?? 0;
        }
    }

    // ---------------- writer (publish thread, or the start-up rebuild) ----------------

    public void OnEntryApplied(in LedgerEvent e, string? description)
    {
        lock (this)
        {
            _entries ??= new ChunkedList<StatementEntry>();
            int position = _entries.Count;
            _entries.Add(new StatementEntry
            {
                Sequence = e.Sequence,
                TimestampTicks = e.TimestampTicks,
                AmountMinor = e.AmountMinor,
                ExpiresAtTicks = e.ExpiresAtTicks,
                ReferenceSequence = e.ReferenceSequence,
                CorrelationId = e.CorrelationId!,
                Description = description,
                EntryType = e.EntryType,
                Kind = e.EntryKind,
                Status = e.Status,
            });
            IndexCorrelation(position);
            RecordBalances(e.TimestampTicks, e.BalancesAfter);
        }
    }

    public void OnStatusChanged(in LedgerEvent e)
    {
        lock (this)
        {
            int position = FindBySequence(e.Sequence);
            if (position >= 0)
            {
                ref var entry = ref _entries![position];
                if (e.MarksReversal) entry.ReversedBySequence = e.CausedBySequence;
                else entry.Status = e.Status;
            }
            RecordBalances(e.TimestampTicks, e.BalancesAfter);
        }
    }

    private void RecordBalances(long timestampTicks, Balances after)
    {
        if (after == _current && _history is not null) return;
        _current = after;
        _history ??= new ChunkedList<BalancePoint>();
        _history.Add(new BalancePoint(timestampTicks, after.AvailableMinor, after.HeldMinor));
    }

    private void IndexCorrelation(int position)
    {
        int count = _entries!.Count;
        if (count * 2 > _byCorrelation.Length)
        {
            _byCorrelation = new int[Math.Max(8, _byCorrelation.Length * 2)];
            for (int i = 0; i < count; i++) Insert(i); // the new entry included
            return;
        }
        Insert(position);
    }

    private void Insert(int position)
    {
        int mask = _byCorrelation.Length - 1;
        int slot = SlotOf(_entries![position].CorrelationId, mask);
        while (_byCorrelation[slot] != 0) slot = (slot + 1) & mask;
        _byCorrelation[slot] = position + 1;
    }

    private static int SlotOf(string correlationId, int mask) => (int)((uint)string.GetHashCode(correlationId.AsSpan()) & (uint)mask);

    // ---------------- readers ----------------

    public Balances CurrentBalances
    {
        get
        {
            lock (this) return _current;
        }
    }

    /// <summary>Balances as they stood at an instant: false when the account was not open yet.</summary>
    public bool TryGetBalancesAt(long atTicks, out Balances balances)
    {
        balances = default;
        if (atTicks < OpenedAtTicks) return false;
        lock (this)
        {
            if (_history is null) return true;
            // Last point at or before the instant (points are in time order; several may share a tick: the last wins).
            int lo = 0, hi = _history.Count - 1, found = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_history[mid].TimestampTicks <= atTicks)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            if (found >= 0) balances = new Balances(_history[found].AvailableMinor, _history[found].HeldMinor);
            return true;
        }
    }

    /// <summary>A page of the statement, oldest first; <paramref name="nextAfterSequence"/> is 0 when nothing may follow.</summary>
    public List<StatementEntryResponse> Query(StatementQuery query, out long nextAfterSequence)
    {
        var page = new List<StatementEntryResponse>(Math.Min(query.Limit, 64));
        nextAfterSequence = 0;
        lock (this)
        {
            if (_entries is null) return page;
            if (query.CorrelationId is not null)
            {
                int position = FindByCorrelation(query.CorrelationId);
                if (position >= 0 && _entries[position].Sequence > query.AfterSequence && Matches(in _entries[position], query))
                {
                    page.Add(ToResponse(in _entries[position]));
                }
                return page;
            }
            int start = Math.Max(LowerBoundByTime(query.FromTicks), FindFirstAfterSequence(query.AfterSequence));
            int scanned = 0;
            int i = start;
            for (; i < _entries.Count && page.Count < query.Limit; i++)
            {
                ref var entry = ref _entries[i];
                if (entry.TimestampTicks >= query.ToTicks) break;
                if (++scanned > ScanBudget)
                {
                    nextAfterSequence = _entries[i - 1].Sequence;
                    return page;
                }
                if (Matches(in entry, query)) page.Add(ToResponse(in entry));
            }
            if (page.Count == query.Limit && i < _entries.Count && _entries[i].TimestampTicks < query.ToTicks)
            {
                nextAfterSequence = _entries[i - 1].Sequence;
            }
        }
        return page;
    }

    private static bool Matches(in StatementEntry e, StatementQuery q)
    {
        if (e.TimestampTicks < q.FromTicks || e.TimestampTicks >= q.ToTicks) return false;
        if (!q.HasFilters) return true;
        return (q.EntryType is not { } type || e.EntryType == type)
               && (q.Kind is not { } kind || e.Kind == kind)
               && (q.Status is not { } status || e.Status == status)
               && (q.MinAmountMinor is not { } min || e.AmountMinor >= min)
               && (q.MaxAmountMinor is not { } max || e.AmountMinor <= max);
    }

    private StatementEntryResponse ToResponse(in StatementEntry e)
    {
        string? reference = e.ReferenceSequence == 0 ? null : CorrelationIdOf(e.ReferenceSequence);
        return new StatementEntryResponse
        {
            CorrelationId = e.CorrelationId,
            EntryType = e.EntryType,
            EntryKind = (EntryKindName)e.Kind,
            Amount = new AmountResponse(e.AmountMinor, CurrencyText),
            Status = (EntryStatusName)e.Status,
            AsOfDate = Time.AsOfDate(e.TimestampTicks),
            Sequence = e.Sequence,
            Timestamp = Time.Utc(e.TimestampTicks),
            Description = e.Description,
            ReversedBy = e.ReversedBySequence == 0 ? null : CorrelationIdOf(e.ReversedBySequence),
            Reverses = e.Kind == EntryKind.Reversal ? reference : null,
            Unblocks = e.Kind == EntryKind.Unblocking ? reference : null,
            Removes = e.Kind == EntryKind.Removal ? reference : null,
            ExpiresAt = e.ExpiresAtTicks == 0 ? null : Time.Utc(e.ExpiresAtTicks),
        };
    }

    private string? CorrelationIdOf(long sequence)
    {
        int position = FindBySequence(sequence);
        return position >= 0 ? _entries![position].CorrelationId : null;
    }

    private int FindByCorrelation(string correlationId)
    {
        if (_byCorrelation.Length == 0) return -1;
        int mask = _byCorrelation.Length - 1;
        int slot = SlotOf(correlationId, mask);
        while (_byCorrelation[slot] != 0)
        {
            int position = _byCorrelation[slot] - 1;
            if (string.Equals(_entries![position].CorrelationId, correlationId, StringComparison.Ordinal)) return position;
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    private int FindBySequence(long sequence)
    {
        if (_entries is null) return -1;
        int lo = 0, hi = _entries.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            long s = _entries[mid].Sequence;
            if (s == sequence) return mid;
            if (s < sequence) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    private int FindFirstAfterSequence(long sequence)
    {
        int lo = 0, hi = _entries!.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_entries[mid].Sequence <= sequence) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private int LowerBoundByTime(long ticks)
    {
        int lo = 0, hi = _entries!.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_entries[mid].TimestampTicks < ticks) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    // ---------------- snapshot (quiescent model only: no writer running) ----------------

    internal void WriteTo(BinaryWriter w)
    {
        w.Write(Key.Packed);
        w.Write(Currency.Packed);
        w.Write(OverdraftLimitMinor);
        w.Write(OpenedAtTicks);
        w.Write(_current.AvailableMinor);
        w.Write(_current.HeldMinor);
        int entries = _entries?.Count ?? 0;
        w.Write(entries);
        for (int i = 0; i < entries; i++)
        {
            ref var e = ref _entries![i];
            w.Write(e.Sequence);
            w.Write(e.TimestampTicks);
            w.Write(e.AmountMinor);
            w.Write(e.ExpiresAtTicks);
            w.Write(e.ReferenceSequence);
            w.Write(e.ReversedBySequence);
            w.Write(e.EntryType);
            w.Write((byte)e.Kind);
            w.Write((byte)e.Status);
            w.Write(e.CorrelationId);
            w.Write(e.Description is not null);
            if (e.Description is not null) w.Write(e.Description);
        }
        int points = _history?.Count ?? 0;
        w.Write(points);
        for (int i = 0; i < points; i++)
        {
            var p = _history![i];
            w.Write(p.TimestampTicks);
            w.Write(p.AvailableMinor);
            w.Write(p.HeldMinor);
        }
    }

    internal static AccountView ReadFrom(BinaryReader r, Func<string?, string?> share)
    {
        var view = new AccountView(AccountKey.FromPacked(r.ReadInt64()), new CurrencyCode(r.ReadInt32()), r.ReadInt64(), r.ReadInt64());
        view._current = new Balances(r.ReadInt64(), r.ReadInt64());
        int entries = r.ReadInt32();
        if (entries > 0)
        {
            view._entries = new ChunkedList<StatementEntry>();
            for (int i = 0; i < entries; i++)
            {
                var e = new StatementEntry
                {
                    Sequence = r.ReadInt64(),
                    TimestampTicks = r.ReadInt64(),
                    AmountMinor = r.ReadInt64(),
                    ExpiresAtTicks = r.ReadInt64(),
                    ReferenceSequence = r.ReadInt64(),
                    ReversedBySequence = r.ReadInt64(),
                    EntryType = r.ReadInt32(),
                    Kind = (EntryKind)r.ReadByte(),
                    Status = (EntryStatus)r.ReadByte(),
                    CorrelationId = r.ReadString(),
                };
                e.Description = r.ReadBoolean() ? share(r.ReadString()) : null;
                view._entries.Add(in e);
                view.IndexCorrelation(i);
            }
        }
        int points = r.ReadInt32();
        if (points > 0)
        {
            view._history = new ChunkedList<BalancePoint>();
            for (int i = 0; i < points; i++) view._history.Add(new BalancePoint(r.ReadInt64(), r.ReadInt64(), r.ReadInt64()));
        }
        return view;
    }

    /// <summary>Bytes this view holds for its entries, history and index (strings excluded).</summary>
    public long FootprintBytes()
    {
        lock (this)
        {
            return (_entries?.FootprintBytes(Unsafe.SizeOf<StatementEntry>()) ?? 0)
                   + (_history?.FootprintBytes(Unsafe.SizeOf<BalancePoint>()) ?? 0)
                   + (long)_byCorrelation.Length * sizeof(int);
        }
    }
}

/// <summary>Engine ticks to wire times: UTC instants and UTC business dates.</summary>
internal static class Time
{
    public static DateTime Utc(long ticks) => new(ticks, DateTimeKind.Utc);
    public static DateOnly AsOfDate(long ticks) => DateOnly.FromDayNumber((int)(ticks / TimeSpan.TicksPerDay));
}
