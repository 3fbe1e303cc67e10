using System.Buffers.Binary;

namespace Ledger.Testing;

/// <summary>
/// Hostile bytes for the decoders' tests (issue 17, item 4): one value changed the way a bug, a bad disk or a forger
/// would change it: bits flipped, truncated, a huge or negative length (MessagePack's 32-bit headers and a LEB128/zigzag
/// varint of the largest values), a run of random bytes, bytes appended. <paramref name="how"/> says which, for the
/// failure message.
/// </summary>
public static class Mutations
{
    public static byte[] Mutate(ReadOnlySpan<byte> value, Random random, out string how)
    {
        var bytes = value.ToArray();
        if (bytes.Length == 0)
        {
            how = "one random byte for an empty value";
            return [(byte)random.Next(256)];
        }
        switch (random.Next(6))
        {
            case 0:
                int flips = random.Next(1, 5);
                for (int i = 0; i < flips; i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                how = $"{flips} bits flipped";
                return bytes;
            case 1:
                int length = random.Next(bytes.Length);
                how = $"truncated to {length} of {bytes.Length}";
                return bytes[..length];
            case 2:
                int at = random.Next(bytes.Length);
                bytes[at] = random.Next(2) == 0 ? (byte)0xFF : (byte)0xDD; // a negative fixint, or a map32/array32 header
                if (at + 4 < bytes.Length) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at + 1), random.Next(2) == 0 ? int.MaxValue : -1);
                how = $"a huge or negative 32-bit length at {at}";
                return bytes;
            case 3:
                // A varint of ulong.MaxValue (zigzag: long.MinValue), of uint.MaxValue (zigzag: a huge negative int) or of 2^31.
                byte[][] varints = [[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x80, 0x80, 0x80, 0x80, 0x08]];
                var varint = varints[random.Next(varints.Length)];
                int where = random.Next(bytes.Length);
                varint.AsSpan(0, Math.Min(varint.Length, bytes.Length - where)).CopyTo(bytes.AsSpan(where));
                how = $"a huge varint ({varint.Length} bytes) at {where}";
                return bytes;
            case 4:
                int from = random.Next(bytes.Length);
                random.NextBytes(bytes.AsSpan(from, Math.Min(bytes.Length - from, random.Next(1, 16))));
                how = $"random bytes from {from}";
                return bytes;
            default:
                var longer = new byte[bytes.Length + random.Next(1, 32)];
                bytes.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(bytes.Length));
                how = "random bytes appended";
                return longer;
        }
    }

    /// <summary>
    /// Mutates each value <paramref name="perValue"/>(kind) times and reads it back: per kind, how many decoded and how
    /// many were refused with <typeparamref name="TRefusal"/>; every other exception as a line naming kind and mutation.
    /// </summary>
    public static (Dictionary<string, (int Decoded, int Refused)> Counts, List<string> Crashes) ReadMutated<TRefusal>(
        IReadOnlyList<(string Kind, byte[] Value, Action<byte[]> Read)> values, Random random, Func<string, int> perValue)
        where TRefusal : Exception
    {
        var crashes = new List<string>();
        var counts = values.Select(v => v.Kind).Distinct().ToDictionary(k => k, _ => (Decoded: 0, Refused: 0));
        foreach (var (kind, value, read) in values)
        {
            for (int m = perValue(kind); m > 0; m--)
            {
                var mutated = Mutate(value, random, out string how);
                try
                {
                    read(mutated);
                    counts[kind] = (counts[kind].Decoded + 1, counts[kind].Refused);
                }
                catch (TRefusal)
                {
                    counts[kind] = (counts[kind].Decoded, counts[kind].Refused + 1);
                }
#pragma warning disable CA1031 // every other exception is what the caller's test reports
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    crashes.Add($"{kind}, {how}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        return (counts, crashes);
    }

    /// <summary>One line of <see cref="ReadMutated{TRefusal}"/>'s counts, for the test's output.</summary>
    public static string Describe(Dictionary<string, (int Decoded, int Refused)> counts, List<string> crashes) =>
        string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value.Decoded} decoded, {c.Value.Refused} refused")) + $", {crashes.Count} other exceptions";
}
