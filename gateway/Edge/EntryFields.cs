using Ledger.Engine.Domain;

namespace Ledger.Gateway.Edge;

/// <summary>
/// One entry as read from a request, before validation: what <see cref="EntryMapper"/> judges. Filled by the
/// streaming readers of batches and bundles (<see cref="BatchJsonReader.ReadEntry"/>), no intermediate objects.
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
}
