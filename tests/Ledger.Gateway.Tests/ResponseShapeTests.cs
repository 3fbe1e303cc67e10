using System.Buffers;
using System.Text;
using System.Text.Json;
using Ledger.Engine.Domain;
using Ledger.Gateway.Api;
using Ledger.Gateway.Edge;
using Ledger.ReadSide;
using static Ledger.Testing.Commands;

namespace Ledger.Gateway.Tests;

/// <summary>The hand-written 201 of a batch is byte for byte what the source-generated serializer writes for EntryBatchGroupResponse.</summary>
public sealed class ResponseShapeTests
{
    [Test]
    public void ShouldWriteTheBatchAnswerExactlyAsTheDocumentedSchema()
    {
        var engine = NewEngine();
        var a = Account(1);
        Open(a).ApplyTo(engine);
        Post(Posting(a, "d", 100, 10_000), Hold(a, "h", 998, 3_000)).ApplyTo(engine);
        var command = PostAt(T0 + 12_345_678, Hold(a, "h2", 998, 2_000), Posting(a, "p", 998, 1_000), Unblock(a, "u", "h", 500)).ApplyTo(engine);
        Assert.That(command.Result.IsOk, Is.True);

        string expected = AssertWrittenAsDocumented(command, "the answer");
        Assert.That(expected, Does.Contain("\"status\":\"PENDING\"").And.Contain("\"asOfDate\":\"2026-06-21\""));
        Assert.That(expected, Does.Contain("\"correlationId\":\"h2\",\"entryType\":998,\"direction\":\"DEBIT\"")
            .And.Contain("\"correlationId\":\"u\",\"entryType\":998,\"direction\":\"CREDIT\""), "a hold debits available; its unblocking credits it back");
    }

    [Test]
    public void ShouldWriteEachAnswersOwnInstantAndDateWhenTheyChangeFromOneAnswerToTheNext()
    {
        // The writer formats an instant once and reuses it while the next answer has the same one (a batch's entries
        // share their command's): answers in turn at other instants, whole seconds (the fraction trimmed) among them.
        var engine = NewEngine();
        var a = Account(1);
        Open(a).ApplyTo(engine);
        long[] instants = [T0 + 5, T0 + 5, T0 + TimeSpan.TicksPerDay, T0 + TimeSpan.TicksPerDay + 10_000_000, T0 + 36 * TimeSpan.TicksPerHour + 1_230_000];
        int n = 0;
        foreach (long at in instants)
        {
            var command = PostAt(at, Posting(a, $"d{n++}", 100, 500), Posting(a, $"d{n++}", 100, 700)).ApplyTo(engine);
            Assert.That(command.Result.IsOk, Is.True);
            AssertWrittenAsDocumented(command, $"the answer at {new DateTime(at, DateTimeKind.Utc):O}");
        }
    }

    /// <summary>Writes the command's 201 and checks it against the documented schema filled from the same decided command; returns the expected text.</summary>
    private static string AssertWrittenAsDocumented(Ledger.Engine.Commands.LedgerCommand command, string what)
    {
        var written = new ArrayBufferWriter<byte>();
        BatchCreatedResult.Write(written, command, DefaultCatalog);
        var entries = Enumerable.Range(0, command.EntryCount).Select(i => Answers.Entry(command, i, DefaultCatalog)).ToArray();
        ref var first = ref command.EntryResults[0];
        var documented = new EntryBatchGroupResponse(entries, Answers.Balances(first.BalancesAfter, CurrencyNames.Of(first.Currency)));
        string expected = JsonSerializer.Serialize(documented, GatewayJson.Relaxed.GetTypeInfo(typeof(EntryBatchGroupResponse)));
        Assert.That(Encoding.UTF8.GetString(written.WrittenSpan), Is.EqualTo(expected), what);
        return expected;
    }

    [Test]
    public void TheSchemaEnumsShouldSpellTheOneNameTable()
    {
        foreach (var kind in WireNames.Kinds)
            Assert.That(JsonSerializer.Serialize((EntryKindName)kind), Is.EqualTo($"\"{WireNames.Kind(kind)}\""));
        foreach (var status in WireNames.Statuses)
            Assert.That(JsonSerializer.Serialize((EntryStatusName)status), Is.EqualTo($"\"{WireNames.Status(status)}\""));
        foreach (var direction in new[] { Direction.Debit, Direction.Credit })
            Assert.That(JsonSerializer.Serialize((DirectionName)direction), Is.EqualTo($"\"{WireNames.Direction(direction)}\""));
        Assert.That(Enum.GetValues<EntryKindName>(), Has.Length.EqualTo(WireNames.Kinds.Count));
        Assert.That(Enum.GetValues<EntryStatusName>(), Has.Length.EqualTo(WireNames.Statuses.Count));
    }
}
