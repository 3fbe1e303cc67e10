using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Journal.Entries;
using NUnit.Framework;

namespace Ledger.Journal.Tests;

/// <summary>The entry store's image format: every field comes back as written, whatever its value; a bad value is refused, never guessed.</summary>
public class StoreCodecTests
{
    [Test]
    public void ShouldReadBackEveryFieldOfTenThousandRandomImagesIncludingTheExtremes()
    {
        var random = new Random(7);
        var buffer = new byte[StoreCodec.ImageBytesMax];
        int longest = 0;
        for (int n = 0; n < 10_000; n++)
        {
            var e = RandomImage(random);
            int length = StoreCodec.WriteImage(in e, buffer);
            longest = Math.Max(longest, length);
            StoreCodec.ReadImage(buffer.AsSpan(0, length), out var back);
            Assert.That(Bytes(ref back), Is.EqualTo(Bytes(ref e)), $"image {n} ({length} bytes): every field, byte for byte");
            Assert.Throws<StoreFormatException>(() => StoreCodec.ReadImage(buffer.AsSpan(0, length - 1), out _), "a truncated value is refused");
        }
        TestContext.Out.WriteLine($"longest image: {longest} bytes (at most {StoreCodec.ImageBytesMax})");
    }

    private static readonly long[] Extremes = [0, 1, -1, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue, 1L << 40];

    /// <summary>An image with every field random, extremes included, optional fields present or not.</summary>
    private static EntryImage RandomImage(Random random)
    {
        long Pick() => random.Next(4) == 0 ? Extremes[random.Next(Extremes.Length)] : random.NextInt64(-1_000_000, 1_000_000_000_000);
        var e = new EntryImage
        {
            AccountPacked = random.Next(10) == 0 ? EntryKeys.BundleAccount : Pick(),
            Kind = (EntryKind)random.Next(1, 6), Status = (EntryStatus)random.Next(0, 6), AnsweredStatus = (EntryStatus)random.Next(0, 6),
            Direction = (Direction)random.Next(1, 3), Decline = (ResultCode)random.Next(0, 256), DeclineRuleId = (byte)random.Next(256),
            Flags = (EntryFlags)random.Next(0, 8),
            RequestedEntryType = (int)Pick(), EntryType = (int)Pick(), RequestedCurrency = new CurrencyCode((int)Pick()), Currency = new CurrencyCode((int)Pick()),
            RequestedAmountMinor = Pick(), AmountMinor = Pick(), RequestedExpiresAtTicks = Pick(), ExpiresAtTicks = Pick(),
            DescriptionHash = (ulong)Pick(), ReferenceHash = (ulong)Pick(), Sequence = Math.Abs(Pick() % long.MaxValue), TimestampTicks = Pick(),
            HeldRemainingMinor = Pick(), ReferenceSequence = Math.Abs(Pick() % long.MaxValue), ReversedBySequence = Math.Abs(Pick() % long.MaxValue),
            BalancesAfter = new Balances(Pick(), Pick()), RecordNumber = Math.Abs(Pick() % (long.MaxValue / 2)), CommandPosition = random.Next(1000),
            CommandCount = random.Next(1, 1001), DeclineEntryIndex = random.Next(-1, 1000),
        };
        if (random.Next(2) == 0) (e.RequestedEntryType, e.RequestedCurrency, e.RequestedAmountMinor, e.RequestedExpiresAtTicks) = (e.EntryType, e.Currency, e.AmountMinor, e.ExpiresAtTicks);
        e.LastChange = e.RecordNumber + random.Next(0, 1_000_000);
        var key = new byte[random.Next(1, EntryKeys.LengthMax + 1)];
        random.NextBytes(key);
        e.SetKey(key);
        return e;
    }

    [Test]
    public void ShouldDecodeOrRefuseMutatedValuesOfEveryRowKindButNeverThrowAnythingElse()
    {
        // Hostile bytes on read (issue 17, item 4): a value damaged on disk or written by a bug. Each row kind the store
        // reads (entry image, account, daily counter, checkpoint, catalog) decodes or is refused with StoreFormatException, the
        // exception start-up answers by rebuilding the store from the journal; any other exception would stop start-up.
        var random = new Random(20261206);
        var buffer = new byte[StoreCodec.ImageBytesMax];
        var values = new List<(string Kind, byte[] Value, Action<byte[]> Read)>();
        for (int n = 0; n < 400; n++)
        {
            var e = RandomImage(random);
            int length = StoreCodec.WriteImage(in e, buffer);
            values.Add(("entry image", buffer[..length], v => StoreCodec.ReadImage(v, out _)));
        }
        var account = new byte[StoreCodec.AccountBytes];
        StoreCodec.WriteAccount(new AccountState { Key = new AccountKey(1, 42), Currency = CurrencyCode.Parse("USD"), AvailableMinor = 5_000, OpenedAtTicks = 1 }, account);
        values.Add(("account", account, v => StoreCodec.ReadAccount(v)));
        var counter = new byte[StoreCodec.DailyCounterBytes];
        StoreCodec.WriteDailyCounter(new DailyCounter { AccountPacked = 42, Scope = 3, Day = 20_000, Count = 2, SumMinor = 900 }, counter);
        values.Add(("daily counter", counter, v => StoreCodec.ReadDailyCounter(v)));
        var checkpoint = new byte[StoreCheckpoint.Bytes];
        new StoreCheckpoint(12, 4_096, 4_200, 0xDEADBEEF, 30, 639_000_000_000_000_000, 77, 5, 1).Write(checkpoint);
        values.Add(("checkpoint", checkpoint, v => StoreCheckpoint.Read(v)));
        var catalog = Ledger.Testing.Catalogs.WithRules(new Dictionary<int, Ledger.Engine.Catalog.RuleDefinition[]> { [998] = [Ledger.Testing.Catalogs.Rule("fee", "code=700 fixed=25")] });
        values.Add(("catalog", StoreCodec.WriteCatalog(catalog), v => StoreCodec.ReadCatalog(v)));
        Assert.That(StoreCodec.ReadCatalog(values[^1].Value).Definitions.Count, Is.EqualTo(catalog.Definitions.Count), "the catalog row reads back");

        var (counts, crashes) = Ledger.Testing.Mutations.ReadMutated<StoreFormatException>(values, random, kind => kind == "entry image" ? 40 : 2_000);
        TestContext.Out.WriteLine(Ledger.Testing.Mutations.Describe(counts, crashes));
        Assert.That(crashes, Is.Empty, string.Join("\n", crashes.Take(10)));
        foreach (var (kind, (_, refused)) in counts) Assert.That(refused, Is.GreaterThan(100), $"{kind}: the mutations reach the decoder's checks");
    }

    /// <summary>The image's memory (it holds no references; both sides start zeroed, so padding agrees).</summary>
    private static byte[] Bytes(ref EntryImage e) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<EntryImage>(ref e)).ToArray();

    [Test]
    public void ShouldWriteADepositInAboutSeventyBytesAndRefuseAnotherVersion()
    {
        var e = new EntryImage
        {
            AccountPacked = new AccountKey(1, 928_013).Packed, Kind = EntryKind.Ledger, Status = EntryStatus.Posted, AnsweredStatus = EntryStatus.Posted,
            Direction = Direction.Credit, RequestedEntryType = 100, EntryType = 100, RequestedCurrency = CurrencyCode.Parse("USD"), Currency = CurrencyCode.Parse("USD"),
            RequestedAmountMinor = 5_000, AmountMinor = 5_000, DescriptionHash = 0x1234_5678_9ABC_DEF0, Sequence = 12_345_678,
            TimestampTicks = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).Ticks, BalancesAfter = new Balances(482_010, 30_000),
            RecordNumber = 1_234_567, CommandPosition = 3, CommandCount = 100, LastChange = 1_234_567, Flags = EntryFlags.HasRequestedAmount,
        };
        e.SetKey("p0-123456-42"u8);
        var buffer = new byte[StoreCodec.ImageBytesMax];
        int length = StoreCodec.WriteImage(in e, buffer);
        TestContext.Out.WriteLine($"a deposit: {length} bytes");
        Assert.That(length, Is.LessThan(80));
        buffer[0] = 1;
        Assert.Throws<StoreFormatException>(() => StoreCodec.ReadImage(buffer.AsSpan(0, length), out _));
    }
}
