using System.Collections.Concurrent;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.Hosting;

namespace Ledger.Gateway.ReadModel;

/// <summary>
/// The Balance &amp; Statements read model: balances, balance history and statements per account, built only from
/// the engine's events. The host feeds it on the publish thread before it releases the producer, so a read after a
/// 201 sees that entry (read-your-writes). At start-up the same <see cref="OnCommitted"/> is fed the journaled
/// commands in order to rebuild it; <see cref="IsReady"/> turns true only when the runtime says recovery is done.
/// Reads never touch engine state.
/// Usage: <c>var model = new LedgerReadModel(); new EngineHost(engine, journal, [model]); model.TryGetAccount(key, out var view);</c>
/// </summary>
public sealed class LedgerReadModel : ICommittedCommandSink
{
    private const int DescriptionPoolMax = 4_096;

    private readonly ConcurrentDictionary<long, AccountView> _accounts = new();
    // Descriptions repeat ("POS purchase"): share one string per distinct text. Writer thread only, bounded.
    private readonly Dictionary<string, string> _descriptions = new(StringComparer.Ordinal);
    private AccountView? _last;
    private long _entryCount;
    private long _lastSequence;
    private volatile bool _ready;

    /// <summary>True once recovery and the rebuild are done (<c>/health/ready</c>).</summary>
    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;

    public int AccountCount => _accounts.Count;
    public long EntryCount => Interlocked.Read(ref _entryCount);
    /// <summary>Sequence of the newest entry the model holds.</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>Feeds every event of a committed command (any result: a refused command may still carry hold expiries).</summary>
    public void OnCommitted(LedgerCommand command)
    {
        var events = command.EventSpan;
        for (int i = 0; i < events.Length; i++) Apply(in events[i]);
    }

    /// <summary>Applies one event. Events must arrive in the engine's order.</summary>
    public void Apply(in LedgerEvent e)
    {
        switch (e.Kind)
        {
            case LedgerEventKind.AccountOpened:
                _accounts.TryAdd(e.Account.Packed, new AccountView(e.Account, e.Currency, e.AmountMinor, e.TimestampTicks));
                break;
            case LedgerEventKind.EntryApplied:
                ViewOf(e.Account).OnEntryApplied(in e, Share(e.Description));
                Interlocked.Increment(ref _entryCount);
                Volatile.Write(ref _lastSequence, e.Sequence);
                break;
            case LedgerEventKind.EntryStatusChanged:
                ViewOf(e.Account).OnStatusChanged(in e);
                break;
        }
    }

    private AccountView ViewOf(AccountKey key)
    {
        var last = _last;
        if (last is not null && last.Key == key) return last;
        if (!_accounts.TryGetValue(key.Packed, out var view))
        {
            throw new InvalidOperationException($"Invariant: the read model got an event for account {key}, which it never saw opened.");
        }
        _last = view;
        return view;
    }

    private string? Share(string? description)
    {
        if (description is null) return null;
        if (_descriptions.TryGetValue(description, out var shared)) return shared;
        if (_descriptions.Count < DescriptionPoolMax) _descriptions.Add(description, description);
        return description;
    }

    internal bool TryGetAccount(AccountKey key, out AccountView view) => _accounts.TryGetValue(key.Packed, out view!);

    // ---------------- snapshot ----------------

    // Layout: "LRM1" | lastSequence i64 | entryCount i64 | accountCount i32 | accounts… | SHA-256 of everything before it (32 bytes).
    private static ReadOnlySpan<byte> Magic => "LRM1"u8;

    /// <summary>
    /// Writes the whole model (a consistent cut: call it when no writer runs, e.g. on a shadow model fed the same
    /// journaled commands as the shadow engine that takes the engine snapshot, at the same sequence).
    /// Usage: <c>model.WriteSnapshot(file); var copy = LedgerReadModel.ReadSnapshot(file);</c>
    /// </summary>
    public void WriteSnapshot(Stream output)
    {
        using var hashing = new HashingStream(output);
        using (var w = new BinaryWriter(hashing, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(LastSequence);
            w.Write(EntryCount);
            var views = _accounts.Values.ToArray(); // not the hot path
            Array.Sort(views, static (a, b) => a.Key.Packed.CompareTo(b.Key.Packed));
            w.Write(views.Length);
            foreach (var view in views) view.WriteTo(w);
        }
        output.Write(hashing.Finish());
    }

    /// <summary>Reads a snapshot written by <see cref="WriteSnapshot"/>; throws <see cref="InvalidDataException"/> when it is not one or is damaged. The model is not ready until marked.</summary>
    public static LedgerReadModel ReadSnapshot(Stream input)
    {
        var model = new LedgerReadModel();
        using var hashing = new HashingStream(input);
        using (var r = new BinaryReader(hashing, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            try
            {
                if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("Not a read-model snapshot (or an unknown version).");
                model._lastSequence = r.ReadInt64();
                model._entryCount = r.ReadInt64();
                int accounts = r.ReadInt32();
                for (int i = 0; i < accounts; i++)
                {
                    var view = AccountView.ReadFrom(r, model.Share);
                    model._accounts[view.Key.Packed] = view;
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException or FormatException or IOException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException("The read-model snapshot is truncated or damaged.", ex);
            }
        }
        var expected = hashing.Finish();
        Span<byte> actual = stackalloc byte[32];
        if (input.ReadAtLeast(actual, 32, throwOnEndOfStream: false) != 32 || !actual.SequenceEqual(expected))
        {
            throw new InvalidDataException("The read-model snapshot's checksum does not match: it is damaged.");
        }
        return model;
    }

    /// <summary>Bytes the model holds for entries, history and indexes (strings excluded), summed over accounts.</summary>
    public long FootprintBytes()
    {
        long bytes = 0;
        foreach (var pair in _accounts) bytes += pair.Value.FootprintBytes();
        return bytes;
    }
}
