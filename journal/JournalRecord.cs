using Ledger.Engine.Commands;
using Ledger.Engine.Events;

namespace Ledger.Journal;

/// <summary>
/// One journal record as a reader sees it: the command exactly as the engine applied it (timestamp after the
/// engine's clamp, permitted domains, entries, openings, target, catalog) and what the engine decided (result and
/// events, with their strings). Replaying <see cref="Command"/> through a <see cref="Engine.LedgerEngine"/> gives the
/// same events again; a read model can take <see cref="Events"/> as they are.
/// Readers reuse one instance per scan: it is valid only inside the callback that receives it.
/// Usage: <c>reader.Scan(record =&gt; { engine.Apply(record.Command); foreach (var e in record.EventSpan) ... });</c>
/// </summary>
public sealed class JournalRecord
{
    private LedgerEvent[] _events = new LedgerEvent[8];

    /// <summary>Position in the journal: 1, 2, 3, ... without gaps.</summary>
    public long RecordNumber { get; internal set; }

    /// <summary>The ledger's last entry sequence after this command (unchanged by commands that apply no entry).</summary>
    public long LastSequence { get; internal set; }

    /// <summary>FasterLog address of the record, and of the one after it (where a reader resumes).</summary>
    public long Address { get; internal set; }

    public long NextAddress { get; internal set; }

    /// <summary>The request as applied. Its decision fields are empty until an engine applies it.</summary>
    public LedgerCommand Command { get; } = new();

    /// <summary>The command, told where the journal holds it (as the journal stage tells a live one), for replaying it.</summary>
    public LedgerCommand CommandAtItsAddress()
    {
        Command.JournalAddress = Address;
        Command.JournalNextAddress = NextAddress;
        Command.JournalChecksum = Checksum;
        return Command;
    }

    /// <summary>The result the engine gave when the record was written (code, failing entry index, rule).</summary>
    public CommandResult Result { get; internal set; }

    public CommandKind Kind => Command.Kind;

    /// <summary>UTC ticks the command was applied at (every event of the record carries it).</summary>
    public long TimestampTicks => Command.TimestampTicks;

    public int EventCount { get; private set; }

    /// <summary>The record's CRC-32C (header and payload), as stored.</summary>
    public uint Checksum { get; internal set; }

    /// <summary>The raw MessagePack payload (for byte-exact comparisons, e.g. two journals' records).</summary>
    public ReadOnlyMemory<byte> Payload { get; internal set; }

    public ReadOnlySpan<LedgerEvent> EventSpan => _events.AsSpan(0, EventCount);

    internal void ClearEvents()
    {
        Array.Clear(_events, 0, EventCount);
        EventCount = 0;
    }

    internal ref LedgerEvent AddEvent()
    {
        if (EventCount == _events.Length) Array.Resize(ref _events, _events.Length * 2);
        ref var e = ref _events[EventCount++];
        e = default;
        return ref e;
    }
}
