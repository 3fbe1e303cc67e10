using Ledger.Engine.Domain;

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
        EntryMapper.TryParseKind(body.EntryKind, out f.Kind);
        if (body.Amount is { } amount)
        {
            f.HasAmount = true;
            f.Value = amount.Value;
            f.Scale = amount.Scale;
            f.CurrencyText = amount.Currency;
            if (amount.Currency is not null) CurrencyCode.TryParse(amount.Currency, out f.Currency);
        }
        return f;
    }
}
