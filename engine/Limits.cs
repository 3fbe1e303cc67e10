namespace Ledger.Engine;

/// <summary>
/// Every limit of the ledger in one place. The edges (REST, Kafka, import) enforce them with a clear 4xx;
/// the engine asserts them, because a command past a limit never reaches it.
/// </summary>
public static class Limits
{
    public const int BranchMax = 9_999;
    public const long AccountNumberMax = 999_999_999_999;
    public const int EntriesPerBatchMax = 1_000;
    /// <summary>Entries over all legs of one bundle.</summary>
    public const int EntriesPerBundleMax = 1_000;
    public const int LegsPerBundleMax = 100;
    public const int CorrelationIdLengthMax = 64;
    public const int DescriptionLengthMax = 256;
    public const int HistoryCodeMax = 9_999;
    /// <summary>Domains are a bit mask on the command, so at most 64 distinct domains in a catalog.</summary>
    public const int DomainsMax = 64;
    public const int RulesPerCodeMax = 16;
    public const long OverdraftLimitMax = long.MaxValue / 4;
    /// <summary>Request bodies the gateway reads at the most.</summary>
    public const int RequestBodyBytesMax = 1 << 20;
    public const int AccountsPerImportMax = 10_000_000;
    /// <summary>One line of an account import (NDJSON or CSV).</summary>
    public const int ImportLineBytesMax = 1_024;
    /// <summary>Statement rows per page: the default and the most a <c>limit</c> (or the replay-tool's --limit) may ask.</summary>
    public const int StatementPageRowsDefault = 100;
    public const int StatementPageRowsMax = 1_000;
}
