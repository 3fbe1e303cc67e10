using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Ledger.Gateway.Api;

/// <summary><c>POST /v1/accounts</c>, <c>GET /v1/accounts/{branch}/{account}</c> and the bulk import <c>POST /v1/accounts/import</c>.</summary>
public static class AccountsApi
{

    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app, bool writes = true)
    {
        var group = app.MapGroup("/v1/accounts").WithTags("Accounts");

        if (writes)
        {
            group.MapPost("", OpenAccount)
            .WithName("OpenAccount")
            .WithSummary("Opens an account in one currency, with an optional overdraft limit.")
            .Accepts<OpenAccountRequest>("application/json")
            .ProducesProblems(400, 401, 403, 409, 413, 415, 429, 503)
            .RequireAuthorization(Policies.Admin);
        }

        group.MapGet("/{branch}/{account}", GetAccount)
            .WithName("GetAccount")
            .WithSummary("Reads an account: currency, overdraft limit, opening time and balances.")
            .ProducesProblems(400, 401, 403, 404, 429, 503)
            .WithMinSequenceHeader()
            .RequireAuthorization(Policies.ReadOrAdmin);

        if (!writes) return app;
        group.MapPost("/import", ImportAccounts)
            .WithName("ImportAccounts")
            .WithSummary("Opens many accounts from NDJSON (application/x-ndjson) or CSV (text/csv: branch,account,currency,overdraftLimit).")
            .WithDescription("For load tests and digital-twin seeding. Every line is checked before anything is opened; accounts already open " +
                             "with the same currency and overdraft count as alreadyOpen, so a seed can be re-run. Applied in journaled chunks.")
            .Accepts<OpenAccountRequest>("application/x-ndjson", "text/csv")
            .ProducesProblems(400, 401, 403, 409, 413, 415, 429, 503)
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    internal static async Task<Results<Created<AccountResponse>, ProblemResult>> OpenAccount(HttpContext http, LedgerRuntime runtime)
    {
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (HttpEdge.NotReady(runtime) is { } notReady) return notReady;
        var (body, bodyProblem) = await HttpEdge.ReadJsonAsync(http, GatewayJsonContext.Default.OpenAccountRequest);
        if (bodyProblem is not null) return bodyProblem;
        if (Opening(body!, out var opening) is { } error) return Problem.Validation(error);

        var command = runtime.Pool.Rent();
        try
        {
            command.SetOpenAccounts(1);
            command.Openings[0] = opening;
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return submitProblem;
            if (!command.Result.IsOk) return Problem.From(Declines.Opening(command));
            string currency = CurrencyNames.Of(opening.Currency);
            var answer = new AccountResponse(opening.Account.Branch, opening.Account.Number, currency, opening.OverdraftLimitMinor,
                WireTime.Utc(command.EntryResults[0].TimestampTicks), Answers.Balances(default, currency));
            return TypedResults.Created($"/v1/accounts/{opening.Account.Branch}/{opening.Account.Number}", answer);
        }
        finally
        {
            runtime.Pool.Return(command);
        }
    }

    internal static async Task<Results<Ok<AccountResponse>, ProblemResult>> GetAccount(string branch, string account, HttpContext http, LedgerRuntime runtime)
    {
        if (!HttpEdge.TryParseAccount(branch, account, out var key, out var pathProblem)) return pathProblem!;
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (await HttpEdge.ReadYourWritesAsync(runtime, http, key) is { } notReady) return notReady;
        if (!runtime.Reads!.TryGetAccount(key, out var view)) return Problem.Of(ProblemTypes.AccountNotFound, $"Account {key} does not exist.");
        string currency = CurrencyNames.Of(view.Currency);
        return TypedResults.Ok(new AccountResponse(key.Branch, key.Number, currency, view.OverdraftLimitMinor, new DateTime(view.OpenedAtTicks, DateTimeKind.Utc),
            Answers.Balances(view.Balances, currency)));
    }

    private static string? Opening(OpenAccountRequest body, out AccountOpening opening) =>
        AccountChecks.Opening(body.Branch, body.Account, body.Currency, body.OverdraftLimit, out opening);

    // ---------------- bulk import ----------------

    internal static async Task<Results<Ok<AccountImportResponse>, ProblemResult>> ImportAccounts(
        HttpContext http, LedgerRuntime runtime, IOptions<LedgerOptions> options)
    {
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (await HttpEdge.ReadYourWritesAsync(runtime, http) is { } notReady) return notReady; // it looks up accounts already open
        var settings = options.Value.Import;
        string? mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        bool csv;
        if (string.Equals(mediaType, "application/x-ndjson", StringComparison.OrdinalIgnoreCase)) csv = false;
        else if (string.Equals(mediaType, "text/csv", StringComparison.OrdinalIgnoreCase)) csv = true;
        else return Problem.Of(ProblemTypes.UnsupportedMediaType, $"Send application/x-ndjson or text/csv (got '{http.Request.ContentType ?? "no content type"}').");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature) sizeFeature.MaxRequestBodySize = settings.BodyBytesMax;

        var openings = new List<AccountOpening>();
        var seen = new HashSet<long>();
        int lineNumber = 0;
        int alreadyOpen = 0;
        try
        {
            var reader = http.Request.BodyReader;
            string? refusal = null;
            while (refusal is null)
            {
                var read = await reader.ReadAsync(http.RequestAborted);
                var buffer = read.Buffer;
                while (refusal is null && TryTakeLine(ref buffer, read.IsCompleted, out var line))
                {
                    lineNumber++;
                    if (line.Length > Limits.ImportLineBytesMax)
                    {
                        refusal = LineTooLong(lineNumber);
                        break;
                    }
                    var text = Encoding.UTF8.GetString(line).Trim();
                    if (text.Length == 0 || (csv && lineNumber == 1 && text.StartsWith("branch", StringComparison.OrdinalIgnoreCase))) continue;
                    string? error = csv ? ParseCsv(text, out var request) : ParseJson(text, out request);
                    error ??= Opening(request!, out var opening) ?? Admit(opening);
                    if (error is not null) refusal = $"Line {lineNumber}: {error}";
                }
                // Always hand the buffer back, even when refusing: the pipe must not be left mid-read.
                // A line without its end yet: refused once it is longer than a line may be, not buffered to the body's limit.
                if (refusal is null && buffer.Length > Limits.ImportLineBytesMax) refusal = LineTooLong(lineNumber + 1);
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted) break;
            }
            if (refusal is not null) return Problem.Validation(refusal);
            if (openings.Count == 0 && alreadyOpen == 0) return Problem.Validation("The body names no accounts (a CSV header alone, or only blank lines).");

            static string LineTooLong(int number) => $"Line {number} is longer than {Limits.ImportLineBytesMax} bytes.";

            string? Admit(AccountOpening opening)
            {
                if (!seen.Add(opening.Account.Packed)) return $"account {opening.Account} appears twice in the file.";
                if (runtime.Reads is { } reads && reads.TryGetAccount(opening.Account, out var existing))
                {
                    if (existing.Currency != opening.Currency || existing.OverdraftLimitMinor != opening.OverdraftLimitMinor)
                    {
                        return $"account {opening.Account} is already open with another currency or overdraft limit.";
                    }
                    alreadyOpen++;
                    return null;
                }
                if (openings.Count >= Limits.AccountsPerImportMax) return $"an import opens at most {Limits.AccountsPerImportMax} accounts.";
                openings.Add(opening);
                return null;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return HttpEdge.PayloadTooLarge(http);
        }

        int opened = 0;
        int chunkSize = Math.Max(1, settings.ChunkSize);
        for (int start = 0; start < openings.Count; start += chunkSize)
        {
            int count = Math.Min(chunkSize, openings.Count - start);
            var outcome = await OpenChunkAsync(runtime, openings, start, count);
            if (outcome.Problem is not null) return outcome.Problem;
            opened += outcome.Opened;
            alreadyOpen += count - outcome.Opened;
        }
        return TypedResults.Ok(new AccountImportResponse(lineNumber, opened, alreadyOpen));
    }

    /// <summary>Opens one chunk; accounts another request opened meanwhile are left out and the rest retried.</summary>
    private static async Task<(int Opened, ProblemResult? Problem)> OpenChunkAsync(LedgerRuntime runtime, List<AccountOpening> openings, int start, int count)
    {
        var command = new LedgerCommand(); // not pooled: a chunk's arrays are large
        var pending = openings.GetRange(start, count);
        while (pending.Count > 0)
        {
            command.Reset();
            command.SetOpenAccounts(pending.Count);
            pending.CopyTo(command.Openings);
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return (0, submitProblem);
            if (command.Result.IsOk) return (pending.Count, null);
            if (command.Result.Code != ResultCode.AccountExists)
            {
                return (0, Problem.Of(ProblemTypes.Of(command.Result.Code), $"The import was refused: {ProblemTypes.Of(command.Result.Code).Title}."));
            }
            // Opened concurrently by a command acknowledged before this one: once the read model holds it, drop and retry.
            if (!await runtime.WaitForReadsAsync(CancellationToken.None)) return (0, Problem.Of(ProblemTypes.ReadSideBehind, "The import could not see the accounts opened concurrently; retry it."));
            pending.RemoveAll(o => runtime.Reads?.TryGetAccount(o.Account, out _) == true);
        }
        return (0, null);
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, bool completed, out ReadOnlySequence<byte> line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is { } end)
        {
            line = buffer.Slice(0, end);
            buffer = buffer.Slice(buffer.GetPosition(1, end));
            return true;
        }
        if (completed && buffer.Length > 0)
        {
            line = buffer;
            buffer = buffer.Slice(buffer.End);
            return true;
        }
        line = default;
        return false;
    }

    private static string? ParseJson(string text, out OpenAccountRequest? request)
    {
        request = null;
        try
        {
            request = JsonSerializer.Deserialize(text, GatewayJsonContext.Default.OpenAccountRequest);
            return request is null ? "null is not an account." : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) // the latter: a lone surrogate escape
        {
            return "not a JSON object of branch, account, currency, overdraftLimit (integers as JSON numbers).";
        }
    }

    private static string? ParseCsv(string text, out OpenAccountRequest? request)
    {
        request = null;
        var fields = text.Split(',');
        if (fields.Length is < 3 or > 4) return "a CSV line is branch,account,currency[,overdraftLimit].";
        if (!int.TryParse(fields[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int branch)) return "branch is not a whole number.";
        if (!long.TryParse(fields[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long account)) return "account is not a whole number.";
        long overdraft = 0;
        if (fields.Length == 4 && fields[3].Trim().Length > 0 &&
            !long.TryParse(fields[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out overdraft))
        {
            return "overdraftLimit is not a whole number.";
        }
        request = new OpenAccountRequest { Branch = branch, Account = account, Currency = fields[2].Trim(), OverdraftLimit = overdraft };
        return null;
    }
}
