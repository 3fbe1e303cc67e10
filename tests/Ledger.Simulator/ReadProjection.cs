using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.ReadSide;
using Ledger.Testing.Model;

namespace Ledger.Simulator;

/// <summary>
/// The auditor's read side: statements and balances-at-an-instant recomputed from the reference model's events (no
/// Ledger.ReadSide code), to hold the read store's answers against.
/// </summary>
internal sealed class ReadProjection
{
    private sealed class Row
    {
        public required long Sequence;
        public required long TimestampTicks;
        public required EntryKind Kind;
        public required EntryStatus Status;
        public required int EntryType;
        public required long AmountMinor;
        public required string CorrelationId;
        public required Balances BalancesAfter;
        public long ExpiresAtTicks;
        public string? ReversedBy;
    }

    private readonly Dictionary<AccountKey, List<Row>> _rows = [];
    private readonly Dictionary<long, Row> _bySequence = [];
    private readonly Dictionary<AccountKey, List<(long At, Balances Balances)>> _history = [];

    public IEnumerable<AccountKey> Accounts => _history.Keys;

    /// <summary>Takes an applied command's events (the model's) with the request that caused them (for the correlation ids).</summary>
    public void Apply(LedgerCommand request, ModelAnswer answer)
    {
        var ids = new Dictionary<long, string>();
        if (request.Kind == CommandKind.PostEntries && answer.Code == ResultCode.Ok && !answer.Replayed)
        {
            for (int i = 0; i < answer.EntryResults.Length; i++) ids[answer.EntryResults[i].Sequence] = request.Entries[i].CorrelationId;
        }
        foreach (var e in answer.Events)
        {
            if (!_history.TryGetValue(e.Account, out var history)) _history[e.Account] = history = [];
            history.Add((e.TimestampTicks, e.BalancesAfter));
            if (e.Kind == LedgerEventKind.EntryApplied)
            {
                var row = new Row
                {
                    Sequence = e.Sequence, TimestampTicks = e.TimestampTicks, Kind = e.EntryKind, Status = e.Status, EntryType = e.EntryType,
                    AmountMinor = e.AmountMinor, CorrelationId = ids[e.Sequence], BalancesAfter = e.BalancesAfter, ExpiresAtTicks = e.ExpiresAtTicks,
                };
                if (!_rows.TryGetValue(e.Account, out var rows)) _rows[e.Account] = rows = [];
                rows.Add(row);
                _bySequence[e.Sequence] = row;
            }
            else if (e.Kind == LedgerEventKind.EntryStatusChanged)
            {
                var target = _bySequence[e.Sequence];
                target.Status = e.Status;
                if (e.CausedBySequence != 0 && target.Kind == EntryKind.Ledger && e.Status == EntryStatus.Posted)
                    target.ReversedBy = _bySequence[e.CausedBySequence].CorrelationId;
            }
        }
    }

    /// <summary>Null when the statement rows equal the projection's (oldest first), else what differs.</summary>
    public string? CompareStatement(AccountKey account, IReadOnlyList<StatementRow> actual, long fromTicks = 0, long toTicks = long.MaxValue)
    {
        var expected = _rows.TryGetValue(account, out var rows) ? rows.Where(r => r.TimestampTicks >= fromTicks && r.TimestampTicks < toTicks).ToList() : [];
        if (actual.Count != expected.Count) return $"statement of {account} has {actual.Count} rows, the model {expected.Count}";
        for (int i = 0; i < actual.Count; i++)
        {
            var a = actual[i];
            var x = expected[i];
            if (a.Sequence != x.Sequence || a.TimestampTicks != x.TimestampTicks || a.Kind != x.Kind || a.Status != x.Status || a.EntryType != x.EntryType ||
                a.AmountMinor != x.AmountMinor || a.CorrelationId != x.CorrelationId || a.BalancesAfter != x.BalancesAfter ||
                a.ExpiresAtTicks != x.ExpiresAtTicks || a.ReversedBy != x.ReversedBy)
            {
                return $"statement of {account}, row {i}: read store {a.Sequence} {a.Kind} {a.Status} {a.EntryType} {a.AmountMinor} {a.CorrelationId} " +
                       $"{a.BalancesAfter} at {a.TimestampTicks} exp {a.ExpiresAtTicks} reversedBy {a.ReversedBy}; model {x.Sequence} {x.Kind} {x.Status} " +
                       $"{x.EntryType} {x.AmountMinor} {x.CorrelationId} {x.BalancesAfter} at {x.TimestampTicks} exp {x.ExpiresAtTicks} reversedBy {x.ReversedBy}";
            }
        }
        return null;
    }

    /// <summary>The account's balances as they stood at an instant (after every record stamped at or before it); null before it was opened.</summary>
    public Balances? BalancesAt(AccountKey account, long atTicks)
    {
        if (!_history.TryGetValue(account, out var history) || history[0].At > atTicks) return null;
        Balances found = default;
        foreach (var (at, balances) in history)
        {
            if (at > atTicks) break;
            found = balances;
        }
        return found;
    }

    /// <summary>The instants worth asking about: the opening, each record's time, and between them.</summary>
    public long OpenedAt(AccountKey account) => _history[account][0].At;
}
