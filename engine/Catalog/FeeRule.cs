namespace Ledger.Engine.Catalog;

/// <summary>
/// Not a check but a consequence: a ledger posting of the code also posts a fee entry of <see cref="FeeCode"/> (a debit
/// code) on the same account, in the same atomic batch, with the derived correlation id <c>&lt;id&gt;:fee</c>
/// (<see cref="Commands.FeeIds"/>). The amount is <see cref="FixedMinor"/>, or <see cref="BasisPoints"/> of the entry's
/// amount rounded half up and clamped to <see cref="MinMinor"/>..<see cref="MaxMinor"/>; a fee of 0 posts nothing.
/// Catalog form: <c>{"name": "fee", "value": "code=700 fixed=150"}</c> or <c>"code=700 bps=25 min=50 max=5000"</c>.
/// It never declines (<see cref="Allows"/> is true); the engine reads it from <see cref="HistoryCode.Fee"/>.
/// </summary>
public sealed class FeeRule : IEntryRule
{
    /// <summary>The most basis points a fee may take: the whole amount.</summary>
    public const int BasisPointsMax = 10_000;

    private FeeRule(int feeCode, long fixedMinor, int basisPoints, long minMinor, long maxMinor)
    {
        FeeCode = feeCode;
        FixedMinor = fixedMinor;
        BasisPoints = basisPoints;
        MinMinor = minMinor;
        MaxMinor = maxMinor;
    }

    public string Name => "fee";
    public int FeeCode { get; }
    /// <summary>A fixed fee (minor units); 0 when the fee is in basis points.</summary>
    public long FixedMinor { get; }
    /// <summary>Basis points of the entry's amount (1 = 0.01 %); 0 for a fixed fee.</summary>
    public int BasisPoints { get; }
    public long MinMinor { get; }
    /// <summary>The most a basis-point fee takes (<see cref="long.MaxValue"/> when the catalog sets no maximum).</summary>
    public long MaxMinor { get; }
    public bool IsFixed => BasisPoints == 0;

    public bool Allows(in RuleInput input) => true;

    /// <summary>The fee on an entry of <paramref name="amountMinor"/> (positive): fixed, or basis points rounded half up, then clamped. 0: no fee entry.</summary>
    public long AmountOf(long amountMinor)
    {
        if (IsFixed) return FixedMinor;
        // amount × bps can pass long.MaxValue (amounts reach long.MaxValue / 4): computed in 128 bits, no allocation.
        Int128 scaled = ((Int128)amountMinor * BasisPoints + BasisPointsMax / 2) / BasisPointsMax;
        long fee = scaled > MaxMinor ? MaxMinor : (long)scaled;
        return fee < MinMinor ? MinMinor : fee;
    }

    /// <summary>Parses the catalog's value (<c>code=700 fixed=150</c>, <c>code=700 bps=25 [min=50] [max=5000]</c>).</summary>
    public static FeeRule Parse(string parameter)
    {
        int? code = null, bps = null;
        long? fixedMinor = null, min = null, max = null;
        foreach (var part in parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string key = eq > 0 ? part[..eq] : part, value = eq > 0 ? part[(eq + 1)..] : "";
            switch (key)
            {
                case "code" when code is null: code = (int)Number(key, value, Limits.HistoryCodeMax); break;
                case "fixed" when fixedMinor is null: fixedMinor = Number(key, value, LedgerEngine.BalanceMaxMinor); break;
                case "bps" when bps is null: bps = (int)Number(key, value, BasisPointsMax); break;
                case "min" when min is null: min = Number(key, value, LedgerEngine.BalanceMaxMinor); break;
                case "max" when max is null: max = Number(key, value, LedgerEngine.BalanceMaxMinor); break;
                default:
                    throw new CatalogException($"Rule 'fee' has '{part}'; write 'code=C fixed=A' or 'code=C bps=B [min=A] [max=A]', each once.");
            }
        }
        if (code is null) throw new CatalogException("Rule 'fee' needs 'code=C': the history code of the fee entry.");
        if (fixedMinor is null == bps is null) throw new CatalogException("Rule 'fee' needs exactly one of 'fixed=A' (minor units) or 'bps=B' (basis points of the amount).");
        if (fixedMinor is { } f)
        {
            if (f == 0) throw new CatalogException("Rule 'fee' has 'fixed=0'; a fixed fee is at least 1 minor unit.");
            if (min is not null || max is not null) throw new CatalogException("Rule 'fee' with 'fixed' takes no 'min' or 'max' (they clamp a basis-point fee).");
            return new FeeRule(code.Value, f, 0, 0, 0);
        }
        if (bps == 0) throw new CatalogException("Rule 'fee' has 'bps=0'; a basis-point fee is 1 to 10000 basis points.");
        long lo = min ?? 0, hi = max ?? long.MaxValue;
        if (lo > hi) throw new CatalogException($"Rule 'fee' has min={lo} above max={hi}.");
        return new FeeRule(code.Value, 0, bps!.Value, lo, hi);
    }

    /// <summary>The catalog's value for this fee (what <see cref="Parse"/> reads back as the same fee).</summary>
    public string Parameter
    {
        get
        {
            var c = System.Globalization.CultureInfo.InvariantCulture;
            if (IsFixed) return string.Create(c, $"code={FeeCode} fixed={FixedMinor}");
            string s = string.Create(c, $"code={FeeCode} bps={BasisPoints}");
            if (MinMinor != 0) s += string.Create(c, $" min={MinMinor}");
            if (MaxMinor != long.MaxValue) s += string.Create(c, $" max={MaxMinor}");
            return s;
        }
    }

    private static long Number(string key, string value, long max) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) && v <= max
            ? v
            : throw new CatalogException($"Rule 'fee' needs '{key}' to be a whole number from 0 to {max}, not '{value}'.");
}
