using System.Security.Claims;
using Ledger.Engine.Catalog;

namespace Ledger.Gateway.Security;

/// <summary>The ledger scopes a token grants.</summary>
[Flags]
public enum LedgerScopes
{
    None = 0,
    /// <summary><c>ledger:read</c>: balances, statements, accounts.</summary>
    Read = 1,
    /// <summary><c>ledger:write</c>: batches, deletes, bundles.</summary>
    Write = 2,
    /// <summary><c>ledger:admin</c>: opening and importing accounts.</summary>
    Admin = 4,
}

/// <summary>
/// The partner behind a validated token: client id, ledger scopes and the catalog domains it may post in, as the
/// bit mask the engine checks (<c>LedgerCommand.PermittedDomains</c>). Parsed once per token, then cached with it.
/// The mask is taken in the catalog in force (<see cref="DomainMaskIn"/>): a promotion may add a domain the token
/// already names, and a domain keeps its bit across promotions, so a cached token or the Kafka partner (built once at
/// start) gains the new domain at the promotion, not at the token's expiry or the next restart.
/// </summary>
public sealed class PartnerIdentity : ClaimsIdentity
{
    public const string ReadScope = "ledger:read";
    public const string WriteScope = "ledger:write";
    public const string AdminScope = "ledger:admin";
    public const string DomainPrefix = "domain:";
    public const string AllDomains = "domain:*";

    public PartnerIdentity(ClaimsIdentity validated, HistoryCatalog catalog) : base(validated)
    {
        ClientId = FindFirst("client_id")?.Value ?? FindFirst("azp")?.Value ?? FindFirst("sub")?.Value ?? "unknown";
        var granted = new List<string>();
        var domains = new List<string>();
        foreach (var claim in Claims)
        {
            // "scope" is one space-separated string (RFC 9068); some authorities send "scp", one claim per scope.
            if (claim.Type is not ("scope" or "scp")) continue;
            foreach (var scope in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)) granted.Add(scope);
        }
        foreach (var scope in granted)
        {
            switch (scope)
            {
                case ReadScope: Scopes |= LedgerScopes.Read; break;
                case WriteScope: Scopes |= LedgerScopes.Write; break;
                case AdminScope: Scopes |= LedgerScopes.Admin; break;
                case AllDomains: _allDomains = true; break;
                default:
                    if (scope.StartsWith(DomainPrefix, StringComparison.Ordinal)) domains.Add(scope[DomainPrefix.Length..]);
                    break;
            }
        }
        _domains = [.. domains];
        GrantedScopes = string.Join(' ', granted);
        DomainMaskIn(catalog);
    }

    public string ClientId { get; }
    public LedgerScopes Scopes { get; }
    /// <summary>
    /// Bit i set: the partner may post codes of domain i of <paramref name="catalog"/> (the one in force). All bits:
    /// <c>domain:*</c>. Worked out once per catalog and kept: the request path allocates only when the catalog changed.
    /// </summary>
    public ulong DomainMaskIn(HistoryCatalog catalog)
    {
        if (_allDomains) return ulong.MaxValue;
        var known = _mask;
        if (known is not null && ReferenceEquals(known.Catalog, catalog)) return known.Mask;
        ulong mask = 0;
        foreach (var domain in _domains)
        {
            int bit = catalog.DomainBit(domain);
            if (bit >= 0) mask |= 1UL << bit;
        }
        _mask = new MaskIn(catalog, mask);
        return mask;
    }

    private sealed record MaskIn(HistoryCatalog Catalog, ulong Mask);

    private readonly string[] _domains;
    private readonly bool _allDomains;
    private MaskIn? _mask;
    /// <summary>The scopes as granted, for error details.</summary>
    public string GrantedScopes { get; }

    private PartnerIdentity(PartnerIdentity other) : base(other)
    {
        ClientId = other.ClientId;
        Scopes = other.Scopes;
        _domains = other._domains;
        _allDomains = other._allDomains;
        _mask = other._mask;
        GrantedScopes = other.GrantedScopes;
    }

    public override ClaimsIdentity Clone() => new PartnerIdentity(this);

    public static string NameOf(LedgerScopes scope) => scope switch
    {
        LedgerScopes.Read => ReadScope,
        LedgerScopes.Write => WriteScope,
        LedgerScopes.Admin => AdminScope,
        _ => string.Join(" or ", NamesOf(scope)),
    };

    private static IEnumerable<string> NamesOf(LedgerScopes scopes)
    {
        if (scopes.HasFlag(LedgerScopes.Read)) yield return ReadScope;
        if (scopes.HasFlag(LedgerScopes.Write)) yield return WriteScope;
        if (scopes.HasFlag(LedgerScopes.Admin)) yield return AdminScope;
    }
}
