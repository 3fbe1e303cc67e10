using Confluent.Kafka;
using Ledger.Gateway.Kafka.Egress;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The publisher's window of records in flight to Kafka: a record settles only when every one of its events was
/// acknowledged and every record before it settled; a failed delivery never settles and stops the window.
/// </summary>
public sealed class DeliveryWindowTests
{
    private static readonly DeliveryReport<byte[], byte[]> Acknowledged = new() { Error = new Error(ErrorCode.NoError) };
    private static readonly DeliveryReport<byte[], byte[]> Refused = new() { Error = new Error(ErrorCode.MsgSizeTooLarge, "too large") };

    private static PublishedPosition At(long record) => new(record, record * 100, record * 10, record * 1_000);

    [Test]
    public void ARecordShouldSettleOnlyAfterEveryEventOfItAndEveryRecordBeforeIt()
    {
        var window = new DeliveryWindow();
        var first = window.Open(At(1), 2);
        var second = window.Open(At(2), 1);
        var third = window.Open(At(3), 3);

        second(Acknowledged);
        for (int i = 0; i < 3; i++) third(Acknowledged);
        first(Acknowledged);
        Assert.That(window.Settle(out _, out _), Is.False, "the first record still has an event in flight, so nothing after it settles");
        Assert.That(window.Oldest, Is.EqualTo(At(1)));

        first(Acknowledged);
        Assert.That(window.Settle(out var newest, out long events), Is.True);
        Assert.That((newest, events), Is.EqualTo((At(3), 6L)));
        Assert.That(window.IsEmpty, Is.True);
    }

    [Test]
    public void ARecordWithoutEventsShouldSettleInItsTurn()
    {
        var window = new DeliveryWindow();
        var first = window.Open(At(1), 1);
        window.Open(At(2), 0);
        Assert.That(window.Settle(out _, out _), Is.False);
        first(Acknowledged);
        Assert.That(window.Settle(out var newest, out long events), Is.True);
        Assert.That((newest, events), Is.EqualTo((At(2), 1L)));
    }

    [Test]
    public void AFailedDeliveryShouldNeverSettleAndShouldStopTheWindow()
    {
        var window = new DeliveryWindow();
        var first = window.Open(At(1), 2);
        first(Acknowledged);
        first(Refused);
        var failure = Assert.Throws<KafkaException>(() => window.Settle(out _, out _));
        Assert.That(failure!.Message, Does.Contain("too large"));
        Assert.That(window.IsEmpty, Is.False, "the record with the refused event is not acknowledged");
    }

    [Test]
    public void AFullWindowShouldRefuseAnotherRecordUntilItsOldestSettles()
    {
        var window = new DeliveryWindow();
        var oldest = window.Open(At(1), 1);
        for (long r = 2; r <= DeliveryWindow.Records; r++) window.Open(At(r), 0);
        Assert.That(window.IsFull, Is.True);
        Assert.Throws<InvalidOperationException>(() => window.Open(At(DeliveryWindow.Records + 1), 1));

        oldest(Acknowledged);
        Assert.That(window.Settle(out var newest, out _), Is.True);
        Assert.That(newest, Is.EqualTo(At(DeliveryWindow.Records)));
        var reused = window.Open(At(DeliveryWindow.Records + 1), 1);
        Assert.That(reused, Is.SameAs(oldest), "the slot and its handler are reused, not made again");
        reused(Acknowledged);
        Assert.That(window.Settle(out newest, out _), Is.True);
        Assert.That(newest, Is.EqualTo(At(DeliveryWindow.Records + 1)));
    }
}
