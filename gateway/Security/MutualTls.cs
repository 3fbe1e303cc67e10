using System.Security.Cryptography.X509Certificates;
using Ledger.Gateway.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Ledger.Gateway.Security;

/// <summary>
/// HTTPS with client certificates (mTLS) on Kestrel, from <c>Ledger:Tls</c>. A client certificate must chain to the
/// configured CA (and only to it: the machine's trust store plays no part), else the TLS handshake fails and no
/// HTTP request is ever read.
/// </summary>
internal static class MutualTls
{
    public static void Configure(KestrelServerOptions kestrel, TlsOptions tls)
    {
        if (!tls.Enabled) return;
        var serverCertificate = LoadServerCertificate(tls);
        X509Certificate2? clientCa = null;
        if (tls.RequireClientCertificate)
        {
            if (string.IsNullOrWhiteSpace(tls.ClientCaPath) || !File.Exists(tls.ClientCaPath))
            {
                throw new InvalidOperationException($"Ledger:Tls:RequireClientCertificate is on but Ledger:Tls:ClientCaPath ('{tls.ClientCaPath}') is not a PEM file of the partners' CA.");
            }
            clientCa = X509CertificateLoader.LoadCertificateFromFile(tls.ClientCaPath);
        }
        kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = serverCertificate;
            if (clientCa is null) return;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.CheckCertificateRevocation = false;
            https.ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, clientCa);
        });
    }

    /// <summary>True when the certificate is valid now and chains to <paramref name="ca"/> alone.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(certificate)) return false;
        var root = chain.ChainElements[^1].Certificate;
        return root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span);
    }

    private static X509Certificate2 LoadServerCertificate(TlsOptions tls)
    {
        if (string.IsNullOrWhiteSpace(tls.CertificatePath) || !File.Exists(tls.CertificatePath))
        {
            throw new InvalidOperationException($"Ledger:Tls:Enabled is on but Ledger:Tls:CertificatePath ('{tls.CertificatePath}') is not a certificate file: set it (PEM with Ledger:Tls:CertificateKeyPath, or PKCS#12).");
        }
        if (!string.IsNullOrWhiteSpace(tls.CertificateKeyPath))
        {
            using var pem = X509Certificate2.CreateFromPemFile(tls.CertificatePath, tls.CertificateKeyPath);
            // Re-import so the private key is usable by SslStream on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        return X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath, tls.CertificatePassword);
    }

}
