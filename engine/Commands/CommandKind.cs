namespace Ledger.Engine.Commands;

/// <summary>What a command asks of the ledger. Values are journaled: never renumber.</summary>
public enum CommandKind : byte
{
    None = 0,
    /// <summary>Open one or more accounts (one: POST /v1/accounts; many: bulk import). Atomic.</summary>
    OpenAccounts = 1,
    /// <summary>A batch of entries on one account, or a bundle (legs on several accounts, with a bundle id). Atomic.</summary>
    PostEntries = 2,
    /// <summary>DELETE of a pending entry by its correlation id.</summary>
    RemoveEntry = 3,
    /// <summary>Advances the ledger's clock (expires lapsed holds). Published periodically by the host.</summary>
    Tick = 4,
    /// <summary>Installs a history-code catalog (journaled, so replay uses the catalog that was in force).</summary>
    LoadCatalog = 5,
}
