using System.Security.Claims;
using System.Security.Cryptography;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Gateway.Security;
using Ledger.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Ledger.Testing.Commands;

namespace Ledger.Gateway.Tests;

/// <summary>The bounded cache of validated tokens: hits only the same token, never past its expiry, never beyond its size.</summary>
public sealed class TokenCacheTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly RsaSecurityKey Key = new(RSA.Create(2048));

    private static TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = "https://ledger.local/", ValidAudience = "ledger", IssuerSigningKey = Key, ValidTypes = ["at+jwt"], ClockSkew = TimeSpan.Zero,
    };

    private static string Token(string subject, DateTime expires) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://ledger.local/", Audience = "ledger", Expires = expires, NotBefore = expires.AddHours(-2), IssuedAt = expires.AddHours(-2),
        TokenType = "at+jwt", SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        Subject = new ClaimsIdentity([new Claim("client_id", subject), new Claim("scope", "ledger:read domain:cards")]),
    });

    [Test]
    public async Task ShouldAnswerARepeatedTokenFromTheCacheWithItsPartner()
    {
        var handler = new CachingTokenHandler(() => DefaultCatalog, 10, new ManualClock(DateTimeOffset.UtcNow));
        string token = Token("p1", DateTime.UtcNow.AddHours(1));
        var first = await handler.ValidateTokenAsync(token, Parameters());
        var second = await handler.ValidateTokenAsync(token, Parameters());
        Assert.That(first.IsValid, Is.True);
        Assert.That(second, Is.SameAs(first));
        var partner = (PartnerIdentity)first.ClaimsIdentity;
        Assert.That((partner.ClientId, partner.Scopes), Is.EqualTo(("p1", LedgerScopes.Read)));
        Assert.That(partner.DomainMaskIn(DefaultCatalog), Is.EqualTo(1UL << DefaultCatalog.DomainBit("cards")));
    }

    [Test]
    public async Task ACachedTokenShouldGainADomainItNamesWhenAPromotionAddsIt()
    {
        var catalog = DefaultCatalog;
        var handler = new CachingTokenHandler(() => catalog, 10, new ManualClock(DateTimeOffset.UtcNow));
        string token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://ledger.local/", Audience = "ledger", Expires = DateTime.UtcNow.AddHours(1), TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
            Subject = new ClaimsIdentity([new Claim("client_id", "p-loans"), new Claim("scope", "ledger:write domain:cards domain:loans")]),
        });
        var partner = (PartnerIdentity)(await handler.ValidateTokenAsync(token, Parameters())).ClaimsIdentity;
        Assert.That(DefaultCatalog.DomainBit("loans"), Is.EqualTo(-1), "the shipped catalog has no 'loans' domain");
        ulong cards = 1UL << DefaultCatalog.DomainBit("cards");
        Assert.That(partner.DomainMaskIn(DefaultCatalog), Is.EqualTo(cards));

        // A promotion adds 'loans' (domain bits of the earlier catalog kept); the token is still cached.
        var promoted = Catalogs.WithRules(extraCodes: new HistoryCodeDefinition(4001, "Loan repayment", Direction.Debit, "loans", [EntryKind.Ledger], false, []));
        catalog = promoted;
        var again = (PartnerIdentity)(await handler.ValidateTokenAsync(token, Parameters())).ClaimsIdentity;
        Assert.That(again, Is.SameAs(partner), "answered from the cache");
        Assert.That(again.DomainMaskIn(promoted), Is.EqualTo(cards | (1UL << promoted.DomainBit("loans"))));
        Assert.That(again.DomainMaskIn(DefaultCatalog), Is.EqualTo(cards), "each catalog its own mask");
    }

    [Test]
    public async Task ShouldNotHonourACachedTokenPastItsExpiry()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var handler = new CachingTokenHandler(() => DefaultCatalog, 10, clock);
        string token = Token("p1", DateTime.UtcNow.AddHours(1));
        var first = await handler.ValidateTokenAsync(token, Parameters());
        clock.Now = clock.Now.AddHours(2);
        var later = await handler.ValidateTokenAsync(token, Parameters());
        Assert.That(later, Is.Not.SameAs(first), "past its expiry the token is validated again, not served from the cache");
    }

    [Test]
    public async Task ShouldHandOutAValidatedTokensIdentityByItsTextOnlyWhileItIsValid()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var handler = new CachingTokenHandler(() => DefaultCatalog, 10, clock);
        string token = Token("p1", DateTime.UtcNow.AddHours(1));
        Assert.That(handler.TryGetValidated(token, out _), Is.False, "not validated yet");
        var validated = await handler.ValidateTokenAsync(token, Parameters());
        Assert.That(handler.TryGetValidated(("Bearer " + token).AsSpan(7), out var identity), Is.True, "found by a span of the header's text");
        Assert.That(identity, Is.SameAs(validated.ClaimsIdentity));
        Assert.That(handler.TryGetValidated(token.AsSpan(0, token.Length - 1), out _), Is.False, "only the very token");
        Assert.That(handler.TryGetValidated(token + "x", out _), Is.False);
        clock.Now = clock.Now.AddHours(2);
        Assert.That(handler.TryGetValidated(token, out _), Is.False, "never past its expiry");
        var refusing = new CachingTokenHandler(() => DefaultCatalog, 0, clock);
        await refusing.ValidateTokenAsync(Token("p2", DateTime.UtcNow.AddHours(3)), Parameters());
        Assert.That(refusing.CachedCount, Is.Zero, "a cache of size 0 holds nothing");
    }

    [Test]
    public async Task ShouldNeitherCacheARefusedTokenNorGrowPastItsSize()
    {
        var handler = new CachingTokenHandler(() => DefaultCatalog, 2, new ManualClock(DateTimeOffset.UtcNow));
        var refused = await handler.ValidateTokenAsync(Token("p0", DateTime.UtcNow.AddHours(1)) + "x", Parameters());
        Assert.That(refused.IsValid, Is.False);
        Assert.That(handler.CachedCount, Is.Zero);
        for (int i = 0; i < 5; i++) await handler.ValidateTokenAsync(Token("p" + i, DateTime.UtcNow.AddHours(1)), Parameters());
        Assert.That(handler.CachedCount, Is.LessThanOrEqualTo(2));
    }
}
