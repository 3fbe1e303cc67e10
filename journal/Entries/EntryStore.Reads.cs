using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Journal.Format;
using RocksDbSharp;

namespace Ledger.Journal.Entries;

// What the store is asked: the live state at the checkpoint, an entry, an account.
public sealed partial class EntryStore
{
    /// <summary>
    /// The live state at the checkpoint: accounts and open holds (a scan of each, O(live state)), checked against the checkpoint's
    /// counts. Null for an empty store.
    /// </summary>
    public LedgerState? LoadState()
    {
        var checkpoint = LastCheckpoint;
        if (checkpoint is null) return null;
        var catalog = Catalog ?? throw new StoreFormatException("it has a checkpoint but no catalog");
        var accounts = new List<AccountState>((int)Math.Min(checkpoint.Accounts, int.MaxValue));
        Scan(StoreCodec.AccountPrefix, (_, value) => accounts.Add(StoreCodec.ReadAccount(value)));
        var holds = new List<EntryImage>((int)Math.Min(checkpoint.OpenHolds, int.MaxValue));
        Scan(StoreCodec.HoldPrefix, (_, value) =>
        {
            StoreCodec.ReadImage(value, out var hold);
            holds.Add(hold);
        });
        var counters = new List<DailyCounter>();
        Scan(StoreCodec.DailyCounterPrefix, (_, value) => counters.Add(StoreCodec.ReadDailyCounter(value)));
        if (accounts.Count != checkpoint.Accounts || holds.Count != checkpoint.OpenHolds)
            throw new StoreFormatException($"its checkpoint at {checkpoint} lists {checkpoint.Accounts} accounts and {checkpoint.OpenHolds} open holds, but it holds {accounts.Count} and {holds.Count}");
        return new LedgerState
        {
            RecordNumber = checkpoint.RecordNumber,
            LastSequence = checkpoint.LastSequence,
            ClockTicks = checkpoint.ClockTicks,
            HistoryHash = checkpoint.HistoryHash,
            Catalog = catalog,
            Accounts = accounts,
            OpenHolds = holds,
            DailyCounters = counters,
        };
    }

    /// <summary>One entry (or, in <see cref="EntryKeys.BundleAccount"/>, one bundle) as the store holds it, for tools and tests.</summary>
    public bool TryGet(long account, ReadOnlySpan<byte> key, out EntryImage image)
    {
        Span<byte> storeKey = stackalloc byte[StoreCodec.KeyBytesMax];
        int length = StoreCodec.EntryKey(account, key, storeKey);
        var value = Db.Get(storeKey[..length].ToArray());
        if (value is null)
        {
            image = default;
            return false;
        }
        StoreCodec.ReadImage(value, out image);
        return true;
    }

    /// <summary>An account as it stood at the store's checkpoint, for tools.</summary>
    public bool TryGetAccount(AccountKey account, out AccountState state)
    {
        Span<byte> key = stackalloc byte[9];
        StoreCodec.AccountKey(account.Packed, key);
        var value = Db.Get(key.ToArray());
        state = value is null ? default : StoreCodec.ReadAccount(value);
        return value is not null;
    }

    private void Scan(byte prefix, Action<ReadOnlySpan<byte>, ReadOnlySpan<byte>> onRow)
    {
        using var iterator = Db.NewIterator(null, _scan);
        for (iterator.Seek([prefix]); iterator.Valid(); iterator.Next())
        {
            var key = iterator.GetKeySpan();
            if (key.Length == 0 || key[0] != prefix) break;
            onRow(key, iterator.GetValueSpan());
        }
    }

    private StoreCheckpoint? ReadCheckpoint()
    {
        var value = Db.Get(StoreCodec.CheckpointKey.ToArray());
        return value is null ? null : StoreCheckpoint.Read(value);
    }

    private HistoryCatalog? ReadCatalog()
    {
        var value = Db.Get(StoreCodec.CatalogKey.ToArray());
        return value is null ? null : StoreCodec.ReadCatalog(value);
    }
}
