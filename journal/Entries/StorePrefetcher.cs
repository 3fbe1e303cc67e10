using System.Runtime.InteropServices;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Engine.State;
using RocksDbSharp;

namespace Ledger.Journal.Entries;

/// <summary>
/// The prefetch stage's reader (<see cref="IEntryPrefetcher"/>): for every command of a drained batch it stamps the
/// store's watermark (read before any lookup: the store only moves forward), then reads every key the commands name
/// (<see cref="LookupPlan"/>) with RocksDB's batched MultiGet, a few hundred keys per call, into the commands'
/// lookups; without a fee in force, the fee keys of ledger entries only for replays of entries that carried one (a
/// second MultiGet after the first). Keys live in native buffers allocated once: no allocation per command.
/// Usage: <c>new EngineHost(engine, journal, sinks, settings, store.Prefetcher(), store.Writer());</c>
/// </summary>
public sealed unsafe class StorePrefetcher : IEntryPrefetcher, IDisposable
{
    private const int ChunkKeys = 512;
    /// <summary>Keys hinted and not yet checked at most: a key's filter check comes FilterLag − 1 lookups after its hint, so the filter's cache misses overlap.</summary>
    private const int FilterLag = 8;

    private readonly EntryStore _store;
    private readonly ReadOptions _read = new();
    private readonly IntPtr _family;
    private readonly List<LedgerCommand> _batch = new(1024);
    private readonly byte* _keys;
    private readonly IntPtr* _keyPointers;
    private readonly UIntPtr* _keyLengths;
    private readonly IntPtr* _values;
    private readonly IntPtr[] _errors = new IntPtr[ChunkKeys];
    private readonly LedgerCommand?[] _targetCommand = new LedgerCommand?[ChunkKeys];
    private readonly int[] _targetPosition = new int[ChunkKeys];
    private readonly byte[] _idScratch = new byte[EntryKeys.LengthMax];
    // Keys hinted to the key filter and not checked yet (a ring of FilterLag): checked in order, when the ring is full
    // and before each MultiGet.
    private readonly byte* _stagedKeys;
    private readonly (LedgerCommand? Command, int Position, int Length, ulong Hash)[] _staged = new (LedgerCommand?, int, int, ulong)[FilterLag];
    private int _stagedHead, _stagedCount;
    private int _pending;
    private bool _disposed;

    // Counters (prefetch thread writes, metrics read approximately).
    public long Lookups;
    public long Found;
    /// <summary>Lookups the key filter answered (absent) without RocksDB.</summary>
    public long Filtered;

    internal StorePrefetcher(EntryStore store)
    {
        _store = store;
        _family = store.Db.GetDefaultColumnFamily().Handle;
        _keys = (byte*)NativeMemory.Alloc((nuint)(ChunkKeys * StoreCodec.KeyBytesMax));
        _keyPointers = (IntPtr*)NativeMemory.Alloc((nuint)(ChunkKeys * sizeof(IntPtr)));
        _keyLengths = (UIntPtr*)NativeMemory.Alloc((nuint)(ChunkKeys * sizeof(UIntPtr)));
        _values = (IntPtr*)NativeMemory.Alloc((nuint)(ChunkKeys * sizeof(IntPtr)));
        _stagedKeys = (byte*)NativeMemory.Alloc((nuint)(FilterLag * StoreCodec.KeyBytesMax));
        for (int i = 0; i < ChunkKeys; i++) _keyPointers[i] = (IntPtr)(_keys + i * StoreCodec.KeyBytesMax);
    }

    public void Add(LedgerCommand command) => _batch.Add(command);

    public void EndOfBatch()
    {
        long watermark = _store.Watermark; // before the filter and the reads: the store only moves forward
        var filter = _store.FilterComplete ? _store.Filter : null;
        bool deferred = false;
        foreach (var command in _batch)
        {
            command.StoreWatermark = watermark;
            int count = command.PrepareLookups();
            for (int position = 0; position < count; position++)
            {
                if (LookupPlan.Deferred(command, position))
                {
                    command.Lookups[position] = default; // nothing looked up (yet)
                    deferred = true;
                    continue;
                }
                Look(command, position, filter);
            }
        }
        CheckStaged(filter);
        if (_pending > 0) Read();
        // Without a fee in force, a ledger entry's fee key is read only for a replay of an entry that carried a fee.
        if (deferred)
        {
            foreach (var command in _batch)
            {
                if (command.FeesInForce || command.Kind != CommandKind.PostEntries) continue;
                int n = command.EntryCount;
                for (int i = 0; i < n; i++)
                {
                    if (LookupPlan.NeedsDeferred(command, i)) Look(command, LookupPlan.Fee(n, i), filter);
                }
            }
            CheckStaged(filter);
            if (_pending > 0) Read();
        }
        foreach (var command in _batch) command.Prefetched = true;
        _batch.Clear();
    }

    /// <summary>
    /// Names the key of one position: absent at once when it has none; else hinted to the key filter and staged, checked
    /// once <see cref="FilterLag"/> keys are staged or before the next MultiGet (absent when the filter says so, else
    /// queued for that MultiGet).
    /// </summary>
    private void Look(LedgerCommand command, int position, KeyFilter? filter)
    {
        ref var lookup = ref command.Lookups[position];
        lookup.Found = false;
        int length = LookupPlan.KeyOf(command, position, _idScratch, out long account);
        if (length <= 0)
        {
            lookup.KeyHash = 0;
            return;
        }
        var id = _idScratch.AsSpan(0, length);
        lookup.KeyHash = EntryKeys.Hash(account, id);
        int slot = (_stagedHead + _stagedCount) % FilterLag;
        byte* key = _stagedKeys + slot * StoreCodec.KeyBytesMax;
        int keyLength = StoreCodec.EntryKey(account, id, new Span<byte>(key, StoreCodec.KeyBytesMax));
        ulong hash = KeyFilter.HashOf(new ReadOnlySpan<byte>(key, keyLength));
        filter?.Prefetch(hash);
        _staged[slot] = (command, position, keyLength, hash);
        if (++_stagedCount == FilterLag) CheckOldest(filter);
    }

    /// <summary>Checks every staged key (before a MultiGet: the lookups it answers must all be queued).</summary>
    private void CheckStaged(KeyFilter? filter)
    {
        while (_stagedCount > 0) CheckOldest(filter);
    }

    private void CheckOldest(KeyFilter? filter)
    {
        var (command, position, keyLength, hash) = _staged[_stagedHead];
        _staged[_stagedHead].Command = null;
        byte* key = _stagedKeys + _stagedHead * StoreCodec.KeyBytesMax;
        _stagedHead = (_stagedHead + 1) % FilterLag;
        _stagedCount--;
        if (filter is not null && !filter.MayContain(hash))
        {
            Filtered++; // never written: absent, no read
            return;
        }
        Buffer.MemoryCopy(key, _keys + _pending * StoreCodec.KeyBytesMax, StoreCodec.KeyBytesMax, keyLength);
        _keyLengths[_pending] = (UIntPtr)keyLength;
        _targetCommand[_pending] = command;
        _targetPosition[_pending] = position;
        if (++_pending == ChunkKeys) Read();
    }

    private void Read()
    {
        int n = _pending;
        _pending = 0;
        Native.Instance.rocksdb_batched_multi_get_cf(_store.Db.Handle, _read.Handle, _family, (UIntPtr)n, (IntPtr)_keyPointers, (IntPtr)_keyLengths,
            (IntPtr)_values, _errors, 0);
        Lookups += n;
        string? failure = null;
        for (int i = 0; i < n; i++)
        {
            var command = _targetCommand[i]!;
            _targetCommand[i] = null;
            if (_errors[i] != IntPtr.Zero)
            {
                failure ??= Marshal.PtrToStringAnsi(_errors[i]);
                Native.Instance.rocksdb_free(_errors[i]);
                _errors[i] = IntPtr.Zero;
                continue;
            }
            if (_values[i] == IntPtr.Zero) continue;
            try
            {
                var value = Native.Instance.rocksdb_pinnableslice_value(_values[i], out UIntPtr valueLength);
                ref var lookup = ref command.Lookups[_targetPosition[i]];
                StoreCodec.ReadImage(new ReadOnlySpan<byte>((void*)value, (int)valueLength), out lookup.Image);
                lookup.Found = true;
                Found++;
            }
            finally
            {
                Native.Instance.rocksdb_pinnableslice_destroy(_values[i]);
                _values[i] = IntPtr.Zero;
            }
        }
        if (failure is not null) throw new IOException($"The entry store failed a read: {failure}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.Free(_keys);
        NativeMemory.Free(_keyPointers);
        NativeMemory.Free(_keyLengths);
        NativeMemory.Free(_values);
        NativeMemory.Free(_stagedKeys);
    }
}
