using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Baselines.Postgres;

/// <summary>
/// The PostgreSQL reference ledger on the gateway's routes: <c>POST …/batches</c> with the ledger's semantics for ledger
/// and blocking entries (and their releases and reversals): funds check, holds, idempotency by (account, correlationId),
/// declines remembered, all or nothing. One call of <c>post_batch</c> (schema.sql) per batch: one round trip, a prepared
/// statement (Npgsql auto-prepare), fsync on. Bundles are not part of the baseline (501).
/// Settings: <c>Postgres:ConnectionString</c> (required), <c>Postgres:PoolSize</c> (default 64).
/// Usage: <c>var app = await PostgresApp.BuildAsync(["--urls=http://127.0.0.1:8094", "--Postgres:ConnectionString=Host=…"]);</c>
/// </summary>
public static class PostgresApp
{
    private const string PostBatchSql = "SELECT * FROM post_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    private const string BalancesSql = "SELECT available, held, currency FROM accounts WHERE branch = $1 AND account = $2";
    private const string StatementSql =
        "SELECT correlation_id, entry_type, amount, currency, status, seq FROM entries WHERE branch = $1 AND account = $2 AND seq > 0 ORDER BY seq LIMIT 100";
    private const string ImportSql =
        "INSERT INTO accounts (branch, account, currency, overdraft) SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING";

    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        string connection = app.Configuration["Postgres:ConnectionString"]
            ?? throw new InvalidOperationException("Set Postgres:ConnectionString (e.g. --Postgres:ConnectionString=\"Host=127.0.0.1;Port=55432;Username=postgres\").");
        var csb = new NpgsqlConnectionStringBuilder(connection)
        {
            MaxPoolSize = app.Configuration.GetValue("Postgres:PoolSize", 64),
            MaxAutoPrepare = 16,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
        };
        var data = NpgsqlDataSource.Create(csb.ConnectionString);
        await CreateSchemaAsync(data);

        app.MapPost("/connect/token", BaselineAnswers.TokenAsync);
        app.MapPost("/v1/accounts", async http =>
        {
            var body = await BaselineAnswers.ReadAsync(http, BaselineJsonContext.Default.OpenAccountBody);
            if (body is null) return;
            int opened = await ImportAsync(data, [body]);
            if (opened == 0)
            {
                await BaselineAnswers.ProblemAsync(http, 409, "account-exists", $"Account {body.Branch}/{body.Account} already exists.");
                return;
            }
            http.Response.StatusCode = 201;
            await BaselineAnswers.BalancesAsync(http, body.Branch ?? 0, body.Account ?? 0, 0, 0, body.Currency ?? "USD");
        });
        app.MapPost("/v1/accounts/import", async http =>
        {
            List<OpenAccountBody> accounts;
            try
            {
                accounts = await BaselineAnswers.ReadImportAsync(http);
            }
            catch (FormatException ex)
            {
                await BaselineAnswers.ProblemAsync(http, 400, "validation", ex.Message);
                return;
            }
            int opened = await ImportAsync(data, accounts);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $"{{\"lines\":{accounts.Count},\"opened\":{opened},\"alreadyOpen\":{accounts.Count - opened}}}"));
        });
        app.MapPost("/v1/accounts/{branch:int}/{account:long}/batches", (HttpContext http, int branch, long account) => PostBatchAsync(http, data, branch, account));
        app.MapPost("/v1/transaction-bundles", http =>
            BaselineAnswers.ProblemAsync(http, 501, "not-implemented", "Transaction bundles are not part of the PostgreSQL baseline."));
        app.MapGet("/v1/accounts/{branch:int}/{account:long}/balances", async (HttpContext http, int branch, long account) =>
        {
            await using var cmd = data.CreateCommand(BalancesSql);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = branch });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = account });
            await using var reader = await cmd.ExecuteReaderAsync(http.RequestAborted);
            if (!await reader.ReadAsync(http.RequestAborted))
            {
                await BaselineAnswers.ProblemAsync(http, 404, "account-not-found", $"Account {branch}/{account} does not exist.");
                return;
            }
            await BaselineAnswers.BalancesAsync(http, branch, account, reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
        });
        app.MapGet("/v1/entries", async (HttpContext http, int branch, long account) =>
        {
            await using var cmd = data.CreateCommand(StatementSql);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = branch });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = account });
            await using var reader = await cmd.ExecuteReaderAsync(http.RequestAborted);
            var answers = new List<EntryAnswer>();
            while (await reader.ReadAsync(http.RequestAborted))
            {
                answers.Add(new EntryAnswer(reader.GetString(0), reader.GetInt32(1), reader.GetString(4), reader.GetInt64(5), reader.GetInt64(2), reader.GetString(3)));
            }
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 + answers.Count * 160);
            using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("entries");
                foreach (var e in answers) BaselineAnswers.WriteEntry(w, e);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
        });
        app.Lifetime.ApplicationStopped.Register(data.Dispose);
        return app;
    }

    private static async Task CreateSchemaAsync(NpgsqlDataSource data)
    {
        await using var stream = typeof(PostgresApp).Assembly.GetManifestResourceStream("schema.sql")
            ?? throw new InvalidOperationException("schema.sql is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        await using var cmd = data.CreateCommand(await reader.ReadToEndAsync());
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<int> ImportAsync(NpgsqlDataSource data, List<OpenAccountBody> accounts)
    {
        await using var cmd = data.CreateCommand(ImportSql);
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = accounts.Select(a => a.Branch ?? 0).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = accounts.Select(a => a.Account ?? 0).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = accounts.Select(a => a.Currency ?? "USD").ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = accounts.Select(a => a.OverdraftLimit ?? 0).ToArray() });
        return await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Checks the batch's shape (400 before the database), then one <c>post_batch</c> call and its answer.</summary>
    private static async Task PostBatchAsync(HttpContext http, NpgsqlDataSource data, int branch, long account)
    {
        var body = await BaselineAnswers.ReadAsync(http, BaselineJsonContext.Default.BatchRequest);
        if (body is null) return;
        var entries = body.Entries;
        if (entries is null || entries.Count is 0 or > 1_000)
        {
            await BaselineAnswers.ProblemAsync(http, 400, "validation", "entries must hold 1 to 1000 entries.");
            return;
        }
        int n = entries.Count;
        var kinds = new string[n];
        var cids = new string[n];
        var types = new int[n];
        var amounts = new long[n];
        var currencies = new string?[n];
        var refs = new string?[n];
        var payloads = new string[n];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            var e = entries[i];
            string? problem = e.EntryKind switch
            {
                null => "entryKind is required.",
                "ledger" or "blocking" when e.EntryType is null || e.Amount?.Value is not > 0 || e.Amount.Currency is null =>
                    "ledger and blocking entries need entryType and a positive amount with its currency.",
                "unblocking" when e.Unblocks is null => "unblocking needs unblocks.",
                "reversal" when e.Reverses is null => "reversal needs reverses.",
                "ledger" or "blocking" or "unblocking" or "reversal" => null,
                _ => $"entryKind '{e.EntryKind}' is not in this baseline.",
            };
            if (problem is null && (e.CorrelationId is not { Length: > 0 and <= 64 } || !seen.Add(e.CorrelationId)))
            {
                problem = "correlationId is required, 1-64 characters, unique in the batch.";
            }
            if (problem is not null)
            {
                await BaselineAnswers.ProblemAsync(http, 400, "validation", problem, i);
                return;
            }
            kinds[i] = e.EntryKind!;
            cids[i] = e.CorrelationId!;
            types[i] = e.EntryType ?? 0;
            amounts[i] = e.Amount?.Value ?? 0;
            currencies[i] = e.Amount?.Currency;
            refs[i] = e.Unblocks ?? e.Reverses;
            payloads[i] = string.Create(CultureInfo.InvariantCulture, $"{kinds[i]}|{types[i]}|{amounts[i]}|{currencies[i]}|{refs[i]}");
        }

        await using var cmd = data.CreateCommand(PostBatchSql);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = branch });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = account });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = cids });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = types });
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = amounts });
        cmd.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = currencies });
        cmd.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = refs });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads });
        await using var reader = await cmd.ExecuteReaderAsync(http.RequestAborted);
        await reader.ReadAsync(http.RequestAborted);
        int status = reader.GetInt32(0);
        if (status != 201)
        {
            string problemType = reader.GetString(8);
            int? index = reader.IsDBNull(9) ? null : reader.GetInt32(9);
            await BaselineAnswers.ProblemAsync(http, status, problemType, reader.IsDBNull(10) ? problemType : reader.GetString(10), index);
            return;
        }
        var seqs = reader.GetFieldValue<long[]>(1);
        var statuses = reader.GetFieldValue<string[]>(2);
        var outTypes = reader.GetFieldValue<int[]>(3);
        var outAmounts = reader.GetFieldValue<long[]>(4);
        long available = reader.GetInt64(5), held = reader.GetInt64(6);
        string currency = reader.GetString(7);
        var answers = new EntryAnswer[n];
        for (int i = 0; i < n; i++) answers[i] = new EntryAnswer(cids[i], outTypes[i], statuses[i], seqs[i], outAmounts[i], currency);
        await BaselineAnswers.BatchCreatedAsync(http, answers, available, held, currency);
    }
}
