using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Edge;

/// <summary>
/// Why a command is refused at the edge or was declined by the ledger, in no transport's terms: the kind (status,
/// type, title), a detail sentence, and where in the request it applies (the entry and leg; for a rule, the rule; for
/// an idempotency conflict, the differing fields). Each door maps it: REST to a Problem response
/// (<c>Problem.From</c>), Kafka to the problem of its result record.
/// Usage: <c>if (AccountChecks.Opening(...) is { } refusal) return Problem.From(refusal);</c>
/// </summary>
/// <param name="Decided">The ledger's decision on a command (a decline): idempotency replays it byte for byte.</param>
internal readonly record struct Refusal(ProblemKind Kind, string Detail, int? EntryIndex = null, int? LegIndex = null, string? Rule = null,
    string[]? ConflictingFields = null, bool Decided = false)
{
    /// <summary>A 400 <c>validation</c> refusal.</summary>
    public static Refusal Invalid(string detail, int? entryIndex = null, int? legIndex = null) =>
        new(ProblemTypes.Validation, detail, entryIndex, legIndex);

    /// <summary>The ledger's decline of a command (sticky, replayed the same).</summary>
    public static Refusal Decline(ProblemKind kind, string detail, int? entryIndex = null, int? legIndex = null, string? rule = null,
        string[]? conflictingFields = null) =>
        new(kind, detail, entryIndex, legIndex, rule, conflictingFields, Decided: true);

    /// <summary>The Problem body of this refusal (the same for every door).</summary>
    public ProblemResponse ToProblem() => new()
    {
        Type = Kind.Type,
        Title = Kind.Title,
        Status = Kind.Status,
        Detail = Detail,
        EntryIndex = EntryIndex,
        LegIndex = LegIndex,
        Rule = Rule,
        ConflictingFields = ConflictingFields,
    };

    /// <summary>A text sent by a partner, cut to 40 characters for quoting in a detail.</summary>
    public static string Quote(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>
    /// Why a currency text was refused, after the field's name: not three upper-case letters, or three that are not an
    /// ISO-4217 code this ledger knows (<c>XYZ</c>).
    /// </summary>
    public static string CurrencyText(string? text)
    {
        text ??= "";
        bool shaped = text.Length == 3 && text.All(static c => c is >= 'A' and <= 'Z');
        return shaped
            ? $"'{text}' is not an ISO-4217 currency code this ledger knows (e.g. USD, EUR, JPY)."
            : $"'{Quote(text)}' is not an ISO-4217 code (three upper-case letters, e.g. USD).";
    }
}
