using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Gateway.Security;

/// <summary>
/// The embedded token server's RSA signing key: generated on first start into <c>{DataDir}/keys/token-signing-key.pem</c>
/// (PKCS#8 PEM, mode 0600) and loaded afterwards, so tokens survive restarts and no key is ever committed.
/// </summary>
internal static class SigningKeyStore
{
    public const string FileName = "token-signing-key.pem";

    public static string PathIn(string dataDir) => Path.Combine(dataDir, "keys", FileName);

    /// <summary>
    /// The key shared by configuration (<c>Ledger:Auth:SigningKeyPath</c>: every node of one deployment loads the same
    /// file, so a token from one is valid on all), or else this data directory's own key (generated on first start).
    /// </summary>
    public static RsaSecurityKey Load(string dataDir, string? sharedPath)
    {
        if (string.IsNullOrWhiteSpace(sharedPath)) return LoadOrCreate(dataDir);
        if (!File.Exists(sharedPath))
            throw new InvalidOperationException($"Ledger:Auth:SigningKeyPath names '{sharedPath}', which does not exist: copy the deployment's token signing key (PKCS#8 PEM RSA) there, or unset it to use a key of this node's own.");
        return Read(sharedPath);
    }

    public static RsaSecurityKey LoadOrCreate(string dataDir)
    {
        string path = PathIn(dataDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            using var rsa = RSA.Create(2048);
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var file = new FileStream(path, options);
                using var writer = new StreamWriter(file);
                writer.Write(rsa.ExportPkcs8PrivateKeyPem());
            }
            catch (IOException) when (File.Exists(path))
            {
                // another process created it first: load theirs
            }
        }
        return Read(path);
    }

    private static RsaSecurityKey Read(string path)
    {
        // The key signs tokens for the life of the process: the RsaSecurityKey returned holds it, nothing disposes it.
#pragma warning disable CA2000
        var rsa = RSA.Create();
#pragma warning restore CA2000
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"The token signing key '{path}' is not a PKCS#8 PEM RSA key: replace it (a key of this node's own is regenerated when deleted; issued tokens then become invalid).", ex);
        }
        var key = new RsaSecurityKey(rsa);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }
}
