using Ledger.Engine.Catalog;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>
/// The whole ledger state as plain arrays: what a snapshot file holds. <see cref="LedgerEngine.CaptureSnapshot"/>
/// copies it out; <see cref="LedgerEngine.FromSnapshot"/> builds an engine that behaves exactly as the captured one.
/// </summary>
public sealed class LedgerSnapshot
{
    public required long LastSequence { get; init; }
    public required long ClockTicks { get; init; }
    public required ulong StateHash { get; init; }
    public required IReadOnlyList<HistoryCodeDefinition> Catalog { get; init; }
    public required AccountState[] Accounts { get; init; }
    public required EntryRecord[] Entries { get; init; }
    public required byte[] KeyArena { get; init; }
    public required KeyIndex.Item[] Keys { get; init; }
    public required (int Record, long ExpiresAtTicks)[] Expiries { get; init; }
}

public sealed partial class LedgerEngine
{
    /// <summary>Copies the state out. O(state): call it on a quiescent or shadow engine, not the live one under load.</summary>
    public LedgerSnapshot CaptureSnapshot() => new()
    {
        LastSequence = LastSequence,
        ClockTicks = ClockTicks,
        StateHash = ComputeStateHash(),
        Catalog = Catalog.Definitions,
        Accounts = _accounts.All.ToArray(),
        Entries = _entries.All.ToArray(),
        KeyArena = _keys.Arena.ToArray(),
        Keys = _keys.ExportItems(),
        Expiries = _expiryQueue.Export(),
    };

    /// <summary>An engine in exactly the captured state; throws if the state does not hash to the recorded hash.</summary>
    public static LedgerEngine FromSnapshot(LedgerSnapshot snapshot, EngineSettings? settings = null)
    {
        settings ??= new EngineSettings();
        var engine = new LedgerEngine(
            HistoryCatalog.Create(snapshot.Catalog),
            new AccountTable(Math.Max(settings.AccountCapacity, snapshot.Accounts.Length)),
            EntryTable.Restore(snapshot.Entries, settings.EntryCapacity),
            KeyIndex.Restore(snapshot.KeyArena, snapshot.KeyArena.Length, snapshot.Keys, settings.EntryCapacity),
            new HoldExpiryQueue(Math.Max(1024, snapshot.Expiries.Length)));
        foreach (var account in snapshot.Accounts) engine._accounts.Add(in account);
        foreach (var (record, expiresAt) in snapshot.Expiries) engine._expiryQueue.Add(record, expiresAt);
        engine.LastSequence = snapshot.LastSequence;
        engine.ClockTicks = snapshot.ClockTicks;
        ulong hash = engine.ComputeStateHash();
        if (hash != snapshot.StateHash)
            throw new InvalidDataException($"Snapshot state hash {snapshot.StateHash:x16} does not match the restored state's {hash:x16}.");
        return engine;
    }
}
