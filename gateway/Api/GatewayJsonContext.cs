using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Api;

/// <summary>
/// Source-generated JSON for every request and response type (no reflection). Strict on input: unknown members,
/// duplicate members, numbers in strings and comments are refused, so a typo is a 400 rather than a silent default.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(EntryBatchRequest))]
[JsonSerializable(typeof(TransactionBundleRequest))]
[JsonSerializable(typeof(OpenAccountRequest))]
[JsonSerializable(typeof(EntryBatchGroupResponse))]
[JsonSerializable(typeof(TransactionBundleResponse))]
[JsonSerializable(typeof(AccountBalancesResponse))]
[JsonSerializable(typeof(AccountResponse))]
[JsonSerializable(typeof(AccountImportResponse))]
[JsonSerializable(typeof(StatementResponse))]
[JsonSerializable(typeof(HistoryCodesResponse))]
[JsonSerializable(typeof(SimulationRequest))]
[JsonSerializable(typeof(SimulationResponse))]
[JsonSerializable(typeof(ProblemResponse))]
public sealed partial class GatewayJsonContext : JsonSerializerContext;

/// <summary>Serializer settings for responses, built on <see cref="GatewayJsonContext"/>.</summary>
public static class GatewayJson
{
    /// <summary>
    /// Options for writing responses: the context's, with relaxed escaping so details read "it's" rather than
    /// "it\u0027s" (bodies are application/json, never embedded in HTML).
    /// </summary>
    public static readonly JsonSerializerOptions Relaxed = new(GatewayJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The Problem type info under <see cref="Relaxed"/>.</summary>
    public static readonly JsonTypeInfo<ProblemResponse> Problem = (JsonTypeInfo<ProblemResponse>)Relaxed.GetTypeInfo(typeof(ProblemResponse));
}
