using Ledger.Engine.Domain;
using RocksDbSharp;

namespace Ledger.ReadSide;

// Query family: one entry row, by sequence or by correlation id.
public sealed partial class ReadStore
{
    private string? CorrelationIdOf(long account, long sequence) => TryGetRow(account, sequence, out var row) ? row.CorrelationId : null;

    /// <summary>An account's entry: its timestamp from the account's index, then the row under (time, sequence).</summary>
    internal bool TryGetRow(long account, long sequence, out RowData row)
    {
        row = default;
        Span<byte> key = stackalloc byte[ReadCodec.IndexKeyBytes];
        var time = Db.Get(key[..ReadCodec.IndexKey(account, sequence, key)].ToArray());
        if (time is null) return false;
        row = RowAt(account, sequence, ReadCodec.ReadIndex(time));
        return true;
    }

    /// <summary>The row the account's index names at (<paramref name="time"/>, <paramref name="sequence"/>).</summary>
    private RowData RowAt(long account, long sequence, long time)
    {
        Span<byte> key = stackalloc byte[ReadCodec.RowKeyBytes];
        return RowOf(account, sequence, Db.Get(key[..ReadCodec.RowKey(time, sequence, key)].ToArray(), Rows));
    }

    /// <summary>An iterator over an account's index (sequence → time), positioned at its first entry from <paramref name="sequence"/> on.</summary>
    private Iterator AccountIndexFrom(long account, long sequence)
    {
        Span<byte> key = stackalloc byte[ReadCodec.IndexKeyBytes];
        byte[] upper = new byte[ReadCodec.AccountPrefixBytes];
        ReadCodec.IndexKey(account, 0, key);
        key[..ReadCodec.AccountPrefixBytes].CopyTo(upper);
        Increment(upper);
        var iterator = Db.NewIterator(null, new ReadOptions().SetIterateUpperBound(upper));
        iterator.Seek(key[..ReadCodec.IndexKey(account, sequence, key)].ToArray());
        return iterator;
    }

    /// <summary>The row an account's index named: it must exist and be that account's (an invariant: one write put both).</summary>
    private static RowData RowOf(long account, long sequence, byte[]? value)
    {
        if (value is null)
            throw new Ledger.Engine.InvariantViolationException($"Invariant: the index of account {AccountKey.FromPacked(account)} names entry {sequence}, which has no row.");
        var (owner, row) = ReadCodec.ReadStoredRow(value);
        if (owner != account)
            throw new Ledger.Engine.InvariantViolationException($"Invariant: the index of account {AccountKey.FromPacked(account)} names entry {sequence}, a row of account {AccountKey.FromPacked(owner)}.");
        return row;
    }

    /// <summary>
    /// The sequence of an account's entry by its correlation id (0: none), from the id key, or, in a store kept without
    /// them (<see cref="ReadStoreSettings.IdKeys"/>), from the entry store beside it, which holds every entry up to its
    /// checkpoint. Live, the entry store is written before the read store, so it holds every entry this store does; a
    /// store opened read-only after a crash may be ahead of it (each is durable to its own last flush), and its rows past
    /// the entry store's last sequence (and past <paramref name="after"/>, a cursor's) are walked, at most
    /// <see cref="ReadStoreSettings.ScanBudget"/> of them: past it, <c>ContinueAfter</c> is the last one walked (the
    /// page's cursor), else 0.
    /// </summary>
    private (long Sequence, long ContinueAfter) FindSequence(long account, string correlationId, long after)
    {
        if (Settings.IdKeys)
        {
            Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
            var value = Db.Get(key[..ReadCodec.IdKey(account, correlationId, key)].ToArray());
            return (value is { Length: 8 } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value) : 0, 0);
        }
        var entries = _entries ?? throw new InvalidOperationException("This read store keeps no correlation ids and was given no entry store to look them up in.");
        long entriesHold = entries.LastCheckpoint?.LastSequence ?? 0; // read before the lookup: the store holds every entry up to it
        Span<byte> id = stackalloc byte[Ledger.Engine.State.EntryKeys.LengthMax];
        int length = Ledger.Engine.State.EntryKeys.Normalize(correlationId, id);
        if (length < 0) throw new ArgumentException("A statement's correlation id is checked at the edge.", nameof(correlationId));
        if (entries.TryGet(account, id[..length], out var image) && image.Sequence > 0) return (image.Sequence, 0);
        return FindAfter(account, correlationId, Math.Max(after, entriesHold));
    }

    /// <summary>An account's entry with this correlation id among its rows after <paramref name="after"/>, walking its index (see <see cref="FindSequence"/>).</summary>
    private (long Sequence, long ContinueAfter) FindAfter(long account, string correlationId, long after)
    {
        using var iterator = AccountIndexFrom(account, after + 1);
        for (int walked = 0; iterator.Valid(); iterator.Next(), walked++)
        {
            long candidate = ReadCodec.SequenceOfIndexKey(iterator.GetKeySpan());
            if (walked == Settings.ScanBudget) return (0, candidate - 1);
            if (RowAt(account, candidate, ReadCodec.ReadIndex(iterator.GetValueSpan())).CorrelationId == correlationId) return (candidate, 0);
        }
        return (0, 0);
    }
}
