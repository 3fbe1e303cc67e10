using Ledger.Engine.Domain;
using RocksDbSharp;

namespace Ledger.ReadSide;

// Query family: the ledger-wide statement (every account, in sequence order).
public sealed partial class ReadStore
{
    /// <summary>
    /// A page of the whole-ledger statement: every account's entries in sequence order inside the query's time window,
    /// v2 filters applied (not <see cref="StatementQuery.CorrelationId"/>: that names an account's entry). Reads at most
    /// <see cref="ReadStoreSettings.ScanBudget"/> rows, like an account's statement.
    /// </summary>
    public LedgerStatementPage LedgerStatement(StatementQuery query)
    {
        if (query.CorrelationId is not null) throw new ArgumentException("A correlationId names an account's entry: ask that account's statement.", nameof(query));
        Enter();
        try
        {
            return LedgerStatementInside(query);
        }
        finally
        {
            Exit();
        }
    }

    private LedgerStatementPage LedgerStatementInside(StatementQuery query)
    {
        var rows = new List<LedgerStatementRow>(Math.Min(query.Limit, 64));
        var accounts = new Dictionary<long, CurrencyCode>();
        Span<byte> key = stackalloc byte[ReadCodec.RowKeyBytes];
        var after = query.After ?? new LedgerPosition(query.FromTicks, 0);
        if (after.TimestampTicks < query.FromTicks) after = new LedgerPosition(query.FromTicks, 0);
        ReadCodec.RowKey(after.TimestampTicks, after.Sequence + 1, key);
        // The rows family is the whole ledger in (time, sequence) order: the page reads its rows where they lie.
        using var iterator = Db.NewIterator(Rows, new ReadOptions());
        iterator.Seek(key.ToArray());
        LedgerPosition? next = null;
        var lastExamined = after;
        int scanned = 0;
        while (iterator.Valid())
        {
            var (timestamp, sequence) = ReadCodec.OfRowKey(iterator.GetKeySpan());
            if (timestamp >= query.ToTicks) break;
            if (rows.Count == query.Limit || ++scanned > Settings.ScanBudget)
            {
                next = lastExamined; // a page is full (or the budget spent) and another entry follows inside the window
                break;
            }
            lastExamined = new LedgerPosition(timestamp, sequence);
            var (account, row) = ReadCodec.ReadStoredRow(iterator.GetValueSpan());
            if (Matches(in row, query))
            {
                if (!accounts.TryGetValue(account, out var currency))
                {
                    if (!TryGetAccountInside(AccountKey.FromPacked(account), out var summary))
                        throw new Ledger.Engine.InvariantViolationException($"Invariant: entry {sequence} belongs to account {AccountKey.FromPacked(account)}, which the read store does not hold.");
                    accounts[account] = currency = summary.Currency;
                }
                rows.Add(new LedgerStatementRow(AccountKey.FromPacked(account), currency, ToStatementRow(account, sequence, in row)));
            }
            iterator.Next();
        }
        return new LedgerStatementPage(rows, next);
    }
}
