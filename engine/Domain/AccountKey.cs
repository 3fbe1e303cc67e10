namespace Ledger.Engine.Domain;

/// <summary>An account's identity: branch + account number, packed into one long for hashing and storage.</summary>
public readonly record struct AccountKey(int Branch, long Number)
{
    /// <summary>Branch in the top bits, account number (&lt; 2^40) in the low 40 bits.</summary>
    public long Packed => ((long)Branch << 40) | Number;

    public static AccountKey FromPacked(long packed) => new((int)(packed >> 40), packed & ((1L << 40) - 1));

    public bool IsValid => Branch is >= 0 and <= Limits.BranchMax && Number is >= 0 and <= Limits.AccountNumberMax;

    public override string ToString() => $"{Branch}/{Number}";
}
