namespace Ledger.Gateway.Hosting;

/// <summary>
/// The <c>Ledger</c> configuration section (appsettings.json, <c>Ledger__X</c> environment variables,
/// <c>--Ledger:X=</c> on the command line). Defaults are the embedded ones of contract.md section 6.
/// </summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>Where the journal, snapshots and the token signing key live. Default <c>./data</c>.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The history-code catalog file; default: the catalog shipped beside the binaries.</summary>
    public string? HistoryCodes { get; set; }

    /// <summary>Ring slots (power of two). Default 8 192.</summary>
    public int RingSize { get; set; } = 8_192;

    /// <summary>How the pipeline's stage threads wait: <c>Blocking</c> (default: spin briefly, then sleep; kind to shared cores), <c>BlockingYield</c> (yield 100 times before sleeping), <c>Yielding</c> or <c>BusySpin</c>.</summary>
    public string WaitStrategy { get; set; } = "Blocking";

    /// <summary>Accounts the engine's tables hold before they grow. Default 65 536.</summary>
    public int AccountCapacity { get; set; } = 65_536;

    /// <summary>Remembered entries before the engine's tables grow. Default 1 048 576.</summary>
    public int EntryCapacity { get; set; } = 1 << 20;

    public SnapshotOptions Snapshot { get; set; } = new();
    public AuthOptions Auth { get; set; } = new();
    public TlsOptions Tls { get; set; } = new();
    public RateLimitOptions RateLimit { get; set; } = new();
    public ImportOptions Import { get; set; } = new();
    public KafkaOptions Kafka { get; set; } = new();
}

/// <summary><c>Ledger:Snapshot</c>: when the shadow engine writes a snapshot of the ledger (off the engine thread).</summary>
public sealed class SnapshotOptions
{
    /// <summary>After this many journaled entries. Default 1 000 000.</summary>
    public long EveryEntries { get; set; } = 1_000_000;

    /// <summary>After this many seconds if anything was journaled since the last one. Default 300.</summary>
    public int EverySeconds { get; set; } = 300;

    /// <summary>Snapshot files kept, newest first. Default 3.</summary>
    public int Kept { get; set; } = 3;
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

    /// <summary>Embedded mode: the issuer written into tokens. Set it to the public URL if others discover this server.</summary>
    public string Issuer { get; set; } = "https://ledger.local/";

    /// <summary>External mode: whether the authority's metadata must be fetched over HTTPS. Default true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Embedded mode: lifetime of issued tokens. Default one hour.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Tolerance for clock differences when checking expiry. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Validated tokens kept so a reused token skips signature checking; 0 disables. Default 10 000.</summary>
    public int TokenCacheSize { get; set; } = 10_000;

    /// <summary>Embedded mode: the partner clients. When none are configured the demo clients of contract.md apply (demo only).</summary>
    public List<ClientOptions>? Clients { get; set; }
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

/// <summary><c>Ledger:RateLimit</c>: a token bucket per partner (client id).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second per partner; 0 disables. Default 100 000 (a guard, not a tariff).</summary>
    public int PermitsPerSecond { get; set; } = 100_000;
    /// <summary>Bucket size (burst). Default: one second's worth.</summary>
    public int? Burst { get; set; }
    /// <summary>Per-partner overrides of <see cref="PermitsPerSecond"/>, keyed by client id.</summary>
    public Dictionary<string, int> Partners { get; set; } = new(StringComparer.Ordinal);
}

/// <summary><c>Ledger:Import</c>: the bulk account import.</summary>
public sealed class ImportOptions
{
    /// <summary>Largest import body. Default 1 GiB.</summary>
    public long BodyBytesMax { get; set; } = 1L << 30;
    /// <summary>Accounts per journaled command. Default 10 000.</summary>
    public int ChunkSize { get; set; } = 10_000;
}

/// <summary><c>Ledger:Kafka</c>: reserved. Kafka ingress/egress is not built yet; start-up refuses a bootstrap list rather than ignore it.</summary>
public sealed class KafkaOptions
{
    public string? BootstrapServers { get; set; }
}
