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
            var (sequence, continueAfter) = FindSequence(packed, query.CorrelationId, query.AfterSequence);
            if (sequence > query.AfterSequence && TryGetRow(packed, sequence, out var row) && Matches(in row, query))
            {
                rows.Add(ToStatementRow(packed, sequence, in row));
            }
            return new StatementPage(summary, rows, continueAfter);
        }
        long start = Math.Max(query.AfterSequence + 1, query.FromTicks > 0 ? FirstSequenceFrom(packed, query.FromTicks) : 1);
        if (start == long.MaxValue) return new StatementPage(summary, rows, 0);

        using var iterator = AccountIndexFrom(packed, start);
        long next = 0, lastExamined = 0;
        int scanned = 0, keysRead = 0;
        // The account's index gives each entry's sequence and time in order; the rows are read a chunk at a time with
        // one MultiGet (as many as the page still needs, more while filters skip rows), then examined in order as before.
        var chunk = new List<(long Sequence, long Time)>();
        int want = query.Limit + 1;
        bool done = false;
        while (!done)
        {
            chunk.Clear();
            while (chunk.Count < want && iterator.Valid())
            {
                keysRead++;
                long sequence = ReadCodec.SequenceOfIndexKey(iterator.GetKeySpan());
                long time = ReadCodec.ReadIndex(iterator.GetValueSpan());
                if (time >= query.ToTicks)
                {
                    done = true;
                    break;
                }
                chunk.Add((sequence, time));
                iterator.Next();
            }
            if (chunk.Count == 0) break;
            if (chunk.Count < want) done = true; // the index ended (or the window did): this chunk is the last
            var found = ReadRows(packed, chunk);
            for (int i = 0; i < chunk.Count; i++)
            {
                var (sequence, _) = chunk[i];
                if (rows.Count == query.Limit)
                {
                    next = lastExamined; // a page is full and another row follows inside the window
                    done = true;
                    break;
                }
                if (++scanned > Settings.ScanBudget)
                {
                    next = lastExamined;
                    done = true;
                    break;
                }
                lastExamined = sequence;
                if (Matches(in found[i], query)) rows.Add(ToStatementRow(packed, sequence, in found[i]));
            }
            want = Math.Min(1_024, Math.Max(want * 2, query.Limit - rows.Count + 1));
        }
        Interlocked.Add(ref _statementKeysRead, keysRead);
        return new StatementPage(summary, rows, next);
    }

    /// <summary>The rows of an account's entries (sequence, time), in one MultiGet of the rows family.</summary>
    private RowData[] ReadRows(long account, List<(long Sequence, long Time)> entries)
    {
        var keys = new byte[entries.Count][];
        var families = new ColumnFamilyHandle[entries.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = new byte[ReadCodec.RowKeyBytes];
            ReadCodec.RowKey(entries[i].Time, entries[i].Sequence, keys[i]);
            families[i] = Rows;
        }
        var values = Db.MultiGet(keys, families);
        var rows = new RowData[keys.Length];
        for (int i = 0; i < keys.Length; i++) rows[i] = RowOf(account, entries[i].Sequence, values[i].Value);
        return rows;
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
