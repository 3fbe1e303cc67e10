using Ledger.Engine.Domain;
using RocksDbSharp;

namespace Ledger.ReadSide;

// Query family: an account's statement pages (time window, cursor, filters).
public sealed partial class ReadStore
{
    /// <summary>A statement page of an account, oldest first; null when the account does not exist.</summary>
    public StatementPage? Statement(AccountKey account, StatementQuery query)
    {
        Enter();
        try
        {
            return StatementInside(account, query);
        }
        finally
        {
            Exit();
        }
    }

    private StatementPage? StatementInside(AccountKey account, StatementQuery query)
    {
        if (!TryGetAccountInside(account, out var summary)) return null;
        long packed = account.Packed;
        var rows = new List<StatementRow>(Math.Min(query.Limit, 64));
        if (query.CorrelationId is not null)
        {
            if (TryGetSequence(packed, query.CorrelationId, out long sequence) && sequence > query.AfterSequence &&
                TryGetRow(packed, sequence, out var row) && Matches(in row, query))
            {
                rows.Add(ToStatementRow(packed, sequence, in row));
            }
            return new StatementPage(summary, rows, 0);
        }
        long start = Math.Max(query.AfterSequence + 1, query.FromTicks > 0 ? FirstSequenceFrom(packed, query.FromTicks) : 1);
        if (start == long.MaxValue) return new StatementPage(summary, rows, 0);

        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        byte[] upper = new byte[9];
        ReadCodec.RowKey(packed, 0, key);
        key[..9].CopyTo(upper);
        Increment(upper);
        var read = new ReadOptions().SetIterateUpperBound(upper);
        using var iterator = Db.NewIterator(null, read);
        iterator.Seek(key[..ReadCodec.RowKey(packed, start, key)].ToArray());
        long next = 0, lastExamined = 0;
        int scanned = 0, keysRead = 0;
        while (iterator.Valid())
        {
            keysRead++;
            long sequence = ReadCodec.SequenceOfRowKey(iterator.GetKeySpan());
            var row = ReadCodec.ReadRow(iterator.GetValueSpan());
            if (row.TimestampTicks >= query.ToTicks) break;
            if (rows.Count == query.Limit)
            {
                next = lastExamined; // a page is full and another row follows inside the window
                break;
            }
            if (++scanned > Settings.ScanBudget)
            {
                next = lastExamined;
                break;
            }
            lastExamined = sequence;
            if (Matches(in row, query)) rows.Add(ToStatementRow(packed, sequence, in row));
            iterator.Next();
        }
        Interlocked.Add(ref _statementKeysRead, keysRead);
        return new StatementPage(summary, rows, next);
    }

    /// <summary>The first entry sequence of the account stamped at or after <paramref name="fromTicks"/>, or long.MaxValue.</summary>
    private long FirstSequenceFrom(long account, long fromTicks)
    {
        Span<byte> key = stackalloc byte[ReadCodec.HistoryKeyBytes];
        ReadCodec.HistoryKey(account, fromTicks, 0, key);
        byte[] upper = key[..9].ToArray();
        Increment(upper);
        var read = new ReadOptions().SetIterateUpperBound(upper);
        using var iterator = Db.NewIterator(null, read);
        for (iterator.Seek(key.ToArray()); iterator.Valid(); iterator.Next())
        {
            Interlocked.Increment(ref _statementKeysRead);
            long first = ReadCodec.ReadHistory(iterator.GetValueSpan()).FirstSequence;
            if (first != 0) return first;
        }
        return long.MaxValue;
    }

    private static void Increment(byte[] prefix)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (++prefix[i] != 0) return;
        }
    }

    private static bool Matches(in RowData e, StatementQuery q)
    {
        if (e.TimestampTicks < q.FromTicks || e.TimestampTicks >= q.ToTicks) return false;
        if (!q.HasFilters) return true;
        return (q.EntryType is not { } type || e.EntryType == type)
               && (q.Kind is not { } kind || e.Kind == kind)
               && (q.Status is not { } status || e.Status == status)
               && (q.MinAmountMinor is not { } min || e.AmountMinor >= min)
               && (q.MaxAmountMinor is not { } max || e.AmountMinor <= max);
    }

    private StatementRow ToStatementRow(long account, long sequence, in RowData row) => new()
    {
        Sequence = sequence,
        TimestampTicks = row.TimestampTicks,
        Kind = row.Kind,
        Status = row.Status,
        EntryType = row.EntryType,
        AmountMinor = row.AmountMinor,
        CorrelationId = row.CorrelationId,
        Description = row.Description,
        ExpiresAtTicks = row.ExpiresAtTicks,
        Reference = row.ReferenceSequence == 0 ? null : CorrelationIdOf(account, row.ReferenceSequence),
        ReversedBy = row.ReversedBySequence == 0 ? null : CorrelationIdOf(account, row.ReversedBySequence),
        BalancesAfter = row.BalancesAfter,
    };
}
