using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The edge, attacked with malformed input: seeded mutations (seed 20261201) of valid bodies (bytes flipped, inserted,
/// deleted, duplicated; truncation; lone surrogates, invalid UTF-8, huge and odd numbers, deep nesting, unknown members),
/// of query strings and path segments (odd names, repeats, empties, bad percent-encoding, long values) and of headers
/// (content types, request ids, traceparents), sent to every endpoint that reads input. Every answer must be a 4xx (or a
/// 2xx read), never a 5xx or a dropped connection, and the ledger's state hash must not change: write requests name
/// accounts that do not exist and the account endpoints' seeds are wrong in two places, so no single mutation can make
/// one valid.
/// </summary>
public sealed class MalformedInputCampaignTests
{
    private const int Seed = 20261201;
    private const int CasesPerTarget = 300;

    private sealed record Target(string Name, HttpMethod Method, string Path, byte[]? Body, string ContentType, string Client);

    [Test]
    public async Task NoMalformedInputShouldGetA5xxADroppedConnectionOrChangeTheLedger()
    {
        string dataDir = GatewayServer.NewDataDir();
        try
        {
            TestAccount account;
            await using (var setup = await GatewayServer.StartOnAsync(dataDir))
            {
                account = await setup.OpenAccountAsync();
                using var client = await setup.ClientAsync();
                (await client.PostAsync(account.Batches, Batch(Entry("ledger", "d", 100, 10_000), Entry("blocking", "h", 998, 100)))).EnsureSuccessStatusCode();
            }

            ulong before;
            var random = new Random(Seed);
            int cases = 0;
            var statuses = new SortedDictionary<int, int>();
            await using (var server = await GatewayServer.StartOnAsync(dataDir))
            {
                before = server.Runtime.Recovery!.StateHash;
                var clients = new Dictionary<string, HttpClient>
                {
                    ["demo-partner"] = await server.ClientAsync(),
                    ["ledger-admin"] = await server.ClientAsync("ledger-admin"),
                };
                foreach (var target in Targets(account))
                {
                    for (int i = 0; i < CasesPerTarget; i++)
                    {
                        HttpRequestMessage mutated;
                        try
                        {
                            mutated = Mutate(target, account, random);
                        }
                        catch (UriFormatException)
                        {
                            continue; // a URI HttpClient itself refuses to send
                        }
                        using var request = mutated;
                        HttpResponseMessage response;
                        try
                        {
                            response = await clients[target.Client].SendAsync(request);
                        }
                        catch (HttpRequestException ex)
                        {
                            Assert.Fail($"{target.Name} case {i}: the connection dropped ({ex.Message}) for {request.Method} {request.RequestUri}");
                            throw;
                        }
                        using (response)
                        {
                            int status = (int)response.StatusCode;
                            statuses[status] = statuses.GetValueOrDefault(status) + 1;
                            string body = await response.Content.ReadAsStringAsync();
                            Assert.That(status, Is.LessThan(500), $"{target.Name} case {i}: {request.Method} {request.RequestUri}\n{body}");
                            // The one 4xx that is not a Problem: a request line HTTP itself forbids (a NUL in the path),
                            // which Kestrel refuses with an empty 400 before any application code runs.
                            bool refusedByHttp = status == 400 && body.Length == 0 && request.RequestUri!.AbsoluteUri.Contains("%00");
                            if (status >= 400 && !refusedByHttp) Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), $"{target.Name} case {i}: {status} to {request.Method} {request.RequestUri} ({request.Content?.Headers.ContentType}): {body}");
                            if (status is >= 200 and < 300) Assert.That(target.Method, Is.EqualTo(HttpMethod.Get), $"{target.Name} case {i}: a write succeeded: {body}");
                        }
                        cases++;
                    }
                }
                foreach (var client in clients.Values) client.Dispose();
            }
            TestContext.Out.WriteLine($"malformed-input campaign: {cases} cases (seed {Seed}); statuses: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
            Assert.That(cases, Is.GreaterThanOrEqualTo(3_000));

            await using var after = await GatewayServer.StartOnAsync(dataDir);
            Assert.That(after.Runtime.Recovery!.StateHash, Is.EqualTo(before), "nothing the campaign sent changed the ledger");
            using var check = await after.ClientAsync();
            Assert.That(await check.BalancesAsync(account), Is.EqualTo((9_900L, 100L)));
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    private static IEnumerable<Target> Targets(TestAccount account)
    {
        const long missing = 987_654_321;
        var json = "application/json";
        yield return new("batch", HttpMethod.Post, $"/v1/accounts/1/{missing}/batches", Utf8(
            "{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"c-1\",\"entryType\":100,\"amount\":{\"value\":5,\"currency\":\"USD\",\"scale\":2},\"description\":\"Caf\\u00e9\"}," +
            "{\"entryKind\":\"blocking\",\"correlationId\":\"c-2\",\"entryType\":998,\"amount\":{\"value\":7,\"currency\":\"USD\"},\"expiresAt\":\"2099-01-01T00:00:00Z\"}," +
            "{\"entryKind\":\"reversal\",\"correlationId\":\"c-3\",\"reverses\":\"c-1\"}]}"), json, "demo-partner");
        yield return new("bundle", HttpMethod.Post, "/v1/transaction-bundles", Utf8(
            $"{{\"bundleId\":\"b-1\",\"legs\":[{{\"branch\":1,\"account\":{missing},\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"o\",\"entryType\":200,\"amount\":{{\"value\":3,\"currency\":\"USD\"}}}}]}}," +
            $"{{\"branch\":1,\"account\":{missing + 1},\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"i\",\"entryType\":201,\"amount\":{{\"value\":3,\"currency\":\"USD\"}}}}]}}]}}"), json, "demo-partner");
        yield return new("delete", HttpMethod.Delete, $"/v1/accounts/1/{missing}/entries?correlationId=h", null, json, "demo-partner");
        // Wrong twice (branch out of range and a lower-case currency): one mutation cannot make it valid.
        yield return new("open account", HttpMethod.Post, "/v1/accounts", Utf8("{\"branch\":99999,\"account\":5,\"currency\":\"usd\",\"overdraftLimit\":0}"), json, "ledger-admin");
        yield return new("import ndjson", HttpMethod.Post, "/v1/accounts/import",
            Utf8("{\"branch\":99999,\"account\":5,\"currency\":\"usd\"}\n{\"branch\":99998,\"account\":6,\"currency\":\"eur\"}\n"), "application/x-ndjson", "ledger-admin");
        yield return new("import csv", HttpMethod.Post, "/v1/accounts/import", Utf8("branch,account,currency\n99999,5,usd\n99998,6,eur\n"), "text/csv", "ledger-admin");
        yield return new("statement v1", HttpMethod.Get, $"/v1/entries?branch={account.Branch}&account={account.Number}&from=2020-01-01&to=2099-01-01&limit=10", null, json, "demo-partner");
        yield return new("statement v2", HttpMethod.Get, $"/v2/entries?branch={account.Branch}&account={account.Number}&entryKind=blocking&status=PENDING&minAmount=1&maxAmount=500&entryType=998", null, json, "demo-partner");
        yield return new("balances", HttpMethod.Get, $"{account.Balances}?at=2099-01-01T00:00:00.123Z", null, json, "demo-partner");
        yield return new("account", HttpMethod.Get, account.Path, null, json, "ledger-admin");
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static readonly string[] Nasty =
    [
        "\\uDC00", "\\uD800", "\\uD800\\u0041", "\\x41", "\\", "\"", "\u0000", "1e400", "-0", "99999999999999999999999", "0x10", "NaN", "Infinity",
        "true", "null", "[]", "{}", ",", ":", "\"entries\":1", "\"unknownMember\":1", "\"amount\":{\"value\":{}}", new string('[', 200),
        new string('a', 5_000), "\t\r\n", "é", "日本", "\ud83d\ude00",
    ];

    private static readonly byte[][] NastyBytes = [[0xC3, 0x28], [0xFF], [0xFE, 0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00], [0xEF, 0xBB, 0xBF]];

    private static HttpRequestMessage Mutate(Target target, TestAccount account, Random random)
    {
        string path = target.Path;
        byte[]? body = target.Body;
        int pick = random.Next(10);
        if (body is not null && pick < 6) body = MutateBytes(body, random);
        else path = MutatePath(path, random);
        var request = new HttpRequestMessage(target.Method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            string type = random.Next(8) switch
            {
                0 => "text/plain",
                1 => "application/json; charset=utf-16",
                2 => "application/problem+json",
                3 => "multipart/form-data; boundary=x",
                _ => target.ContentType,
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        if (random.Next(4) == 0) request.Headers.TryAddWithoutValidation("X-Request-Id", Printable(random, random.Next(0, 300)));
        if (random.Next(4) == 0) request.Headers.TryAddWithoutValidation("traceparent", random.Next(2) == 0 ? "00-" + Printable(random, 60) : "00-00000000000000000000000000000000-0000000000000000-00");
        if (random.Next(10) == 0) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return request;
    }

    private static byte[] MutateBytes(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        int at = random.Next(bytes.Count + 1);
        switch (random.Next(8))
        {
            case 0:
                if (bytes.Count > 0) bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes.InsertRange(at, NastyBytes[random.Next(NastyBytes.Length)]);
                break;
            case 2:
                bytes.RemoveRange(Math.Min(at, bytes.Count), Math.Min(random.Next(1, 20), bytes.Count - Math.Min(at, bytes.Count)));
                break;
            case 3:
                return [.. bytes.Take(at)];
            case 4:
            {
                int length = Math.Min(random.Next(1, 40), bytes.Count - Math.Min(at, bytes.Count));
                bytes.InsertRange(at, bytes.GetRange(Math.Min(at, bytes.Count), length));
                break;
            }
            default:
            {
                // a nasty token, possibly replacing what was there
                if (random.Next(2) == 0 && bytes.Count > 0) bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(random.Next(1, 8), bytes.Count - Math.Min(at, bytes.Count - 1)));
                bytes.InsertRange(Math.Min(at, bytes.Count), Encoding.UTF8.GetBytes(Nasty[random.Next(Nasty.Length)]));
                break;
            }
        }
        return [.. bytes];
    }

    private static string MutatePath(string path, Random random)
    {
        int q = path.IndexOf('?', StringComparison.Ordinal);
        string basePath = q < 0 ? path : path[..q], query = q < 0 ? "" : path[(q + 1)..];
        switch (random.Next(6))
        {
            case 0: // an odd path segment where a number goes
            {
                string[] odd = ["-1", "99999999999999999999", "1e3", "%00", "%ZZ", "0x1", " 1", "１", "1.0", "", "..", "%2F"];
                var segments = basePath.Split('/');
                int i = random.Next(Math.Min(2, segments.Length - 1), segments.Length); // never "/v1" itself: "//x" names a host
                segments[i] = odd[random.Next(odd.Length)];
                basePath = string.Join('/', segments);
                break;
            }
            case 1:
                query += (query.Length > 0 ? "&" : "") + Printable(random, random.Next(1, 12)).Replace("&", "", StringComparison.Ordinal) + "=" + Uri.EscapeDataString(Printable(random, random.Next(0, 30)));
                break;
            case 2: // repeat or empty one of its parameters
            {
                var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).ToList();
                if (pairs.Count == 0) pairs.Add("limit=1");
                string name = pairs[random.Next(pairs.Count)].Split('=')[0];
                pairs.Add(random.Next(2) == 0 ? name + "=" : pairs[random.Next(pairs.Count)]);
                query = string.Join('&', pairs);
                break;
            }
            case 3: // a bad value for one of its parameters
            {
                var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).ToList();
                if (pairs.Count == 0) break;
                int i = random.Next(pairs.Count);
                string[] bad = ["%", "%G1", "%C3%28", "%ED%A0%80", "-5", "2026-13-45", "2026-06-21T25:00:00Z", "9".PadLeft(40, '9'), "PENDING%00", Uri.EscapeDataString(new string('x', 3_000))];
                pairs[i] = pairs[i].Split('=')[0] + "=" + bad[random.Next(bad.Length)];
                query = string.Join('&', pairs);
                break;
            }
            case 4:
                query = query.ToUpperInvariant();
                break;
            default:
                query = "";
                break;
        }
        return query.Length == 0 ? basePath : basePath + "?" + query;
    }

    private static string Printable(Random random, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = (char)random.Next(0x21, 0x7F);
        return new string(chars);
    }
}
