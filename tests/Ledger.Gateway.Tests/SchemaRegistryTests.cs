using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Avro.IO;
using Confluent.Kafka;
using Ledger.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Gateway.Tests;

/// <summary>
/// With <c>Ledger:Kafka:SchemaRegistryUrl</c> set, the schemas are registered (subjects <c>&lt;topic&gt;-value</c>) and
/// messages use the Confluent wire format: magic byte 0, the registry's schema id (4 bytes big-endian), the datum.
/// No schema registry package is served here, so the test runs a stand-in of the registry's REST API (the two calls
/// the wire format needs: register a schema under a subject, fetch a schema by id).
/// </summary>
public sealed class SchemaRegistryTests
{
    private sealed class Registry : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, int> _ids = new();
        public readonly ConcurrentDictionary<int, string> Schemas = new();
        public readonly ConcurrentDictionary<string, int> Subjects = new();

        private Registry(WebApplication app) => _app = app;

        public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<Registry> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var registry = new Registry(app);
            app.MapPost("/subjects/{subject}/versions", async (string subject, HttpRequest request) =>
            {
                var body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!;
                string schema = (string)body["schema"]!;
                int id = registry._ids.GetOrAdd(schema, _ => registry._ids.Count + 1);
                registry.Schemas[id] = schema;
                registry.Subjects[subject] = id;
                return Results.Text($"{{\"id\":{id}}}", "application/vnd.schemaregistry.v1+json");
            });
            await app.StartAsync();
            return registry;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    [Test]
    public async Task EventsShouldUseTheConfluentWireFormatWithTheRegisteredId()
    {
        await using var registry = await Registry.StartAsync();
        using var kafka = KafkaMockCluster.Start("ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Ledger:Kafka:SchemaRegistryUrl={registry.Url}");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("reg-1", 321))).EnsureSuccessStatusCode();

        Assert.That(registry.Subjects.Keys, Does.Contain("ledger.events-value"));
        int id = registry.Subjects["ledger.events-value"];
        var schema = Schema.Parse(registry.Schemas[id]);
        using var consumer = EventReader.Consumer(kafka, "registry");
        consumer.Subscribe("ledger.events");
        var seen = new List<GenericRecord>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen.Count < 2 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(300)) is not { } m) continue;
            var value = m.Message.Value;
            Assert.That(value[0], Is.Zero, "the Confluent magic byte");
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(1, 4)), Is.EqualTo(id), "the id the registry gave");
            using var stream = new MemoryStream(value, 5, value.Length - 5);
            seen.Add(new GenericDatumReader<GenericRecord>(schema, schema).Read(null!, new BinaryDecoder(stream)));
        }
        Assert.That(seen.Select(r => ((GenericEnum)r["kind"]).Value), Is.EqualTo(new[] { "ACCOUNT_OPENED", "ENTRY_POSTED" }));
        Assert.That(seen[1]["available"], Is.EqualTo(321L));
    }
}
