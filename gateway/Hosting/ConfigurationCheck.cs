using System.Numerics;
using Ledger.Gateway.Security;
using Ledger.Journal.Storage;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The one place configuration is judged: once, at start-up (<see cref="GatewayApp.AddLedgerGateway"/>), before any
/// component is built. A problem is one sentence naming the key and what to fix; the first one found stops the
/// process. What passes here, <see cref="ComponentSettings"/> maps to each component's settings without judging again
/// (the components still refuse misuse in their own terms, never naming a configuration key).
/// Usage: <c>if (ConfigurationCheck.Problem(options, configuration) is { } problem) throw new InvalidOperationException(problem);</c>
/// </summary>
internal static class ConfigurationCheck
{
    public static string? Problem(LedgerOptions options, IConfiguration configuration) =>
        Role(options)
        ?? DataDir(options)
        ?? options.Memory.Problem()
        ?? Checkpoint(options, configuration)
        ?? Pipeline(options)
        ?? Storage(options)
        ?? Kafka(options);

    private static string? Role(LedgerOptions options) =>
        LedgerOptions.IsRoleName(options.Role) ? null : $"Ledger:Role is '{options.Role}': use ledger (the default) or statements.";

    private static string? DataDir(LedgerOptions options) =>
        string.IsNullOrWhiteSpace(options.DataDir) ? "Ledger:DataDir is empty: name the directory that holds the journal, the stores and the signing key." : null;

    private static string? Checkpoint(LedgerOptions options, IConfiguration configuration)
    {
        if (options.Checkpoint.EverySeconds < 1) return $"Ledger:Checkpoint:EverySeconds must be at least 1, not {options.Checkpoint.EverySeconds}.";
        if (configuration.GetSection(LedgerOptions.Section + ":Snapshot").Exists())
        {
            return "Ledger:Snapshot:* is set, but the ledger no longer writes snapshots (the entry store keeps its own checkpoint): remove it, and use Ledger:Checkpoint:EverySeconds.";
        }
        return null;
    }

    private static string? Pipeline(LedgerOptions options)
    {
        if (options.RingSize < 2 || !BitOperations.IsPow2(options.RingSize)) return $"Ledger:RingSize must be a power of two (default 8192), not {options.RingSize}.";
        if (ComponentSettings.WaitStrategyOf(options.WaitStrategy) is null)
            return $"Ledger:WaitStrategy is '{options.WaitStrategy}': use Blocking, BlockingYield, Yielding or BusySpin.";
        if (ComponentSettings.LayoutOf(options.PipelineLayout) is null)
            return $"Ledger:PipelineLayout is '{options.PipelineLayout}': use Compact (two threads), Shared (three) or Separate (one per stage).";
        return null;
    }

    private static string? Storage(LedgerOptions options)
    {
        var storage = options.Storage;
        if (storage.CompactionStyle is null) return $"Ledger:Storage:Compaction is '{storage.Compaction}': use Universal or Level.";
        if (storage.CompactionTrigger is < RocksTuning.CompactionTriggerMin or > RocksTuning.CompactionTriggerMax)
            return $"Ledger:Storage:CompactionTrigger must be {RocksTuning.CompactionTriggerMin}..{RocksTuning.CompactionTriggerMax} (default {RocksTuning.CompactionTriggerDefault}), not {storage.CompactionTrigger}.";
        return null;
    }

    private static string? Kafka(LedgerOptions options)
    {
        var kafka = options.Kafka;
        bool connected = !string.IsNullOrWhiteSpace(kafka.BootstrapServers);
        if (options.IsStatementsRole && !connected) return "Ledger:Role is statements, which reads ledger.events: set Ledger:Kafka:BootstrapServers.";
        if (options.IsStatementsRole && options.Statements.PendingEventsMax < 1)
            return $"Ledger:Statements:PendingEventsMax is {options.Statements.PendingEventsMax}: a replica must hold at least the events of its biggest journal record (default 1000000).";
        if (connected && !options.IsStatementsRole && !string.IsNullOrWhiteSpace(kafka.CommandsPartner) &&
            Array.FindIndex(TokenServer.Clients(options.Auth), c => c.ClientId == kafka.CommandsPartner) < 0)
        {
            return $"Ledger:Kafka:CommandsPartner is '{kafka.CommandsPartner}', which is not a client in Ledger:Auth:Clients: name the partner whose scopes the commands topic carries.";
        }
        return null;
    }
}
