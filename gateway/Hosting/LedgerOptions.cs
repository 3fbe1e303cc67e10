namespace Ledger.Gateway.Hosting;

/// <summary>
/// The <c>Ledger</c> configuration section (appsettings.json, <c>Ledger__X</c> environment variables,
/// <c>--Ledger:X=</c> on the command line). Defaults are the embedded ones of docs/contract.md section 6.
/// </summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>Where the journal, the stores and the token signing key live. Default <c>./data</c>.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>
    /// <c>ledger</c> (the default: engine, journal, REST and Kafka ingress, the read side in process) or <c>statements</c>:
    /// only the Balance &amp; Statements read side, fed from <c>ledger.events</c>, serving the read endpoints.
    /// </summary>
    public string Role { get; set; } = "ledger";

    public bool IsStatementsRole => string.Equals(Role, "statements", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="role"/> names a role (case-insensitive).</summary>
    public static bool IsRoleName(string? role) =>
        string.Equals(role, "ledger", StringComparison.OrdinalIgnoreCase) || string.Equals(role, "statements", StringComparison.OrdinalIgnoreCase);

    /// <summary>The history-code catalog file; default: the catalog shipped beside the binaries.</summary>
    public string? HistoryCodes { get; set; }

    /// <summary>The catalog file in force: <see cref="HistoryCodes"/>, else the one shipped beside the engine.</summary>
    public string HistoryCodesPath => string.IsNullOrWhiteSpace(HistoryCodes) ? Ledger.Engine.Catalog.HistoryCatalogFile.DefaultPath : HistoryCodes;

    /// <summary>Ring slots (power of two). Default 8 192.</summary>
    public int RingSize { get; set; } = ComponentSettings.Defaults.Host.RingSize;

    /// <summary>How the pipeline's stage threads wait: <c>Blocking</c> (default: spin briefly, then sleep; kind to shared cores), <c>BlockingYield</c> (yield 100 times before sleeping), <c>Yielding</c> or <c>BusySpin</c>.</summary>
    public string WaitStrategy { get; set; } = "Blocking";

    /// <summary>
    /// Which pipeline stages share a thread: <c>Compact</c> (default, chosen by measurement on 2 cores: prefetch + engine +
    /// journal, entry store + read side: two threads), <c>Shared</c> (the journal on a thread of its own: three) or
    /// <c>Separate</c> (a thread per stage, five: for a machine with a core to spare per stage). See docs/decisions.md, "Threads".
    /// </summary>
    public string PipelineLayout { get; set; } = ComponentSettings.Defaults.Host.Layout.ToString();

    /// <summary>
    /// How long a read (balances, statements, an account) waits at most for the read side to hold every write
    /// acknowledged before it arrived (answers go out after the journal commit; the read store follows behind). Past it
    /// the read is refused with 503 <c>read-side-behind</c> and Retry-After. Default 2 s.
    /// </summary>
    public TimeSpan ReadYourWritesWaitMax { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a write waits at most for room in the pipeline (ring slots, <c>Memory:InFlightEntriesMax</c>) when the
    /// stages behind the answers (entry store, read side) lag for a moment; past it the write is refused with 503
    /// <c>busy</c> and Retry-After. 0: refuse at once. Default 2 s.
    /// </summary>
    public TimeSpan BusyWaitMax { get; set; } = TimeSpan.FromSeconds(2);

    public MemoryOptions Memory { get; set; } = new();
    public StorageOptions Storage { get; set; } = new();
    public CheckpointOptions Checkpoint { get; set; } = new();
    public AuthOptions Auth { get; set; } = new();
    public TlsOptions Tls { get; set; } = new();
    public RateLimitOptions RateLimit { get; set; } = new();
    public ImportOptions Import { get; set; } = new();
    public KafkaOptions Kafka { get; set; } = new();
    public SimulationOptions Simulations { get; set; } = new();
    public StatementsOptions Statements { get; set; } = new();
}

/// <summary><c>Ledger:Statements</c>: a statements replica (<c>Ledger:Role=statements</c>).</summary>
public sealed class StatementsOptions
{
    /// <summary>Where writes go (the ledger process's public URL), named in the Problem a write to a replica gets. Unset: not named.</summary>
    public string? WritesUrl { get; set; }

    /// <summary>
    /// Events a replica may hold in memory while it waits for the rest of their journal records (a record is applied only
    /// whole, and its events may be in several partitions). Past it the feed stops (not ready, saying so). At least the
    /// events of the biggest record; about 200 bytes each (up to 700 with a long description). Default 1 000 000.
    /// </summary>
    public int PendingEventsMax { get; set; } = 1_000_000;
}

/// <summary><c>Ledger:Simulations</c>: what-if runs of <c>POST /v1/simulations</c>, in the background beside posting.</summary>
public sealed class SimulationOptions
{
    /// <summary>
    /// The share of one core a simulation may take (0.05..1): after each batch of journal records it sleeps long enough to
    /// stay under it, on a thread of the lowest priority. Default 0.25, so posting keeps the rest of two cores.
    /// </summary>
    public double CpuShare { get; set; } = 0.25;

    /// <summary>Where a simulation's scratch stores go (deleted when it ends). Default: the system's temporary directory.</summary>
    public string? ScratchDir { get; set; }
}

/// <summary>
/// <c>Ledger:Memory</c>: the process's RAM, in one place. RAM holds the live state (accounts, open holds) and bounded
/// caches; the history of every entry is on disk, so none of these grows with the entries ever posted. Defaults are
/// sized for a 2-core, 24 GB machine with 1 M accounts (about 2 GB in all; see docs/decisions.md for the arithmetic).
/// Each default is the component's own (<see cref="ComponentSettings.Defaults"/>): a knob has one default, kept where it is used.
/// </summary>
public sealed class MemoryOptions
{
    /// <summary>Accounts the engine's table holds before it grows (it grows by doubling). Default 1 048 576.</summary>
    public int AccountCapacity { get; set; } = ComponentSettings.Defaults.Engine.AccountCapacity;

    /// <summary>Entries the engine's cache holds: recent entries, open holds, entries not yet in the store (about 300 B each). Default 1 048 576.</summary>
    public int EntryCacheEntries { get; set; } = ComponentSettings.Defaults.Engine.EntryCacheEntries;

    /// <summary>Open holds (pending blocking entries) at most; past it a new hold is refused with 503 until some are released. Default 500 000.</summary>
    public int OpenHoldsMax { get; set; } = ComponentSettings.Defaults.Engine.OpenHoldsMax;

    /// <summary>Entries published to the pipeline and not yet through its last stage, at most (past it: 503 busy at the edge). Default 131 072.</summary>
    public int InFlightEntriesMax { get; set; } = ComponentSettings.Defaults.Host.InFlightEntriesMax;

    /// <summary>The entry store's block cache (data, index and bloom-filter blocks; lookups are rare behind the key filter). Default 64 MiB.</summary>
    public long StoreBlockCacheBytes { get; set; } = ComponentSettings.Defaults.EntryStore.BlockCacheBytes;

    /// <summary>One entry-store memtable. Default 64 MiB.</summary>
    public long StoreWriteBufferBytes { get; set; } = ComponentSettings.Defaults.EntryStore.WriteBufferBytes;

    /// <summary>Entry-store memtables at most (one filling, the rest flushing). Default 3.</summary>
    public int StoreWriteBuffers { get; set; } = ComponentSettings.Defaults.EntryStore.WriteBuffers;

    /// <summary>The read store's block cache (statement pages, balance history). Default 128 MiB.</summary>
    public long ReadBlockCacheBytes { get; set; } = ComponentSettings.Defaults.ReadStore.BlockCacheBytes;

    /// <summary>One read-store memtable (it has as many as the entry store, <see cref="StoreWriteBuffers"/>). Default 64 MiB.</summary>
    public long ReadWriteBufferBytes { get; set; } = ComponentSettings.Defaults.ReadStore.WriteBufferBytes;

    /// <summary>The key filter in front of the entry store (new correlation ids are answered there; fixed RAM, see docs/decisions.md). Default 128 MiB.</summary>
    public long KeyFilterBytes { get; set; } = ComponentSettings.Defaults.EntryStore.KeyFilterBytes;

    /// <summary>
    /// The engine's entry cache and account table and the key filter on 2 MiB pages where the kernel allows (transparent
    /// huge pages in madvise or always mode): each entry reads them at random. Default true.
    /// </summary>
    public bool HugePages { get; set; } = ComponentSettings.Defaults.Engine.HugePages;

    /// <summary>The cache must hold every open hold plus what the pipeline has in flight (each in-flight entry may create one entry and change another, and a hold it releases stays cached until the store has it).</summary>
    public int EntryCacheEntriesMin => (int)Math.Min(int.MaxValue, OpenHoldsMax + 3L * InFlightEntriesMax);

    /// <summary>A sentence saying what to fix, or null.</summary>
    public string? Problem()
    {
        if (AccountCapacity < 1) return $"Ledger:Memory:AccountCapacity must be at least 1, not {AccountCapacity}.";
        if (OpenHoldsMax < 1) return $"Ledger:Memory:OpenHoldsMax must be at least 1, not {OpenHoldsMax}.";
        if (InFlightEntriesMax < Engine.Limits.EntriesPerBatchMax) return $"Ledger:Memory:InFlightEntriesMax must be at least {Engine.Limits.EntriesPerBatchMax} (one full batch), not {InFlightEntriesMax}.";
        if (EntryCacheEntries < EntryCacheEntriesMin)
            return $"Ledger:Memory:EntryCacheEntries is {EntryCacheEntries}, but it must hold OpenHoldsMax + 3 x InFlightEntriesMax = {EntryCacheEntriesMin}: raise it, or lower those.";
        if (StoreBlockCacheBytes < 8L << 20) return $"Ledger:Memory:StoreBlockCacheBytes must be at least 8 MiB (8388608), not {StoreBlockCacheBytes}.";
        if (StoreWriteBufferBytes < 4L << 20) return $"Ledger:Memory:StoreWriteBufferBytes must be at least 4 MiB (4194304), not {StoreWriteBufferBytes}.";
        if (StoreWriteBuffers is < 2 or > 16) return $"Ledger:Memory:StoreWriteBuffers must be 2..16, not {StoreWriteBuffers}.";
        if (ReadBlockCacheBytes < 1L << 20) return $"Ledger:Memory:ReadBlockCacheBytes must be at least 1 MiB (1048576), not {ReadBlockCacheBytes}.";
        if (ReadWriteBufferBytes < 1L << 20) return $"Ledger:Memory:ReadWriteBufferBytes must be at least 1 MiB (1048576), not {ReadWriteBufferBytes}.";
        if (KeyFilterBytes < 64L << 10) return $"Ledger:Memory:KeyFilterBytes must be at least 64 KiB (65536), not {KeyFilterBytes}.";
        return null;
    }
}

/// <summary><c>Ledger:Storage</c>: how the entry store and the read store keep the history on disk.</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// <c>Universal</c> (default: a history that only grows is rewritten a few times in its life, not once per level;
    /// measured in docs/perf.md) or <c>Level</c> (RocksDB's leveled compaction: less space, more writing). Both stores.
    /// </summary>
    public string Compaction { get; set; } = ComponentSettings.Defaults.EntryStore.Compaction.ToString();

    /// <summary>
    /// Sorted runs (universal) or level-0 files (level) that start a compaction, in both stores: more runs, fewer merges
    /// (less CPU and fewer bytes written per entry), more runs for a read to look into. 2..16; default 12 (measured in
    /// docs/perf.md, "Fewer merges").
    /// </summary>
    public int CompactionTrigger { get; set; } = ComponentSettings.Defaults.EntryStore.CompactionTrigger;

    /// <summary>
    /// Memtable inserts of the keys by account start from the last insert of the same account and kind (RocksDB's insert
    /// hints), in both stores. Default true: the store thread's CPU per entry fell by a sixth to a quarter at 1 000
    /// accounts (docs/perf.md, "2026-12-07 (later)"). Each account a memtable sees costs a hint (a splice of about 224 bytes in its arena) until
    /// the memtable is flushed, so with very many accounts each touched once per memtable, turn it off.
    /// </summary>
    public bool InsertHints { get; set; } = ComponentSettings.Defaults.EntryStore.InsertHints;

    /// <summary>
    /// Both stores' compactions run at the lowest CPU priority (<see cref="Ledger.Journal.Storage.RocksTuning.LowerCompactionPriority"/>):
    /// they take the CPU the pipeline and Kestrel leave (below the peak the 201's tail shrinks; at the saturated peak slow
    /// stretches come more often). Default true (docs/decisions.md, "Compactions run at the lowest CPU priority").
    /// Process-wide: once lowered it stays lowered until the process ends.
    /// </summary>
    public bool CompactionsLowPriority { get; set; } = true;

    /// <summary>
    /// Seconds between probes after a write failed (the disk full, a store that cannot flush): each probe writes and
    /// syncs a small file in the data directory; once that works the ledger role restarts in process (recovery from the
    /// journal) and takes writes again, no operator restart. Default 5.
    /// </summary>
    public double ProbeEverySeconds { get; set; } = 5;

    /// <summary>The compaction <see cref="Compaction"/> names, or null when it names none.</summary>
    public Ledger.Journal.Storage.StoreCompaction? CompactionStyle => Compaction.ToUpperInvariant() switch
    {
        "UNIVERSAL" => Ledger.Journal.Storage.StoreCompaction.Universal,
        "LEVEL" => Ledger.Journal.Storage.StoreCompaction.Level,
        _ => null,
    };
}

/// <summary><c>Ledger:Checkpoint</c>: how often the entry store makes its checkpoint durable (a restart replays the journal after it).</summary>
public sealed class CheckpointOptions
{
    /// <summary>Seconds between checkpoints. Default 30.</summary>
    public int EverySeconds { get; set; } = (int)ComponentSettings.Defaults.EntryStore.CheckpointEvery.TotalSeconds;
}

/// <summary><c>Ledger:Auth</c>: the embedded token server, or an external authority.</summary>
public sealed class AuthOptions
{
    /// <summary><c>Embedded</c> (default): this process issues client-credentials tokens at /connect/token. <c>External</c>: validate tokens of <see cref="Authority"/>.</summary>
    public string Mode { get; set; } = "Embedded";

    /// <summary>External mode: the OAuth2/OIDC authority whose metadata and keys validate tokens.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must name. Default <c>ledger</c>.</summary>
    public string Audience { get; set; } = "ledger";

    /// <summary>
    /// Embedded mode: the issuer written into tokens and named by discovery. Unset (default): where the service answers,
    /// from the request (<c>http://127.0.0.1:8080/</c> on the embedded defaults), so discovery and <c>iss</c> name a real
    /// address. Set it to the public URL behind a proxy or load balancer.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// Embedded mode: the token signing key (PKCS#8 PEM RSA) shared by every node that must accept the same tokens — the
    /// ledger process and its statements replicas — together with the same <see cref="Issuer"/>. Unset (default): a key
    /// generated into <c>{DataDir}/keys</c>, so only this process accepts its tokens. Set: the file must exist.
    /// </summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>External mode: whether the authority's metadata must be fetched over HTTPS. Default true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Embedded mode: lifetime of issued tokens. Default one hour.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Tolerance for clock differences when checking expiry. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Validated tokens kept so a reused token skips signature checking; 0 disables. Default 10 000.</summary>
    public int TokenCacheSize { get; set; } = 10_000;

    /// <summary>Embedded mode: the partner clients. When none are configured the demo clients of docs/contract.md section 5 apply (demo only).</summary>
    public List<ClientOptions>? Clients { get; set; }

    /// <summary>Embedded mode: failed client authentications per client id and per remote address per minute before /connect/token answers 429; 0 disables. Default 10.</summary>
    public int FailedAuthenticationsPerMinute { get; set; } = 10;
}

/// <summary>One partner client of the embedded token server.</summary>
public sealed class ClientOptions
{
    public string ClientId { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    /// <summary>Space-separated scopes, e.g. <c>ledger:read ledger:write domain:cards</c>.</summary>
    public string Scopes { get; set; } = "";
}

/// <summary><c>Ledger:Tls</c>: HTTPS and client certificates (mTLS). Off by default; on in the production profile.</summary>
public sealed class TlsOptions
{
    public bool Enabled { get; set; }
    /// <summary>Server certificate: a PEM certificate (with <see cref="CertificateKeyPath"/>) or a PKCS#12 file.</summary>
    public string? CertificatePath { get; set; }
    public string? CertificateKeyPath { get; set; }
    public string? CertificatePassword { get; set; }
    /// <summary>PEM file of the CA that must have signed every client certificate.</summary>
    public string? ClientCaPath { get; set; }
    /// <summary>Refuse connections without a valid client certificate. Default true.</summary>
    public bool RequireClientCertificate { get; set; } = true;
}

/// <summary><c>Ledger:RateLimit</c>: a token bucket per partner (client id), and one per remote address for requests without a valid token.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second per partner; 0 disables. Default 100 000 (a guard, not a tariff).</summary>
    public int PermitsPerSecond { get; set; } = 100_000;
    /// <summary>Bucket size (burst). Default: one second's worth.</summary>
    public int? Burst { get; set; }
    /// <summary>Per-partner overrides of <see cref="PermitsPerSecond"/>, keyed by client id.</summary>
    public Dictionary<string, int> Partners { get; set; } = new(StringComparer.Ordinal);
    /// <summary>
    /// Requests per second per remote address that carry no valid token (no token, a refused one, or the anonymous
    /// endpoints: health, metrics, the token endpoint); 0 disables. Default 1 000 (burst the same): past it such
    /// requests are answered 429, while partners with tokens keep their own buckets.
    /// </summary>
    public int AnonymousPermitsPerSecond { get; set; } = 1_000;
}

/// <summary><c>Ledger:Import</c>: the bulk account import.</summary>
public sealed class ImportOptions
{
    /// <summary>Largest import body. Default 1 GiB.</summary>
    public long BodyBytesMax { get; set; } = 1L << 30;
    /// <summary>Accounts per journaled command. Default 10 000.</summary>
    public int ChunkSize { get; set; } = 10_000;
}

/// <summary>
/// <c>Ledger:Kafka</c>: off (the embedded default) until <see cref="BootstrapServers"/> is set. Then the journal's events
/// are published to <see cref="EventsTopic"/> (the journal is the outbox). Topic names per docs/contract.md section 6.
/// </summary>
public sealed class KafkaOptions
{
    /// <summary>Brokers, <c>host:port[,host:port]</c>. Unset: no Kafka at all.</summary>
    public string? BootstrapServers { get; set; }
    public string CommandsTopic { get; set; } = "ledger.commands";
    public string ResultsTopic { get; set; } = "ledger.results";
    public string EventsTopic { get; set; } = "ledger.events";
    /// <summary>
    /// A Confluent schema registry: the schemas are registered at start-up (subjects <c>&lt;topic&gt;-value</c>) and
    /// messages use the Confluent wire format (magic byte and schema id). Unset: Avro single-object encoding.
    /// </summary>
    public string? SchemaRegistryUrl { get; set; }
    /// <summary>
    /// The partner (a client of <c>Ledger:Auth:Clients</c>, whose scopes apply) every message of the commands topic comes
    /// from: Kafka's ACLs decide who may write that topic, so no header names a partner. Unset: no ingress.
    /// </summary>
    public string? CommandsPartner { get; set; }
    /// <summary>Consumer group of a statements replica on the events topic (one per replica). Default <c>ledger-statements</c>.</summary>
    public string StatementsGroup { get; set; } = "ledger-statements";
    /// <summary>Consumer group of the ingress. Default <c>ledger</c>.</summary>
    public string ConsumerGroup { get; set; } = "ledger";
    /// <summary>The consumers' group session timeout: how long a crashed replica or ingress holds its partitions. Default 10 000 ms.</summary>
    public int SessionTimeoutMilliseconds { get; set; } = 10_000;
    /// <summary>Commands the ingress keeps in flight before it waits for the oldest (back-pressure). Default 1 024.</summary>
    public int IngressInFlightMax { get; set; } = 1_024;
    /// <summary>Client id the brokers see.</summary>
    public string ClientId { get; set; } = "ledger";
    /// <summary>The publisher saves its acknowledged position at least this often while it publishes. Default 200 ms.</summary>
    public int PublisherSaveMilliseconds { get; set; } = 200;
    /// <summary>Messages librdkafka may hold unacknowledged (its queue.buffering.max.messages); past it the publisher waits. Default 100 000.</summary>
    public int PublisherQueueMessages { get; set; } = 100_000;
}
