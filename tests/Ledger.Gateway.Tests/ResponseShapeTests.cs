using System.Buffers;
using System.Text;
using System.Text.Json;
using Ledger.Gateway.Api;
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

        var written = new ArrayBufferWriter<byte>();
        BatchCreatedResult.Write(written, command, DefaultCatalog);
        string expected = JsonSerializer.Serialize(Answers.Batch(command, DefaultCatalog), GatewayJson.Relaxed.GetTypeInfo(typeof(EntryBatchGroupResponse)));
        Assert.That(Encoding.UTF8.GetString(written.WrittenSpan), Is.EqualTo(expected));
        Assert.That(expected, Does.Contain("\"status\":\"PENDING\"").And.Contain("\"asOfDate\":\"2026-06-21\""));
        Assert.That(expected, Does.Contain("\"correlationId\":\"h2\",\"entryType\":998,\"direction\":\"DEBIT\"")
            .And.Contain("\"correlationId\":\"u\",\"entryType\":998,\"direction\":\"CREDIT\""), "a hold debits available; its unblocking credits it back");
    }
}
