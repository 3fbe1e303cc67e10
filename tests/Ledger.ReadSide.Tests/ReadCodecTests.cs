using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;

namespace Ledger.ReadSide.Tests;

/// <summary>
/// Hostile bytes on read (issue 17, item 4): every value the read store reads back (entry row, account, balance
/// history, partition position, watermark), damaged on disk or written by a bug, decodes or is refused with
/// <see cref="ReadStoreFormatException"/> (the read store is then rebuilt from the journal), never another exception.
/// </summary>
public sealed class ReadCodecTests
{
    private static readonly long[] Extremes = [0, 1, -1, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue];

    private static RowData RandomRow(Random random)
    {
        long Pick() => random.Next(4) == 0 ? Extremes[random.Next(Extremes.Length)] : random.NextInt64(-1_000_000, 1_000_000_000_000);
        return new RowData
        {
            TimestampTicks = Pick(), Kind = (EntryKind)random.Next(1, 6), Status = (EntryStatus)random.Next(0, 6), EntryType = (int)Pick(),
            AmountMinor = Pick(), ExpiresAtTicks = Pick(), ReferenceSequence = Math.Abs(Pick() % long.MaxValue), ReversedBySequence = Math.Abs(Pick() % long.MaxValue),
            BalancesAfter = new Balances(Pick(), Pick()),
            CorrelationId = new string('k', random.Next(1, 65)),
            Description = random.Next(3) == 0 ? null : "Café " + new string('d', random.Next(0, 200)),
        };
    }

    [Test]
    public void ShouldDecodeOrRefuseMutatedValuesOfEveryRowKindButNeverThrowAnythingElse()
    {
        var random = new Random(20261206);
        var values = new List<(string Kind, byte[] Value, Action<byte[]> Read)>();
        var buffer = new byte[ReadCodec.RowBytesMax];
        for (int n = 0; n < 300; n++)
        {
            var row = RandomRow(random);
            int length = ReadCodec.WriteRow(in row, buffer);
            var back = ReadCodec.ReadRow(buffer.AsSpan(0, length));
            Assert.That((back.AmountMinor, back.BalancesAfter, back.CorrelationId, back.Description), Is.EqualTo((row.AmountMinor, row.BalancesAfter, row.CorrelationId, row.Description)));
            values.Add(("entry row", buffer[..length], v => ReadCodec.ReadRow(v)));
            length = ReadCodec.WriteHistory(row.BalancesAfter, row.ReferenceSequence, buffer);
            Assert.That(ReadCodec.ReadHistory(buffer.AsSpan(0, length)), Is.EqualTo((row.BalancesAfter, row.ReferenceSequence)));
            values.Add(("balance history", buffer[..length], v => ReadCodec.ReadHistory(v)));
        }
        var account = new byte[20];
        ReadCodec.WriteAccount(CurrencyCode.Parse("USD"), 5_000, 639_000_000_000_000_000, account);
        values.Add(("account", account, v => ReadCodec.ReadAccount(v)));
        var partition = new byte[20];
        ReadCodec.WritePartition(new PartitionPosition(1_234, 56, 2), partition);
        values.Add(("partition position", partition, v => ReadCodec.ReadPartition(v)));
        var watermark = new byte[25];
        ReadCodec.WriteWatermark(new ReadWatermark(12, 4_096, 30), watermark);
        values.Add(("watermark", watermark, v => ReadCodec.ReadWatermark(v)));

        var (counts, crashes) = Ledger.Testing.Mutations.ReadMutated<ReadStoreFormatException>(values, random, kind => kind is "entry row" or "balance history" ? 30 : 2_000);
        TestContext.Out.WriteLine(Ledger.Testing.Mutations.Describe(counts, crashes));
        Assert.That(crashes, Is.Empty, string.Join("\n", crashes.Take(10)));
        foreach (var (kind, (_, refused)) in counts) Assert.That(refused, Is.GreaterThan(100), $"{kind}: the mutations reach the decoder's checks");
    }
}
