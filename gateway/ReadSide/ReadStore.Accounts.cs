using Ledger.Engine.Domain;
using RocksDbSharp;

namespace Ledger.ReadSide;

// Query family: an account and its balances, now and at an instant.
public sealed partial class ReadStore
{
    /// <summary>The account and its balances now; false when it was never opened.</summary>
    public bool TryGetAccount(AccountKey account, out ReadAccount result)
    {
        Enter();
        try
        {
            return TryGetAccountInside(account, out result);
        }
        finally
        {
            Exit();
        }
    }

    private bool TryGetAccountInside(AccountKey account, out ReadAccount result)
    {
        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        var value = Db.Get(key[..ReadCodec.AccountKey(account.Packed, key)].ToArray());
        if (value is null)
        {
            result = default;
            return false;
        }
        var (currency, overdraft, openedAt) = ReadCodec.ReadAccount(value);
        result = new ReadAccount(account, currency, overdraft, openedAt, BalancesAt(account.Packed, long.MaxValue));
        return true;
    }

    /// <summary>The balances as they stood at <paramref name="atTicks"/> (everything stamped at or before it); false when the account was not open yet (or never).</summary>
    public bool TryGetBalancesAt(AccountKey account, long atTicks, out ReadAccount result)
    {
        Enter();
        try
        {
            if (!TryGetAccountInside(account, out result) || atTicks < result.OpenedAtTicks) return false;
            result = result with { Balances = BalancesAt(account.Packed, atTicks) };
            return true;
        }
        finally
        {
            Exit();
        }
    }

    private Balances BalancesAt(long account, long atTicks)
    {
        Span<byte> key = stackalloc byte[ReadCodec.HistoryKeyBytes];
        ReadCodec.HistoryKey(account, atTicks, long.MaxValue, key);
        using var iterator = Db.NewIterator(null, new ReadOptions());
        iterator.SeekForPrev(key.ToArray());
        if (!iterator.Valid()) return default;
        var found = iterator.GetKeySpan();
        if (found.Length != ReadCodec.HistoryKeyBytes || found[0] != ReadCodec.HistoryPrefix || !found.Slice(1, 8).SequenceEqual(key.Slice(1, 8))) return default;
        return ReadCodec.ReadHistory(iterator.GetValueSpan()).Balances;
    }

    /// <summary>The sequence of the account's newest entry here, or 0 (none, or no such account).</summary>
    public long NewestSequence(AccountKey account)
    {
        Enter();
        try
        {
            Span<byte> key = stackalloc byte[17];
            ReadCodec.IndexKey(account.Packed, long.MaxValue, key);
            using var iterator = Db.NewIterator(null, new ReadOptions());
            iterator.SeekForPrev(key.ToArray());
            if (!iterator.Valid()) return 0;
            var found = iterator.GetKeySpan();
            return found.Length == 17 && found[..9].SequenceEqual(key[..9]) ? ReadCodec.SequenceOfIndexKey(found) : 0;
        }
        finally
        {
            Exit();
        }
    }
}
