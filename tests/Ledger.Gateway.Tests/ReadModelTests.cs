using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Gateway.ReadModel;

namespace Ledger.Gateway.Tests;

/// <summary>The read model on its own, fed events directly: indexes, status changes, balance history, memory per entry.</summary>
public sealed class ReadModelTests
{
    private static readonly AccountKey Key = new(1, 42);
    private static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");
    private const long T0 = 639_000_000_000_000_000;

    private static LedgerReadModel OpenedModel()
    {
        var model = new LedgerReadModel();
        model.Apply(new LedgerEvent { Kind = LedgerEventKind.AccountOpened, Account = Key, Currency = Usd, TimestampTicks = T0 });
        return model;
    }

    private static LedgerEvent Applied(long sequence, string correlationId, long available, EntryKind kind = EntryKind.Ledger,
        EntryStatus status = EntryStatus.Posted, long held = 0, long reference = 0) => new()
    {
        Kind = LedgerEventKind.EntryApplied, Sequence = sequence, TimestampTicks = T0 + sequence * TimeSpan.TicksPerSecond, Account = Key,
        Currency = Usd, EntryKind = kind, Status = status, EntryType = 100, AmountMinor = sequence, CorrelationId = correlationId,
        Description = "Cash", ReferenceSequence = reference, BalancesAfter = new Balances(available, held),
    };

    [Test]
    public void ShouldPageFromTheMiddleOfAMillionEntriesByIndexNotByScan()
    {
        var model = OpenedModel();
        for (long s = 1; s <= 1_000_000; s++) model.Apply(Applied(s, "c" + s, s));
        Assert.That(model.TryGetAccount(Key, out var view), Is.True);

        var page = view.Query(new StatementQuery { AfterSequence = 600_000, Limit = 3 }, out long next);
        Assert.That(page.Select(e => e.CorrelationId), Is.EqualTo(new[] { "c600001", "c600002", "c600003" }));
        Assert.That(next, Is.EqualTo(600_003));

        var window = view.Query(new StatementQuery { FromTicks = T0 + 999_999 * TimeSpan.TicksPerSecond, Limit = 10 }, out long end);
        Assert.That(window.Select(e => e.Sequence), Is.EqualTo(new long[] { 999_999, 1_000_000 }));
        Assert.That(end, Is.Zero, "the last page has no cursor");

        var byId = view.Query(new StatementQuery { CorrelationId = "c777777" }, out _);
        Assert.That(byId.Single().Sequence, Is.EqualTo(777_777));
    }

    [Test]
    public void ShouldStopAFilteredScanAtItsBudgetAndHandBackACursor()
    {
        var model = OpenedModel();
        for (long s = 1; s <= AccountView.ScanBudget + 10; s++) model.Apply(Applied(s, "c" + s, s));
        model.TryGetAccount(Key, out var view);
        var page = view.Query(new StatementQuery { EntryType = 999, Limit = 10 }, out long next);
        Assert.That(page, Is.Empty);
        Assert.That(next, Is.EqualTo(AccountView.ScanBudget), "the next page continues after the last entry examined");
        var rest = view.Query(new StatementQuery { EntryType = 999, Limit = 10, AfterSequence = next }, out long end);
        Assert.That(rest, Is.Empty);
        Assert.That(end, Is.Zero);
    }

    [Test]
    public void ShouldMoveAHoldsStatusAndRecordTheReversal()
    {
        var model = OpenedModel();
        model.Apply(Applied(1, "d", 100));
        model.Apply(Applied(2, "h", 70, EntryKind.Blocking, EntryStatus.Pending, held: 30));
        model.Apply(Applied(3, "u", 100, EntryKind.Unblocking, reference: 2));
        model.Apply(new LedgerEvent { Kind = LedgerEventKind.EntryStatusChanged, Account = Key, Sequence = 2, CausedBySequence = 3, Status = EntryStatus.Released, TimestampTicks = T0 + 3 * TimeSpan.TicksPerSecond, BalancesAfter = new Balances(100, 0) });
        model.Apply(Applied(4, "r", 0, EntryKind.Reversal, reference: 1));
        model.Apply(new LedgerEvent { Kind = LedgerEventKind.EntryStatusChanged, Account = Key, Sequence = 1, CausedBySequence = 4, Status = EntryStatus.Posted, TimestampTicks = T0 + 4 * TimeSpan.TicksPerSecond, BalancesAfter = new Balances(0, 0) });

        model.TryGetAccount(Key, out var view);
        var all = view.Query(new StatementQuery(), out _);
        Assert.That(all.Select(e => e.Status.ToString()), Is.EqualTo(new[] { "Posted", "Released", "Posted", "Posted" }));
        Assert.That(all[0].ReversedBy, Is.EqualTo("r"));
        Assert.That(all[2].Unblocks, Is.EqualTo("h"));
        Assert.That(all[3].Reverses, Is.EqualTo("d"));

        Assert.That(view.TryGetBalancesAt(T0 + 2 * TimeSpan.TicksPerSecond, out var atTwo), Is.True);
        Assert.That(atTwo, Is.EqualTo(new Balances(70, 30)));
        Assert.That(view.TryGetBalancesAt(T0 - 1, out _), Is.False, "before the opening");
        Assert.That(view.CurrentBalances, Is.EqualTo(new Balances(0, 0)));
    }

    private static LedgerReadModel ModelWithHistory()
    {
        var model = OpenedModel();
        model.Apply(Applied(1, "d", 100));
        model.Apply(Applied(2, "h", 70, EntryKind.Blocking, EntryStatus.Pending, held: 30));
        model.Apply(new LedgerEvent { Kind = LedgerEventKind.EntryStatusChanged, Account = Key, Sequence = 2, Status = EntryStatus.Expired, TimestampTicks = T0 + 5 * TimeSpan.TicksPerSecond, BalancesAfter = new Balances(100, 0) });
        model.Apply(Applied(6, "r", 0, EntryKind.Reversal, reference: 1));
        model.Apply(new LedgerEvent { Kind = LedgerEventKind.EntryStatusChanged, Account = Key, Sequence = 1, CausedBySequence = 6, Status = EntryStatus.Posted, TimestampTicks = T0 + 6 * TimeSpan.TicksPerSecond, BalancesAfter = new Balances(0, 0) });
        return model;
    }

    private static string Describe(LedgerReadModel model)
    {
        model.TryGetAccount(Key, out var view);
        var page = view.Query(new StatementQuery(), out _);
        var lines = page.Select(e => $"{e.Sequence} {e.CorrelationId} {e.EntryKind} {e.Status} {e.ReversedBy} {e.Reverses} {e.Description}").ToList();
        for (long t = T0 - 1; t <= T0 + 7 * TimeSpan.TicksPerSecond; t += TimeSpan.TicksPerSecond / 2)
        {
            lines.Add(view.TryGetBalancesAt(t, out var b) ? b.ToString() : "not open");
        }
        lines.Add(view.Query(new StatementQuery { CorrelationId = "r" }, out _).Single().Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        lines.Add($"{model.EntryCount} {model.LastSequence} {view.CurrentBalances}");
        return string.Join("\n", lines);
    }

    [Test]
    public void ShouldAnswerTheSameAfterASnapshotRoundTrip()
    {
        var model = ModelWithHistory();
        using var file = new MemoryStream();
        model.WriteSnapshot(file);
        file.Position = 0;
        var restored = LedgerReadModel.ReadSnapshot(file);
        Assert.That(Describe(restored), Is.EqualTo(Describe(model)));
        Assert.That(restored.IsReady, Is.False, "the runtime marks it ready after replaying the journal tail");
        restored.Apply(Applied(7, "after", 5));
        Assert.That(restored.LastSequence, Is.EqualTo(7), "a restored model takes the journal tail");
    }

    [TestCase(10, TestName = "ShouldRefuseASnapshotWithAFlippedByte")]
    [TestCase(-1, TestName = "ShouldRefuseATruncatedSnapshot")]
    public void ShouldRefuseADamagedSnapshot(int flip)
    {
        using var file = new MemoryStream();
        ModelWithHistory().WriteSnapshot(file);
        var bytes = file.ToArray();
        if (flip >= 0) bytes[flip] ^= 0x40;
        else bytes = bytes[..^5];
        Assert.Throws<InvalidDataException>(() => LedgerReadModel.ReadSnapshot(new MemoryStream(bytes)));
    }

    [Test]
    public void ShouldHoldAnEntryInAboutTwoHundredBytes()
    {
        const int count = 200_000;
        var ids = new string[count];
        for (int i = 0; i < count; i++) ids[i] = "corr-" + i.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var model = OpenedModel();
        for (int i = 0; i < count; i++) model.Apply(Applied(i + 1, ids[i], i));
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double perEntry = (after - before) / (double)count;
        double structural = model.FootprintBytes() / (double)count;
        TestContext.Out.WriteLine($"read model: {perEntry:F0} bytes/entry measured ({structural:F0} in its arrays), correlationId strings excluded");
        Assert.That(perEntry, Is.LessThan(200), "entry struct + balance point + index slots");
        GC.KeepAlive(model);
    }
}
