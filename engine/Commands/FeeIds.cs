namespace Ledger.Engine.Commands;

/// <summary>
/// The derived correlation id of a fee entry: the entry's own id followed by <see cref="Suffix"/> (<c>abc</c> →
/// <c>abc:fee</c>). A reversal's fee entry (the one that reverses the original's fee) is derived from the reversal's id.
/// The prefetch stage derives the strings (<see cref="LedgerCommand.DeriveLedgerFeeIds"/>,
/// <see cref="LedgerCommand.DeriveReversalFeeIds"/>) so the engine allocates none; the engine and the prefetch derive the
/// key bytes themselves.
/// </summary>
public static class FeeIds
{
    public const string Suffix = ":fee";
    /// <summary>":fee" as the ASCII bytes a key ends with.</summary>
    public static ReadOnlySpan<byte> SuffixBytes => ":fee"u8;
    /// <summary>The longest correlation id of an entry that carries a fee: its fee's id must fit <see cref="Limits.CorrelationIdLengthMax"/>.</summary>
    public const int CarrierIdLengthMax = Limits.CorrelationIdLengthMax - 4;

    /// <summary>The fee id of <paramref name="correlationId"/>.</summary>
    public static string Of(string correlationId) => correlationId + Suffix;

    /// <summary>Whether an entry of this kind can carry a fee entry: a ledger posting (its fee), a reversal (reversing the original's fee).</summary>
    public static bool MayCarry(Domain.EntryKind kind) => kind is Domain.EntryKind.Ledger or Domain.EntryKind.Reversal;
}
