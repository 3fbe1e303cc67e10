using System.Buffers;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Api;

/// <summary>A bundle as read, before validation (null: absent or JSON null). Entries are read as a batch's are.</summary>
internal sealed class BundleBody
{
    public string? BundleId;
    public List<BundleLegBody?>? Legs;
}

internal sealed class BundleLegBody
{
    public int? Branch;
    public long? Account;
    public List<EntryFields>? Entries;
}

/// <summary>
/// Reads <c>{"bundleId","legs":[{"branch","account","entries":[…]}]}</c> with the batch reader's strictness: each
/// entry through <see cref="BatchJsonReader.ReadEntry"/>, unknown or duplicate members and wrong types 400
/// <c>malformed-json</c>. What it reads is judged afterwards (BundlesApi, <see cref="EntryMapper"/>), because a
/// leg's account may follow its entries in the JSON.
/// </summary>
internal static class BundleJsonReader
{
    private const int IdBit = 1, LegsBit = 2, BranchBit = 4, AccountBit = 8, EntriesBit = 16;

    public static ProblemResult? Read(in ReadOnlySequence<byte> json, out BundleBody body)
    {
        body = new BundleBody();
        var reader = new Utf8JsonReader(json, BatchJsonReader.Options);
        try
        {
            if (!reader.Read()) return BatchJsonReader.Malformed("The body is empty; send {\"bundleId\":…,\"legs\":[…]}.");
            if (reader.TokenType == JsonTokenType.Null) return BatchJsonReader.Malformed("The body is JSON null; send an object.");
            if (reader.TokenType != JsonTokenType.StartObject) return BatchJsonReader.WrongType("$");
            int seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int bit = reader.ValueTextEquals("bundleId"u8) ? IdBit : reader.ValueTextEquals("legs"u8) ? LegsBit : 0;
                if (bit == 0) return BatchJsonReader.Unknown(ref reader, "$");
                if ((seen & bit) != 0) return BatchJsonReader.Malformed($"Duplicate member at $.{(bit == IdBit ? "bundleId" : "legs")}.");
                seen |= bit;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                if (bit == IdBit)
                {
                    if (reader.TokenType != JsonTokenType.String) return BatchJsonReader.WrongType("$.bundleId");
                    body.BundleId = reader.GetString();
                    continue;
                }
                if (reader.TokenType != JsonTokenType.StartArray) return BatchJsonReader.WrongType("$.legs");
                body.Legs = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    int l = body.Legs.Count;
                    if (l == Limits.LegsPerBundleMax) return Problem.Validation($"legs has more than {Limits.LegsPerBundleMax} legs; a bundle takes at most {Limits.LegsPerBundleMax}.");
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        body.Legs.Add(null);
                        continue;
                    }
                    if (reader.TokenType != JsonTokenType.StartObject) return BatchJsonReader.WrongType($"$.legs[{l}]");
                    var leg = new BundleLegBody();
                    if (ReadLeg(ref reader, l, leg) is { } problem) return problem;
                    body.Legs.Add(leg);
                }
            }
            if (reader.Read()) return BatchJsonReader.Malformed("The body has content after its JSON object.");
            return null;
        }
        catch (JsonException ex)
        {
            return BatchJsonReader.NotJson(ex);
        }
        catch (InvalidOperationException)
        {
            return BatchJsonReader.InvalidString(reader.BytesConsumed);
        }
    }

    private static ProblemResult? ReadLeg(ref Utf8JsonReader reader, int l, BundleLegBody leg)
    {
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int bit = reader.ValueTextEquals("branch"u8) ? BranchBit
                : reader.ValueTextEquals("account"u8) ? AccountBit
                : reader.ValueTextEquals("entries"u8) ? EntriesBit
                : 0;
            if (bit == 0) return BatchJsonReader.Unknown(ref reader, $"$.legs[{l}]");
            if ((seen & bit) != 0) return BatchJsonReader.Malformed($"Duplicate member at $.legs[{l}].");
            seen |= bit;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            switch (bit)
            {
                case BranchBit:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int branch)) return BatchJsonReader.NotAnInteger(ref reader, $"$.legs[{l}].branch", 32);
                    leg.Branch = branch;
                    break;
                case AccountBit:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long account)) return BatchJsonReader.NotAnInteger(ref reader, $"$.legs[{l}].account", 64);
                    leg.Account = account;
                    break;
                default:
                    if (reader.TokenType != JsonTokenType.StartArray) return BatchJsonReader.WrongType($"$.legs[{l}].entries");
                    leg.Entries = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        int i = leg.Entries.Count;
                        if (i == Limits.EntriesPerBundleMax) return Problem.Validation($"legs[{l}].entries has more than {Limits.EntriesPerBundleMax} entries; a bundle takes at most {Limits.EntriesPerBundleMax}.", legIndex: l);
                        if (reader.TokenType == JsonTokenType.Null) return Problem.Validation($"legs[{l}].entries[{i}] is null; send an entry object.", i, l);
                        if (reader.TokenType != JsonTokenType.StartObject) return BatchJsonReader.WrongType($"$.legs[{l}].entries[{i}]");
                        var fields = new EntryFields();
                        if (BatchJsonReader.ReadEntry(ref reader, l, i, ref fields) is { } problem) return problem;
                        leg.Entries.Add(fields);
                    }
                    break;
            }
        }
        return null;
    }
}
