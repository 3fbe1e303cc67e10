using Ledger.Engine.Domain;
using Ledger.ReadSide;

namespace Ledger.Gateway.Api;

/// <summary>
/// One entry as read from a request, before validation: what <see cref="EntryMapper"/> judges. Filled by the
/// streaming batch reader (no intermediate objects) or from an <see cref="EntryRequestBody"/> (bundles).
/// Null / unset means the member was absent or JSON null.
/// </summary>
internal struct EntryFields
{
    /// <summary>0 when absent or not one of the five kinds (then <see cref="KindText"/> says what was sent, if anything).</summary>
    public EntryKind Kind;
    public string? KindText;
    public string? CorrelationId;
    public string? Description;
    public int? EntryType;
    public bool HasAmount;
    public long? Value;
    /// <summary>Parsed currency; None when absent or unknown (then <see cref="CurrencyText"/> holds what was sent).</summary>
    public CurrencyCode Currency;
    public string? CurrencyText;
    public int? Scale;
    public string? Reverses;
    public string? Unblocks;
    public string? Removes;
    public string? ExpiresAt;

    public static EntryFields From(EntryRequestBody body)
    {
        var f = new EntryFields
        {
            KindText = body.EntryKind,
            CorrelationId = body.CorrelationId,
            Description = body.Description,
            EntryType = body.EntryType,
            Reverses = body.Reverses,
            Unblocks = body.Unblocks,
            Removes = body.Removes,
            ExpiresAt = body.ExpiresAt,
        };
        // An unknown kind or currency stays unset here; EntryMapper refuses it, quoting KindText / CurrencyText.
        f.Kind = WireNames.TryParseKind(body.EntryKind, out var kind) ? kind : default;
        if (body.Amount is { } amount)
        {
            f.HasAmount = true;
            f.Value = amount.Value;
            f.Scale = amount.Scale;
            f.CurrencyText = amount.Currency;
            f.Currency = amount.Currency is not null && CurrencyCode.TryParse(amount.Currency, out var currency) ? currency : CurrencyCode.None;
        }
        return f;
    }
}
