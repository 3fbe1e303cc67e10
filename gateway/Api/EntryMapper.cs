using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.ReadSide;

namespace Ledger.Gateway.Api;

/// <summary>
/// Checks one entry of a request against docs/contract.md sections 1–3 and Limits, and writes it into the command's slot.
/// Which fields each kind takes: ledger/blocking need entryType and amount (blocking may add expiresAt);
/// unblocking needs unblocks (amount optional: the part to release); reversal needs reverses; removal needs removes.
/// Follow-ups may also send entryType and amount (currency, and for reversal/removal value) as integrators do on every
/// entry: the engine checks each agrees with the referenced entry (422 reference-mismatch otherwise). A field a kind
/// does not take at all (expiresAt on a reversal, unblocks on a ledger entry) is refused rather than ignored.
/// </summary>
internal static class EntryMapper
{
    /// <summary>Returns null when the entry is valid (and written into <paramref name="into"/>), else what is wrong with it.</summary>
    public static string? TryMap(in EntryFields fields, AccountKey account, int leg, int index, ref EntryRequest into)
    {
        string? error = Map(in fields, account, ref into);
        // The location is spelled out only when there is something to say (no string per entry on the happy path).
        return error is null ? null : Where(leg, index) + error;
    }

    /// <summary>JSON path of an entry: <c>entries[3]</c>, or <c>legs[1].entries[3]</c> in a bundle.</summary>
    public static string Where(int leg, int index) => leg < 0 ? $"entries[{index}]" : $"legs[{leg}].entries[{index}]";

    private static string? Map(in EntryFields body, AccountKey account, ref EntryRequest into)
    {
        var kind = body.Kind;
        if (kind == 0)
        {
            return body.KindText is null
                ? ".entryKind is required: ledger, blocking, unblocking, reversal or removal."
                : $".entryKind '{Edge.Shorten(body.KindText)}' is not one of ledger, blocking, unblocking, reversal, removal.";
        }
        if (body.CorrelationId is null) return ".correlationId is required.";
        if (!LedgerEngine.IsValidKey(body.CorrelationId))
        {
            return $".correlationId must be 1..{Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-].";
        }
        if (body.Description is { Length: > Limits.DescriptionLengthMax })
        {
            return $".description is longer than {Limits.DescriptionLengthMax} characters.";
        }

        into = default;
        into.Account = account;
        into.Kind = kind;
        into.CorrelationId = body.CorrelationId;
        into.Description = body.Description;
        into.EntryType = EntryRequest.NoEntryType;

        string? reference = kind switch
        {
            EntryKind.Reversal => body.Reverses,
            EntryKind.Unblocking => body.Unblocks,
            EntryKind.Removal => body.Removes,
            _ => null,
        };
        string? misplaced = Misplaced(in body, kind);
        if (misplaced is not null) return $".{misplaced} does not apply to a {WireNames.Kind(kind)} entry; leave it out.";

        switch (kind)
        {
            case EntryKind.Ledger:
            case EntryKind.Blocking:
                // Any integer: one the catalog does not define is the ledger's decline (422 unknown-history-code, sticky), not a 400.
                if (body.EntryType is not { } type) return $".entryType is required for a {WireNames.Kind(kind)} entry.";
                into.EntryType = type;
                if (!body.HasAmount) return $".amount is required for a {WireNames.Kind(kind)} entry.";
                if (CheckAmount(in body, requireCurrency: true, ref into) is { } amountError) return amountError;
                if (body.ExpiresAt is not null)
                {
                    if (!WireTime.TryParseInstant(body.ExpiresAt, endOfDay: false, out long expires) || body.ExpiresAt.Length == 10)
                    {
                        return ".expiresAt must be an ISO-8601 instant such as 2026-06-21T18:00:00Z.";
                    }
                    into.ExpiresAtTicks = expires;
                }
                return null;
            case EntryKind.Unblocking:
                if (reference is null) return ".unblocks is required: the correlationId of the PENDING hold to release.";
                if (!LedgerEngine.IsValidKey(reference)) return ".unblocks is not a valid correlationId.";
                break;
            case EntryKind.Reversal:
                if (reference is null) return ".reverses is required: the correlationId of the POSTED entry to reverse.";
                if (!LedgerEngine.IsValidKey(reference)) return ".reverses is not a valid correlationId.";
                break;
            default: // removal
                if (reference is null) return ".removes is required: the correlationId of the PENDING hold to remove.";
                if (!LedgerEngine.IsValidKey(reference)) return ".removes is not a valid correlationId.";
                break;
        }
        into.Reference = reference;
        // A given entryType is a check against the referenced entry's; a negative one can never agree (NoEntryType means absent).
        if (body.EntryType is { } check) into.EntryType = check >= 0 ? check : int.MinValue;
        return body.HasAmount ? CheckFollowUpAmount(in body, ref into) : null;
    }

    /// <summary>A follow-up's amount: currency alone (a check), or a value too (an unblocking's part to release; a reversal's or removal's check).</summary>
    private static string? CheckFollowUpAmount(in EntryFields amount, ref EntryRequest into)
    {
        if (amount.Value is null)
        {
            if (amount.CurrencyText is null && amount.Currency.IsNone) return ".amount needs a value or a currency.";
            if (amount.Currency.IsNone) return ".amount.currency " + Edge.CurrencyProblemText(amount.CurrencyText);
            into.Currency = amount.Currency;
            return null;
        }
        return CheckAmount(in amount, requireCurrency: false, ref into);
    }

    private static string? CheckAmount(in EntryFields amount, bool requireCurrency, ref EntryRequest into)
    {
        if (amount.Value is not { } value) return ".amount.value is required.";
        if (value <= 0) return ".amount.value must be a positive whole number of minor units (the history code gives the direction).";
        if (amount.CurrencyText is null && amount.Currency.IsNone)
        {
            if (requireCurrency || amount.Scale is not null) return ".amount.currency is required.";
        }
        else
        {
            var currency = amount.Currency;
            if (currency.IsNone)
            {
                return ".amount.currency " + Edge.CurrencyProblemText(amount.CurrencyText);
            }
            if (amount.Scale is { } scale && scale != currency.Scale)
            {
                return $".amount.scale {scale} is wrong: {Answers.CurrencyName(currency)} has {currency.Scale} minor-unit digits, and value is in minor units.";
            }
            into.Currency = currency;
        }
        into.HasAmount = true;
        into.AmountMinor = value;
        return null;
    }

    private static string? Misplaced(in EntryFields body, EntryKind kind)
    {
        if (kind != EntryKind.Blocking && body.ExpiresAt is not null) return "expiresAt";
        if (kind != EntryKind.Reversal && body.Reverses is not null) return "reverses";
        if (kind != EntryKind.Unblocking && body.Unblocks is not null) return "unblocks";
        if (kind != EntryKind.Removal && body.Removes is not null) return "removes";
        return null;
    }

    /// <summary>The JSON name of the reference field of a kind.</summary>
    public static string ReferenceField(EntryKind kind) => kind switch
    {
        EntryKind.Reversal => "reverses",
        EntryKind.Unblocking => "unblocks",
        EntryKind.Removal => "removes",
        _ => "reference",
    };
}
