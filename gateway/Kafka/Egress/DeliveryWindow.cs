using System.Diagnostics;
using Confluent.Kafka;

namespace Ledger.Gateway.Kafka.Egress;

/// <summary>
/// The journal records whose events the publisher handed to Kafka and Kafka has not yet acknowledged in full, oldest
/// first. Each record's slot counts its events' delivery reports down; <see cref="Settle"/> moves past the oldest records
/// whose counts reached zero, in journal order. So the publisher goes on producing while earlier events are in flight
/// (no flush that stops it), and the position it saves never names a record before all events up to it were
/// acknowledged. A failed delivery never counts down: its record stays unsettled and <see cref="Settle"/> throws.
/// Every slot's delivery handler is made once, with the window: nothing is allocated per event.
/// </summary>
internal sealed class DeliveryWindow
{
    /// <summary>Records in flight at most; past it the publisher waits for Kafka's acknowledgements.</summary>
    public const int Records = 16_384;

    private readonly Slot[] _slots = new Slot[Records];
    private long _opened; // slots opened so far (publisher thread)
    private long _settled; // slots settled so far (publisher thread); _settled <= _opened
    private volatile string? _failure;

    public DeliveryWindow()
    {
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new Slot(this);
    }

    public bool IsFull => _opened - _settled == Records;

    public bool IsEmpty => _opened == _settled;

    /// <summary>The oldest record not yet acknowledged in full; only while the window is not empty.</summary>
    public PublishedPosition Oldest
    {
        get
        {
            Debug.Assert(!IsEmpty);
            return _slots[_settled % Records].Position;
        }
    }

    /// <summary>
    /// Opens the slot of the record at <paramref name="position"/> with <paramref name="events"/> events, before any of
    /// them is produced; returns the delivery handler to give each of them.
    /// </summary>
    public Action<DeliveryReport<byte[], byte[]>> Open(PublishedPosition position, int events)
    {
        if (IsFull) throw new InvalidOperationException("The delivery window is full: settle before opening.");
        var slot = _slots[_opened % Records];
        Debug.Assert(Volatile.Read(ref slot.Remaining) == 0, "a slot is reused only after it settled");
        slot.Position = position;
        slot.Events = events;
        Volatile.Write(ref slot.Remaining, events);
        _opened++;
        return slot.OnDelivery;
    }

    /// <summary>
    /// Moves past the oldest records whose every event Kafka acknowledged. True when it moved: then
    /// <paramref name="newest"/> is the last of them and <paramref name="events"/> their events. Throws
    /// <see cref="KafkaException"/> when a delivery failed (the publisher then starts again from its saved position).
    /// </summary>
    public bool Settle(out PublishedPosition newest, out long events)
    {
        if (_failure is { } failure) throw new KafkaException(new Error(ErrorCode.Local_Fatal, $"a delivery failed ({failure})"));
        newest = default;
        events = 0;
        long from = _settled;
        while (_settled < _opened)
        {
            var slot = _slots[_settled % Records];
            if (Volatile.Read(ref slot.Remaining) != 0) break;
            newest = slot.Position;
            events += slot.Events;
            _settled++;
        }
        Debug.Assert(_settled <= _opened);
        return _settled != from;
    }

    private sealed class Slot
    {
        public int Remaining;
        public int Events;
        public PublishedPosition Position;
        public readonly Action<DeliveryReport<byte[], byte[]>> OnDelivery;
        private readonly DeliveryWindow _window;

        public Slot(DeliveryWindow window)
        {
            _window = window;
            OnDelivery = Delivered;
        }

        // On librdkafka's delivery-report thread.
        private void Delivered(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                _window._failure = report.Error.Reason;
                return;
            }
            int left = Interlocked.Decrement(ref Remaining);
            Debug.Assert(left >= 0, "one report per produced event");
        }
    }
}
