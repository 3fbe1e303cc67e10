using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ledger.Gateway.Tests;

/// <summary>
/// mTLS (Ledger:Tls): a CA and certificates made here at run time; no certificate, a wrong CA, a self-signed one, or one of
/// the right CA that expired or is not valid yet is refused at the handshake, and the service goes on serving.
/// </summary>
public sealed class MutualTlsTests
{
    private string _dir = "";
    private X509Certificate2 _ca = null!;
    private X509Certificate2 _otherCa = null!;
    private GatewayServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dir = GatewayServer.NewDataDir();
        Directory.CreateDirectory(_dir);
        _ca = CreateCa("CN=Ledger Test Partners CA");
        _otherCa = CreateCa("CN=Somebody Else's CA");
        using var serverCert = Issue(_ca, "CN=127.0.0.1", server: true);
        File.WriteAllText(Path.Combine(_dir, "server.pem"), serverCert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "server.key"), serverCert.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), _ca.ExportCertificatePem());
        _server = await GatewayServer.StartOnAsync(Path.Combine(_dir, "data"),
            "urls=https://127.0.0.1:0",
            "Ledger:Tls:Enabled=true",
            $"Ledger:Tls:CertificatePath={Path.Combine(_dir, "server.pem")}",
            $"Ledger:Tls:CertificateKeyPath={Path.Combine(_dir, "server.key")}",
            $"Ledger:Tls:ClientCaPath={Path.Combine(_dir, "ca.pem")}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _server.DisposeAsync();
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private HttpClient ClientWith(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trust the server only through the test CA.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is X509Certificate2 c && Ledger.Gateway.Security.MutualTls.ChainsTo(c, _ca),
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            },
        };
        return new HttpClient(handler) { BaseAddress = _server.Address };
    }

    [Test]
    public async Task ShouldServeAClientWhoseCertificateTheConfiguredCaSigned()
    {
        using var cert = Issue(_ca, "CN=demo-partner", server: false);
        using var client = ClientWith(cert);
        using var response = await client.GetAsync("/health/live");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ShouldRefuseAClientWithoutACertificateAtTheHandshake()
    {
        using var client = ClientWith(null);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health/live"));
        Assert.That(ex!.StatusCode, Is.Null, "no HTTP response at all: the connection failed");
    }

    [Test]
    public async Task ShouldRefuseAClientCertificateOfAnotherCaAtTheHandshake()
    {
        using var cert = Issue(_otherCa, "CN=intruder", server: false);
        using var client = ClientWith(cert);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health/live"));
        Assert.That(ex!.StatusCode, Is.Null);
    }

    [Test]
    public async Task ShouldRefuseASelfSignedClientCertificateAtTheHandshake()
    {
        using var cert = CreateCa("CN=self-signed");
        using var client = ClientWith(cert);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health/live"));
    }

    [TestCase(-20, -1, TestName = "ShouldRefuseAnExpiredClientCertificateOfTheRightCaAtTheHandshake")]
    [TestCase(24, 480, TestName = "ShouldRefuseAClientCertificateOfTheRightCaNotValidYetAtTheHandshake")]
    public async Task ShouldRefuseAClientCertificateOutsideItsValidity(int fromHours, int toHours)
    {
        using var cert = Issue(_ca, "CN=demo-partner", server: false, DateTimeOffset.UtcNow.AddHours(fromHours), DateTimeOffset.UtcNow.AddHours(toHours)); // within the CA's validity (a day ago to 30 days on)
        using (var client = ClientWith(cert))
        {
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health/live"));
            Assert.That(ex!.StatusCode, Is.Null, "no HTTP response at all: the connection failed");
        }
        using var valid = Issue(_ca, "CN=demo-partner", server: false);
        using var after = ClientWith(valid);
        using var response = await after.GetAsync("/health/live");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a refused handshake leaves the service serving");
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, bool server, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        using var signed = request.Create(ca, notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(10), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so SslStream can use the private key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
