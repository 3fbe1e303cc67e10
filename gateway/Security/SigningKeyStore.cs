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

    public static RsaSecurityKey LoadOrCreate(string dataDir)
    {
        string path = PathIn(dataDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The key signs tokens for the life of the process: the RsaSecurityKey returned holds it, nothing disposes it.
#pragma warning disable CA2000
        var rsa = RSA.Create();
#pragma warning restore CA2000
        if (!File.Exists(path))
        {
            rsa.KeySize = 2048;
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
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"The token signing key '{path}' is not a PKCS#8 PEM RSA key: delete it to have a new one generated (issued tokens then become invalid).", ex);
        }
        var key = new RsaSecurityKey(rsa);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }
}
