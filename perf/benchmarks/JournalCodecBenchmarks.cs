using BenchmarkDotNet.Attributes;
using Ledger.Engine.Commands;
using Ledger.Journal;
using Ledger.Journal.Format;
using Ledger.Perf;

namespace Ledger.Benchmarks;

/// <summary>
/// The journal's record codec (journal/Format/RecordCodec: MessagePack payload, header with CRC-32C) on a decided post of
/// <see cref="Entries"/> entries (1 or 100, card refunds and fees with 36-char ids and a description), as the journal
/// writer encodes it after the engine decided it and as replay reads it back. <see cref="Encode"/> writes the whole
/// record into a reused buffer; <see cref="Decode"/> checks the header and checksum (RecordHeader.TryRead) and decodes
/// the payload into a reused <see cref="JournalRecord"/> (what JournalCursor does per record). Time and allocation are
/// per record. The set-up checks the round trip (same entry count and ids), so a codec that drops data fails.
/// </summary>
[MemoryDiagnoser]
public class JournalCodecBenchmarks
{
    private const int Accounts = 1_000;

    [Params(1, 100)]
    public int Entries { get; set; }

    private LedgerCommand _command = null!;
    private long _lastSequence;
    private readonly RecordBuffer _buffer = new();
    private byte[] _record = [];
    private readonly JournalRecord _decoded = new();

    [GlobalSetup]
    public void Setup()
    {
        var engine = PerfWorkload.NewEngine(Accounts, 10_000);
        var requests = PerfWorkload.Batches(1, Entries, Accounts, seed: 7);
        _command = PerfWorkload.CommandPool(1, Entries)[0];
        _command.SetPost(Entries);
        for (int i = 0; i < Entries; i++) _command.Entries[i] = requests[i];
        _command.TimestampTicks = PerfWorkload.T0;
        engine.Apply(_command);
        if (!_command.Result.IsOk) throw new InvalidOperationException($"The post was not accepted: {_command.Result.Code}.");
        _lastSequence = engine.LastSequence;
        RecordCodec.Encode(_command, 2, _lastSequence, _buffer);
        _record = _buffer.Written.ToArray();
        Decode();
        var back = _decoded.Command;
        if (back.EntryCount != Entries || back.Entries[Entries - 1].CorrelationId != requests[Entries - 1].CorrelationId)
            throw new InvalidOperationException("The record did not decode to the post it encodes.");
        Console.WriteLine($"// [codec] journal record of {Entries} entries: {_record.Length} bytes");
    }

    [Benchmark]
    public int Encode()
    {
        RecordCodec.Encode(_command, 2, _lastSequence, _buffer);
        return _buffer.Length;
    }

    [Benchmark]
    public int Decode()
    {
        if (RecordHeader.TryRead(_record, out var header) is { } problem) throw new InvalidOperationException(problem);
        RecordCodec.Decode(in header, _record.AsMemory(RecordHeader.Size), _decoded);
        return _decoded.Command.EntryCount;
    }
}
