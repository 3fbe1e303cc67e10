namespace Ledger.Engine;

/// <summary>
/// Start-up sizes of the engine's tables. The tables grow by doubling past them, which allocates once;
/// size them for the expected book so the hot path never does.
/// </summary>
public sealed record EngineSettings
{
    /// <summary>Accounts the tables hold before growing. Default 1 024.</summary>
    public int AccountCapacity { get; init; } = 1_024;
    /// <summary>Remembered entries (applied and declined) before growing. Default 65 536.</summary>
    public int EntryCapacity { get; init; } = 65_536;
}
