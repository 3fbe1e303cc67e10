using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;

namespace Ledger.Testing.Model;

/// <summary>One entry's answer as the model decides it (the shape of <see cref="EntryResult"/>).</summary>
internal readonly record struct ModelEntryResult(
    AccountKey Account, EntryStatus Status, long Sequence, long TimestampTicks, int EntryType, long AmountMinor, CurrencyCode Currency, Balances BalancesAfter,
    int FeeOfIndex = 0);

/// <summary>One event as the model emits it (the fields of <see cref="LedgerEvent"/> that carry meaning).</summary>
internal readonly record struct ModelEvent(
    LedgerEventKind Kind, long Sequence, long CausedBySequence, long TimestampTicks, AccountKey Account, CurrencyCode Currency,
    EntryKind EntryKind, EntryStatus Status, int EntryType, long AmountMinor, long ReferenceSequence, long ExpiresAtTicks, Balances BalancesAfter,
    string? CorrelationId = null, long FeeOfSequence = 0)
{
    /// <summary>The engine's event; its correlation id is kept only for a fee's (the derived id is what the model checks).</summary>
    public static ModelEvent Of(in LedgerEvent e) => new(e.Kind, e.Sequence, e.CausedBySequence, e.TimestampTicks, e.Account, e.Currency,
        e.EntryKind, e.Status, e.EntryType, e.AmountMinor, e.ReferenceSequence, e.ExpiresAtTicks, e.BalancesAfter,
        e.FeeOfSequence != 0 ? e.CorrelationId : null, e.FeeOfSequence);
}

/// <summary>The model's answer to one command.</summary>
internal sealed record ModelAnswer(
    ResultCode Code, int EntryIndex, string? Rule, ConflictFields Conflicts, bool Replayed, long TimestampTicks, bool ChangedState,
    ModelEntryResult[] EntryResults, ModelEvent[] Events);

/// <summary>
/// The ledger's semantics written the plain way, to check the engine against (TigerBeetle's "auditor").
/// Dictionaries and lists, decimal-free wide arithmetic (Int128) instead of overflow tricks, and a whole copy of
/// the state per batch instead of a simulation: decide on the copy, keep it if every entry applied, else drop it.
/// It follows docs/contract.md sections 1–3 and the precedence documented on <see cref="ResultCode"/>; it shares no code with the engine
/// (it reads only the catalog's definitions, which are data).
/// </summary>
internal sealed class ReferenceLedger(HistoryCatalog initialCatalog)
{
    private HistoryCatalog _catalog = initialCatalog;

    private sealed class Account
    {
        public required AccountKey Key;
        public required CurrencyCode Currency;
        public required long Overdraft;
        public long Available;
        public long Held;
        public Account Copy() => (Account)MemberwiseClone();
    }

    private sealed class Entry
    {
        // what was asked, and in which command
        public required AccountKey Account;
        public required EntryRequest Request;
        public required int Command;
        public required int Position;
        public required long Created;
        // the outcome: a decline, or the applied entry
        public ResultCode Decline;
        public int DeclineIndex;
        public string? Rule;
        public long TimestampTicks;
        public EntryKind Kind;
        public EntryStatus Status;
        public EntryStatus AnsweredStatus;
        public int EntryType;
        public Direction Direction;
        public long Amount;
        public CurrencyCode Currency;
        public long Sequence;
        public long HeldRemaining;
        public long ExpiresAt;
        public bool Reversed;
        public Balances BalancesAfter;
        /// <summary>The entry carried a fee entry (its id + ":fee"); the fee entry itself is <see cref="IsFee"/>.</summary>
        public bool HasFee;
        public bool IsFee;
        public bool Applied => Decline == ResultCode.Ok;
        public Entry Copy() => (Entry)MemberwiseClone();
    }

    private sealed record CommandRecord(List<(AccountKey, string)> Keys, bool InBundle);

    private sealed class State
    {
        public Dictionary<AccountKey, Account> Accounts = [];
        public Dictionary<(AccountKey, string), Entry> Entries = [];
        public Dictionary<int, CommandRecord> Commands = [];
        public Dictionary<string, int> Bundles = new(StringComparer.Ordinal);
        /// <summary>Per (account, scope: "code:998" or "domain:cards"): the business day and its debits' sum and count.</summary>
        public Dictionary<(AccountKey, string), (long Day, long Sum, int Count)> Daily = [];
        public long LastSequence;
        public long Created;
        public int NextCommand;

        public State Copy() => new()
        {
            Accounts = Accounts.ToDictionary(p => p.Key, p => p.Value.Copy()),
            Entries = Entries.ToDictionary(p => p.Key, p => p.Value.Copy()),
            Commands = new(Commands),
            Bundles = new(Bundles, StringComparer.Ordinal),
            Daily = new(Daily),
            LastSequence = LastSequence,
            Created = Created,
            NextCommand = NextCommand,
        };
    }

    private State _state = new();
    private long _clock;
    private List<ModelEvent> _events = [];
    private bool _changed;

    public long LastSequence => _state.LastSequence;

    public IEnumerable<(AccountKey Key, Balances Balances, long Overdraft)> Accounts =>
        _state.Accounts.Values.Select(a => (a.Key, new Balances(a.Available, a.Held), a.Overdraft));

    /// <summary>Decides a command as the contract says. Reads the command; never writes it.</summary>
    public ModelAnswer Apply(LedgerCommand command)
    {
        _events = [];
        _changed = false;
        _clock = Math.Max(_clock, command.TimestampTicks);
        ExpireHolds();
        var answer = command.Kind switch
        {
            CommandKind.OpenAccounts => Open(command),
            CommandKind.PostEntries => Post(command),
            CommandKind.RemoveEntry => Delete(command),
            CommandKind.Tick => Answer(ResultCode.Ok, -1),
            CommandKind.LoadCatalog => LoadCatalog(command.Catalog!),
            _ => Answer(ResultCode.InvalidCommand, -1),
        };
        if (answer.ChangedState) _journaledClock = _clock;
        return answer;
    }

    /// <summary>
    /// A restart from the journal: the clock goes back to the last command that changed the ledger (the journaled one).
    /// Commands that changed nothing (refusals, replays, ticks that expired nothing) are not journaled, so the time they
    /// raised the clock to is forgotten; every entry's time stays monotonic, because entries are journaled.
    /// </summary>
    public void Restart() => _clock = _journaledClock;

    private long _journaledClock;

    private ModelAnswer Answer(ResultCode code, int index, string? rule = null, ModelEntryResult[]? results = null,
        ConflictFields conflicts = ConflictFields.None, bool replayed = false, long? timestamp = null) =>
        new(code, index, rule, conflicts, replayed, timestamp ?? _clock, _changed, results ?? [], [.. _events]);

    private ModelAnswer LoadCatalog(HistoryCatalog next)
    {
        _catalog = next;
        _changed = true;
        return Answer(ResultCode.Ok, -1);
    }

    private void ExpireHolds()
    {
        var due = _state.Entries.Values
            .Where(e => e.Applied && e.Status == EntryStatus.Pending && e.ExpiresAt != 0 && e.ExpiresAt <= _clock)
            .OrderBy(e => e.ExpiresAt).ThenBy(e => e.Created)
            .ToList();
        foreach (var hold in due)
        {
            var account = _state.Accounts[hold.Account];
            long amount = hold.HeldRemaining;
            account.Held -= amount;
            account.Available += amount;
            hold.HeldRemaining = 0;
            hold.Status = EntryStatus.Expired;
            StatusChanged(hold, account, EntryStatus.Expired, amount, causedBy: 0);
            _changed = true;
        }
    }

    // ---------------- accounts ----------------

    private ModelAnswer Open(LedgerCommand command)
    {
        int n = command.OpeningCount;
        if (n <= 0) return Answer(ResultCode.InvalidCommand, -1);
        for (int i = 0; i < n; i++)
        {
            var o = command.Openings[i];
            bool valid = o.Account.Branch is >= 0 and <= 9_999 && o.Account.Number is >= 0 and <= 999_999_999_999 &&
                         !o.Currency.IsNone && o.OverdraftLimitMinor >= 0 && o.OverdraftLimitMinor <= Limits.OverdraftLimitMax;
            if (!valid) return Answer(ResultCode.InvalidCommand, i);
            if (_state.Accounts.ContainsKey(o.Account)) return Answer(ResultCode.AccountExists, i);
        }
        var seen = new HashSet<AccountKey>();
        for (int i = 0; i < n; i++)
        {
            if (!seen.Add(command.Openings[i].Account)) return Answer(ResultCode.InvalidCommand, i);
        }
        var results = new ModelEntryResult[n];
        for (int i = 0; i < n; i++)
        {
            var o = command.Openings[i];
            _state.Accounts[o.Account] = new Account { Key = o.Account, Currency = o.Currency, Overdraft = o.OverdraftLimitMinor };
            _events.Add(new ModelEvent(LedgerEventKind.AccountOpened, 0, 0, _clock, o.Account, o.Currency, default, default, 0,
                o.OverdraftLimitMinor, 0, 0, default));
            results[i] = new ModelEntryResult(o.Account, EntryStatus.None, 0, _clock, 0, 0, o.Currency, default);
        }
        _changed = true;
        return Answer(ResultCode.Ok, -1, results: results);
    }

    // ---------------- DELETE ----------------

    private ModelAnswer Delete(LedgerCommand command)
    {
        if (!_state.Accounts.TryGetValue(command.TargetAccount, out var account)) return Answer(ResultCode.AccountNotFound, -1);
        if (!IsValidId(command.TargetCorrelationId)) return Answer(ResultCode.InvalidCommand, -1);
        var hold = Applied(_state, command.TargetAccount, command.TargetCorrelationId!);
        if (hold is null) return Answer(ResultCode.EntryNotFound, -1);
        if (!Permitted(command, hold.EntryType)) return Answer(ResultCode.DomainNotPermitted, -1);
        if (hold.Status != EntryStatus.Pending) return Answer(ResultCode.EntryNotPending, -1);
        long amount = hold.HeldRemaining;
        account.Held -= amount;
        account.Available += amount;
        hold.HeldRemaining = 0;
        hold.Status = EntryStatus.Removed;
        StatusChanged(hold, account, EntryStatus.Removed, amount, causedBy: 0);
        _changed = true;
        return Answer(ResultCode.Ok, -1, results:
            [new ModelEntryResult(account.Key, EntryStatus.Removed, hold.Sequence, _clock, hold.EntryType, amount, hold.Currency, Balances(account))]);
    }

    // ---------------- batches and bundles ----------------

    private ModelAnswer Post(LedgerCommand command)
    {
        int n = command.EntryCount;
        bool bundle = command.BundleId is not null;
        if (n <= 0 || n > Limits.EntriesPerBatchMax) return Answer(ResultCode.InvalidCommand, -1);
        if (bundle && !IsValidId(command.BundleId)) return Answer(ResultCode.InvalidCommand, -1);
        var entries = command.Entries.Take(n).ToArray();

        // 1. shape and accounts
        var seen = new HashSet<(AccountKey, string)>();
        for (int i = 0; i < n; i++)
        {
            var e = entries[i];
            if (!bundle && e.Account != entries[0].Account) return Answer(ResultCode.InvalidCommand, i);
            if (!IsWellFormed(e) || !IsValidId(e.CorrelationId)) return Answer(ResultCode.InvalidCommand, i);
            if (!_state.Accounts.ContainsKey(e.Account)) return Answer(ResultCode.AccountNotFound, i);
            if (!seen.Add((e.Account, e.CorrelationId))) return Answer(ResultCode.InvalidCommand, i);
        }
        // 2. domains; an entry that names another takes that one's code
        for (int i = 0; i < n; i++)
        {
            var e = entries[i];
            int type = e.Reference is not null && Applied(_state, e.Account, e.Reference) is { } target ? target.EntryType : e.EntryType;
            if (type >= 0 && !Permitted(command, type)) return Answer(ResultCode.DomainNotPermitted, i);
        }
        // 3. idempotency
        if (FromMemory(command, entries, bundle) is { } remembered) return remembered;

        // 4. fees: which entries carry one, and their derived ids
        var fees = new List<(int Carrier, int Code, long Amount, Entry? Reverses)>();
        var requested = entries.Select(e => (e.Account, e.CorrelationId)).ToHashSet();
        for (int i = 0; i < n; i++)
        {
            var e = entries[i];
            (int Code, long Amount, Entry? Reverses)? fee = null;
            if (e.Kind == EntryKind.Ledger && Definition(e.EntryType)?.Rules.FirstOrDefault(r => r.Name == "fee") is { } rule)
            {
                var (feeCode, amount) = FeeOf(rule.Parameter, e.AmountMinor);
                if (amount > 0) fee = (feeCode, amount, null);
            }
            else if (e.Kind == EntryKind.Reversal && Applied(_state, e.Account, e.Reference!) is { HasFee: true })
            {
                var charged = _state.Entries[(e.Account, e.Reference + ":fee")];
                fee = (charged.EntryType, charged.Amount, charged);
            }
            if (fee is not { } f) continue;
            if (e.CorrelationId.Length > 60) return Answer(ResultCode.InvalidCommand, i);
            var feeKey = (e.Account, e.CorrelationId + ":fee");
            if (requested.Contains(feeKey) || _state.Entries.ContainsKey(feeKey)) return Answer(ResultCode.IdempotencyConflict, i, conflicts: ConflictFields.Batch);
            requested.Add(feeKey);
            fees.Add((i, f.Code, f.Amount, f.Reverses));
        }

        // 5. decide on a copy, the requested entries then their fees; keep it only if every entry applies
        int commandId = _state.NextCommand++;
        var work = _state.Copy();
        var applied = new List<ModelEvent>();
        for (int i = 0; i < n; i++)
        {
            var code = DecideAndApply(work, entries, i, commandId, applied, out string? rule);
            if (code != ResultCode.Ok)
            {
                RememberDecline(entries, bundle, command.BundleId, commandId, code, i, rule);
                _changed = true;
                return Answer(code, i, rule);
            }
        }
        for (int k = 0; k < fees.Count; k++)
        {
            var code = ApplyFee(work, entries, fees[k], n + k, commandId, applied);
            if (code != ResultCode.Ok)
            {
                RememberDecline(entries, bundle, command.BundleId, commandId, code, fees[k].Carrier, null);
                _changed = true;
                return Answer(code, fees[k].Carrier);
            }
        }
        _state = work;
        _events.AddRange(applied);
        var keys = entries.Select(e => (e.Account, e.CorrelationId)).ToList();
        _state.Commands[commandId] = new CommandRecord(keys, bundle);
        if (bundle) _state.Bundles[command.BundleId!] = commandId;
        foreach (var key in keys.Concat(fees.Select(f => (entries[f.Carrier].Account, entries[f.Carrier].CorrelationId + ":fee"))))
        {
            var rec = _state.Entries[key];
            rec.BalancesAfter = Balances(_state.Accounts[rec.Account]);
        }
        _changed = true;
        return Answer(ResultCode.Ok, -1, results: ResultsOf(keys));
    }

    /// <summary>The answers of a command's entries, then of the fee entries they carried (in entry order).</summary>
    private ModelEntryResult[] ResultsOf(List<(AccountKey, string)> keys)
    {
        var results = keys.Select(k => ResultOf(_state.Entries[k])).ToList();
        for (int i = 0; i < keys.Count; i++)
        {
            if (_state.Entries[keys[i]].HasFee) results.Add(ResultOf(_state.Entries[(keys[i].Item1, keys[i].Item2 + ":fee")]) with { FeeOfIndex = i });
        }
        return [.. results];
    }

    /// <summary>
    /// A fee's code and amount, computed here with decimals (the engine uses 128-bit integers): basis points of the amount,
    /// rounded half away from zero, clamped to [min, max]; or the fixed amount.
    /// </summary>
    private static (int Code, long Amount) FeeOf(string parameter, long amount)
    {
        var p = parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => x.Split('=')).ToDictionary(x => x[0], x => long.Parse(x[1], System.Globalization.CultureInfo.InvariantCulture));
        int code = (int)p["code"];
        if (p.TryGetValue("fixed", out long fixedFee)) return (code, fixedFee);
        decimal fee = Math.Round(amount * (decimal)p["bps"] / 10_000m, MidpointRounding.AwayFromZero);
        if (p.TryGetValue("max", out long max) && fee > max) fee = max;
        if (p.TryGetValue("min", out long min) && fee < min) fee = min;
        return (code, (long)fee);
    }

    /// <summary>Posts fee entry <paramref name="position"/> (a debit of the fee code, judged by funds only) or reverses a fee with its entry's reversal.</summary>
    private ResultCode ApplyFee(State work, EntryRequest[] entries, (int Carrier, int Code, long Amount, Entry? Reverses) fee, int position, int commandId, List<ModelEvent> events)
    {
        var e = entries[fee.Carrier];
        var account = work.Accounts[e.Account];
        var carrier = work.Entries[(e.Account, e.CorrelationId)];
        Entry? target = fee.Reverses is null ? null : work.Entries[(e.Account, e.Reference + ":fee")];
        ResultCode result;
        if (target is null) result = Debit(account, fee.Amount, Definition(fee.Code)!.MayOverdraw);
        else if (target.Reversed) result = ResultCode.AlreadyReversed;
        else result = Credit(account, fee.Amount);
        if (result != ResultCode.Ok) return result;
        carrier.HasFee = true;
        string id = e.CorrelationId + ":fee";
        var rec = new Entry
        {
            Account = e.Account, Request = default, Command = commandId, Position = position, Created = work.Created++, TimestampTicks = _clock,
            Kind = e.Kind, Status = EntryStatus.Posted, AnsweredStatus = EntryStatus.Posted, EntryType = fee.Code,
            Direction = target is null ? Direction.Debit : Direction.Credit, Amount = fee.Amount, Currency = account.Currency,
            Sequence = ++work.LastSequence, IsFee = true,
        };
        work.Entries[(e.Account, id)] = rec;
        events.Add(new ModelEvent(LedgerEventKind.EntryApplied, rec.Sequence, 0, _clock, account.Key, rec.Currency, rec.Kind, rec.Status,
            rec.EntryType, rec.Amount, target?.Sequence ?? 0, 0, Balances(account), id, carrier.Sequence));
        if (target is not null)
        {
            target.Reversed = true;
            events.Add(new ModelEvent(LedgerEventKind.EntryStatusChanged, target.Sequence, rec.Sequence, _clock, account.Key, account.Currency,
                target.Kind, target.Status, target.EntryType, target.Amount, 0, 0, Balances(account))); // the reversed fee's amount (issue 18)
        }
        return ResultCode.Ok;
    }

    private ModelAnswer? FromMemory(LedgerCommand command, EntryRequest[] entries, bool bundle)
    {
        int n = entries.Length;
        int? bundleCommand = bundle && _state.Bundles.TryGetValue(command.BundleId!, out int b) ? b : null;
        var found = entries.Select(e => _state.Entries.GetValueOrDefault((e.Account, e.CorrelationId))).ToArray();
        int firstKnown = bundleCommand is not null ? 0 : Array.FindIndex(found, f => f is not null);
        if (firstKnown < 0) return null;

        // The earlier command these ids name: the bundle's, or the batch that the first id opened.
        int? origin = bundle ? bundleCommand : found[0] is { Position: 0 } first ? first.Command : null;
        var conflicts = ConflictFields.None;
        int conflictIndex = -1;
        if (origin is null || _state.Commands[origin.Value].Keys.Count != n || _state.Commands[origin.Value].InBundle != bundle)
        {
            conflicts = ConflictFields.Batch;
            conflictIndex = firstKnown;
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                var rec = found[i];
                var differ = rec is not null && rec.Command == origin && rec.Position == i
                    ? Compare(entries[i], rec.Request)
                    : bundle && rec is null ? ConflictFields.Account | ConflictFields.Batch : ConflictFields.Batch;
                if (differ != ConflictFields.None && conflictIndex < 0) conflictIndex = i;
                conflicts |= differ;
            }
        }
        if (conflicts != ConflictFields.None) return Answer(ResultCode.IdempotencyConflict, conflictIndex, conflicts: conflicts);

        var firstRecord = _state.Entries[_state.Commands[origin!.Value].Keys[0]];
        var results = ResultsOf(_state.Commands[origin.Value].Keys);
        return Answer(firstRecord.Decline, firstRecord.Applied ? -1 : firstRecord.DeclineIndex, firstRecord.Rule, results,
            replayed: true, timestamp: firstRecord.TimestampTicks);
    }

    private static ConflictFields Compare(EntryRequest now, EntryRequest then)
    {
        var c = ConflictFields.None;
        if (now.Kind != then.Kind) c |= ConflictFields.EntryKind;
        if (now.EntryType != then.EntryType) c |= ConflictFields.EntryType;
        if (now.HasAmount != then.HasAmount || (now.HasAmount && now.AmountMinor != then.AmountMinor)) c |= ConflictFields.Amount;
        if (now.Currency != then.Currency) c |= ConflictFields.Currency;
        if (!string.Equals(now.Description, then.Description, StringComparison.Ordinal)) c |= ConflictFields.Description;
        if (now.ExpiresAtTicks != then.ExpiresAtTicks) c |= ConflictFields.ExpiresAt;
        if (!string.Equals(now.Reference, then.Reference, StringComparison.Ordinal)) c |= ConflictFields.Reference;
        return c;
    }

    private void RememberDecline(EntryRequest[] entries, bool bundle, string? bundleId, int commandId, ResultCode code, int index, string? rule)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            _state.Entries[(entries[i].Account, entries[i].CorrelationId)] = new Entry
            {
                Account = entries[i].Account, Request = entries[i], Command = commandId, Position = i, Created = _state.Created++,
                Decline = code, DeclineIndex = index, Rule = rule, TimestampTicks = _clock,
            };
        }
        _state.Commands[commandId] = new CommandRecord(entries.Select(e => (e.Account, e.CorrelationId)).ToList(), bundle);
        if (bundle) _state.Bundles[bundleId!] = commandId;
    }

    /// <summary>Decides entry i on <paramref name="work"/> (references resolve against the ledger before the command) and applies it there.</summary>
    private ResultCode DecideAndApply(State work, EntryRequest[] entries, int i, int commandId, List<ModelEvent> events, out string? rule)
    {
        var e = entries[i];
        var account = work.Accounts[e.Account];
        rule = null;
        Entry New(EntryStatus status, int type, Direction direction, long amount, CurrencyCode currency)
        {
            var rec = new Entry
            {
                Account = e.Account, Request = e, Command = commandId, Position = i, Created = work.Created++, TimestampTicks = _clock,
                Kind = e.Kind, Status = status, AnsweredStatus = status, EntryType = type, Direction = direction, Amount = amount,
                Currency = currency, Sequence = ++work.LastSequence,
            };
            work.Entries[(e.Account, e.CorrelationId)] = rec;
            return rec;
        }
        void AppliedEvent(Entry rec, long referenceSequence) => events.Add(new ModelEvent(LedgerEventKind.EntryApplied, rec.Sequence, 0, _clock,
            account.Key, rec.Currency, rec.Kind, rec.Status, rec.EntryType, rec.Amount, referenceSequence, e.ExpiresAtTicks, Balances(account)));
        void ChangedEvent(Entry target, long amount, long causedBy) => events.Add(new ModelEvent(LedgerEventKind.EntryStatusChanged, target.Sequence,
            causedBy, _clock, account.Key, account.Currency, target.Kind, target.Status, target.EntryType, amount, 0, 0, Balances(account)));

        switch (e.Kind)
        {
            case EntryKind.Ledger:
            case EntryKind.Blocking:
            {
                var code = Definition(e.EntryType);
                if (code is null) return ResultCode.UnknownHistoryCode;
                if (!code.AllowedKinds.Contains(e.Kind))
                {
                    rule = "allowedKinds";
                    return ResultCode.RuleDeclined;
                }
                if (e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                if (!DailyAndOtherRulesAllow(work, account, code, e, out rule)) return ResultCode.RuleDeclined;
                bool credit = code.Direction == Direction.Credit && e.Kind == EntryKind.Ledger;
                var result = credit ? Credit(account, e.AmountMinor) : Debit(account, e.AmountMinor, code.MayOverdraw);
                if (result != ResultCode.Ok) return result;
                if (e.Kind == EntryKind.Blocking)
                {
                    account.Held += e.AmountMinor;
                    var hold = New(EntryStatus.Pending, e.EntryType, code.Direction, e.AmountMinor, e.Currency);
                    hold.HeldRemaining = e.AmountMinor;
                    hold.ExpiresAt = e.ExpiresAtTicks;
                    AppliedEvent(hold, 0);
                }
                else
                {
                    AppliedEvent(New(EntryStatus.Posted, e.EntryType, code.Direction, e.AmountMinor, e.Currency), 0);
                }
                return ResultCode.Ok;
            }
            case EntryKind.Unblocking:
            {
                if (Applied(_state, e.Account, e.Reference!) is null) return ResultCode.ReferenceNotFound;
                var hold = work.Entries[(e.Account, e.Reference!)];
                if (hold.Status != EntryStatus.Pending) return ResultCode.EntryNotPending;
                if (!e.Currency.IsNone && e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                long amount = e.HasAmount ? e.AmountMinor : hold.HeldRemaining;
                if (amount > hold.HeldRemaining) return ResultCode.UnblockExceedsHeld;
                hold.HeldRemaining -= amount;
                account.Held -= amount;
                account.Available += amount;
                var rec = New(EntryStatus.Posted, hold.EntryType, hold.Direction, amount, hold.Currency);
                AppliedEvent(rec, hold.Sequence);
                if (hold.HeldRemaining == 0)
                {
                    hold.Status = EntryStatus.Released;
                    ChangedEvent(hold, amount, rec.Sequence);
                }
                return ResultCode.Ok;
            }
            case EntryKind.Reversal:
            {
                if (Applied(_state, e.Account, e.Reference!) is null) return ResultCode.ReferenceNotFound;
                var original = work.Entries[(e.Account, e.Reference!)];
                if (original.Kind != EntryKind.Ledger || original.Status != EntryStatus.Posted || original.IsFee) return ResultCode.NotReversible;
                // ResultCode's precedence: currency before whether it was reversed already.
                if (!e.Currency.IsNone && e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                if (original.Reversed) return ResultCode.AlreadyReversed;
                bool mayOverdraw = Definition(original.EntryType)?.MayOverdraw ?? false;
                var result = original.Direction == Direction.Debit
                    ? Credit(account, original.Amount)
                    : Debit(account, original.Amount, mayOverdraw);
                if (result != ResultCode.Ok) return result;
                original.Reversed = true;
                var opposite = original.Direction == Direction.Debit ? Direction.Credit : Direction.Debit;
                var rec = New(EntryStatus.Posted, original.EntryType, opposite, original.Amount, original.Currency);
                AppliedEvent(rec, original.Sequence);
                ChangedEvent(original, original.Amount, rec.Sequence); // the reversed entry's amount (issue 18)
                return ResultCode.Ok;
            }
            case EntryKind.Removal:
            {
                if (Applied(_state, e.Account, e.Reference!) is null) return ResultCode.ReferenceNotFound;
                var hold = work.Entries[(e.Account, e.Reference!)];
                if (hold.Status != EntryStatus.Pending) return ResultCode.EntryNotPending;
                long amount = hold.HeldRemaining;
                hold.HeldRemaining = 0;
                hold.Status = EntryStatus.Removed;
                account.Held -= amount;
                account.Available += amount;
                var rec = New(EntryStatus.Removed, hold.EntryType, hold.Direction, amount, hold.Currency);
                AppliedEvent(rec, hold.Sequence);
                ChangedEvent(hold, amount, rec.Sequence);
                return ResultCode.Ok;
            }
            default:
                return ResultCode.InvalidCommand;
        }
    }

    // ---------------- arithmetic, rules, lookups ----------------

    /// <summary>available + held may not pass the engine's balance maximum; wide arithmetic cannot wrap.</summary>
    private static ResultCode Credit(Account account, long amount)
    {
        if ((Int128)account.Available + amount + account.Held > LedgerEngine.BalanceMaxMinor) return ResultCode.AmountOverflow;
        account.Available += amount;
        return ResultCode.Ok;
    }

    private static ResultCode Debit(Account account, long amount, bool mayOverdraw)
    {
        Int128 after = (Int128)account.Available - amount;
        if (after < long.MinValue) return ResultCode.AmountOverflow;
        long floor = mayOverdraw ? -account.Overdraft : 0;
        if (after < floor) return ResultCode.InsufficientFunds;
        account.Available = (long)after;
        return ResultCode.Ok;
    }

    private static readonly string[] DailyRules = ["dailyLimit", "dailyCount"];

    /// <summary>
    /// The code's rules, then its domain's. A debit (a debit code's posting, or any hold) counts per account and UTC
    /// business day of the ledger's clock towards its code (if the code has a daily rule) and its domain (if the domain
    /// has one); a daily rule judges the count before the entry plus this one.
    /// </summary>
    private bool DailyAndOtherRulesAllow(State work, Account account, HistoryCodeDefinition code, EntryRequest e, out string? rule)
    {
        rule = null;
        bool debit = e.Kind == EntryKind.Blocking || code.Direction == Direction.Debit;
        long day = _clock / TimeSpan.TicksPerDay;
        Int128 after = debit ? (Int128)account.Available - e.AmountMinor : (Int128)account.Available + e.AmountMinor;
        var domainRules = _catalog.DomainRules.FirstOrDefault(d => d.Domain == code.Domain)?.Rules ?? [];
        var scopes = new List<(AccountKey, string)>();
        bool Judge(IReadOnlyList<RuleDefinition> rules, string scope, out string? failed)
        {
            failed = null;
            bool tracked = debit && rules.Any(r => DailyRules.Contains(r.Name));
            var (sum, count) = tracked && work.Daily.TryGetValue((account.Key, scope), out var c) && c.Day == day ? (c.Sum, c.Count) : (0L, 0);
            foreach (var r in rules)
            {
                if (r.Name == "fee") continue; // a consequence, not a check
                long p = r.Name == "currencies" ? 0 : long.Parse(r.Parameter, System.Globalization.CultureInfo.InvariantCulture);
                bool allows = r.Name switch
                {
                    "minBalanceAfter" => after >= p,
                    "dailyLimit" => (Int128)sum + e.AmountMinor <= p,
                    "dailyCount" => count + 1 <= p,
                    _ => RuleAllows(r, e),
                };
                if (!allows)
                {
                    failed = r.Name;
                    return false;
                }
            }
            if (tracked) scopes.Add((account.Key, scope));
            return true;
        }
        if (!Judge(code.Rules, "code:" + code.Code, out rule) || !Judge(domainRules, "domain:" + code.Domain, out rule)) return false;
        foreach (var key in scopes)
        {
            var (d, sum, count) = work.Daily.GetValueOrDefault(key);
            if (d != day) (sum, count) = (0, 0);
            work.Daily[key] = (day, (long)Int128.Min((Int128)sum + e.AmountMinor, long.MaxValue), count + 1);
        }
        return true;
    }

    private static bool RuleAllows(RuleDefinition rule, EntryRequest e) => rule.Name switch
    {
        "maxAmount" => e.AmountMinor <= long.Parse(rule.Parameter, System.Globalization.CultureInfo.InvariantCulture),
        "minAmount" => e.AmountMinor >= long.Parse(rule.Parameter, System.Globalization.CultureInfo.InvariantCulture),
        "currencies" => rule.Parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(e.Currency.ToString()),
        _ => throw new InvalidOperationException($"The model does not know rule '{rule.Name}'."),
    };

    private HistoryCodeDefinition? Definition(int code) => _catalog.Definitions.FirstOrDefault(d => d.Code == code);

    private bool Permitted(LedgerCommand command, int code) =>
        Definition(code) is not { } d || (command.PermittedDomains & (1UL << _catalog.DomainBit(d.Domain))) != 0;

    /// <summary>An applied (not declined) entry of the account with this correlation id, or null.</summary>
    private static Entry? Applied(State state, AccountKey account, string correlationId) =>
        state.Entries.TryGetValue((account, correlationId), out var e) && e.Applied ? e : null;

    private static bool IsValidId(string? id) =>
        id is { Length: >= 1 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    private static bool IsWellFormed(EntryRequest e)
    {
        if (e.Description is { Length: > 256 }) return false;
        return e.Kind switch
        {
            EntryKind.Ledger or EntryKind.Blocking => e.EntryType is >= 0 and <= 9_999 && e.HasAmount && e.AmountMinor > 0 &&
                !e.Currency.IsNone && e.Reference is null && (e.ExpiresAtTicks == 0 || e.Kind == EntryKind.Blocking),
            EntryKind.Unblocking => IsValidId(e.Reference) && (!e.HasAmount || e.AmountMinor > 0) && e.ExpiresAtTicks == 0,
            EntryKind.Reversal or EntryKind.Removal => IsValidId(e.Reference) && !e.HasAmount && e.ExpiresAtTicks == 0,
            _ => false,
        };
    }

    private static Balances Balances(Account a) => new(a.Available, a.Held);

    private static ModelEntryResult ResultOf(Entry rec) => new(rec.Account, rec.AnsweredStatus, rec.Sequence, rec.TimestampTicks,
        rec.EntryType, rec.Amount, rec.Currency, rec.BalancesAfter);

    private void StatusChanged(Entry target, Account account, EntryStatus status, long amount, long causedBy) =>
        _events.Add(new ModelEvent(LedgerEventKind.EntryStatusChanged, target.Sequence, causedBy, _clock, account.Key, account.Currency,
            target.Kind, status, target.EntryType, amount, 0, 0, Balances(account)));
}
