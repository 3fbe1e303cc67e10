using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>
/// What a rule sees of an entry it judges: the entry as requested, its account as it stands (simulated: earlier entries
/// of the same command count), the available balance the entry would leave (saturated at <see cref="long.MinValue"/> /
/// <see cref="long.MaxValue"/>), and, for a rule that counts per business day, what the rule's scope (the code, or the
/// domain for a domain's rule) already counted on this account today, before this entry.
/// </summary>
public readonly record struct RuleInput(
    EntryKind Kind,
    long AmountMinor,
    CurrencyCode Currency,
    AccountKey Account,
    Balances Balances,
    long AvailableAfterMinor = 0,
    long DailySumMinor = 0,
    int DailyCount = 0);

/// <summary>
/// A rule of a history code (or of a catalog domain: then it judges every entry of every code in that domain). Rules
/// are checked in the catalog's order after the engine's own checks, the code's first, then its domain's; the first
/// that does not allow the entry declines it with <c>rule-declined</c> naming <see cref="Name"/>.
/// Add a rule by implementing this and registering it in <see cref="RuleFactory"/>: the engine core does not change.
/// Implementations must be pure and must not allocate.
/// </summary>
public interface IEntryRule
{
    /// <summary>The rule's name as the catalog spells it and the Problem reports it (e.g. <c>maxAmount</c>).</summary>
    string Name { get; }

    bool Allows(in RuleInput input);
}

/// <summary>
/// A rule that needs a per-account, per-business-day counter of its scope's debits (sum and count). The engine keeps
/// that counter only for scopes that have such a rule in the catalog in force (state bounded by accounts × scopes).
/// </summary>
public interface IDailyRule : IEntryRule;

/// <summary>Declines entries above a maximum amount.</summary>
public sealed class MaxAmountRule(long maxAmountMinor) : IEntryRule
{
    public long MaxAmountMinor { get; } = maxAmountMinor;
    public string Name => "maxAmount";
    public bool Allows(in RuleInput input) => input.AmountMinor <= MaxAmountMinor;
}

/// <summary>Declines entries below a minimum amount.</summary>
public sealed class MinAmountRule(long minAmountMinor) : IEntryRule
{
    public long MinAmountMinor { get; } = minAmountMinor;
    public string Name => "minAmount";
    public bool Allows(in RuleInput input) => input.AmountMinor >= MinAmountMinor;
}

/// <summary>Declines entries in currencies other than the listed ones.</summary>
public sealed class CurrenciesRule(CurrencyCode[] currencies) : IEntryRule
{
    public IReadOnlyList<CurrencyCode> Currencies => currencies;
    public string Name => "currencies";
    public bool Allows(in RuleInput input) => Array.IndexOf(currencies, input.Currency) >= 0;
}

/// <summary>Declines an entry that would leave AVAILABLE below a floor (exactly at the floor is allowed; the floor may be negative).</summary>
public sealed class MinBalanceAfterRule(long floorMinor) : IEntryRule
{
    public long FloorMinor { get; } = floorMinor;
    public string Name => "minBalanceAfter";
    public bool Allows(in RuleInput input) => input.AvailableAfterMinor >= FloorMinor;
}

/// <summary>
/// Declines a debit that would take the sum of its scope's debits on this account this business day (by the ledger's
/// clock, UTC) above the limit. Exactly at the limit is allowed; a sum that would overflow is above any limit.
/// </summary>
public sealed class DailyLimitRule(long limitMinor) : IDailyRule
{
    public long LimitMinor { get; } = limitMinor;
    public string Name => "dailyLimit";
    public bool Allows(in RuleInput input)
    {
        long sum = unchecked(input.DailySumMinor + input.AmountMinor);
        bool overflowed = ((input.DailySumMinor ^ sum) & (input.AmountMinor ^ sum)) < 0;
        return !overflowed && sum <= LimitMinor;
    }
}

/// <summary>Declines a debit that would be more than the limit's number of its scope's debits on this account this business day.</summary>
public sealed class DailyCountRule(int countMax) : IDailyRule
{
    public int CountMax { get; } = countMax;
    public string Name => "dailyCount";
    public bool Allows(in RuleInput input) => input.DailyCount < CountMax;
}

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

/// <summary>Builds rules from their catalog names; unknown names fail at start-up.</summary>
public static class RuleFactory
{
    /// <summary>
    /// Rule names the catalog may use, besides <c>mayOverdraw</c> which is a property of the code. Append only: a
    /// remembered decline stores the rule as its index here (<see cref="State.RuleIds"/>).
    /// </summary>
    public static readonly string[] Known = ["maxAmount", "minAmount", "currencies", "minBalanceAfter", "dailyLimit", "dailyCount", "fee"];

    /// <summary>Creates a rule from its name and parameter (a number, or currency codes separated by spaces).</summary>
    public static IEntryRule Create(string name, string parameter) => name switch
    {
        "maxAmount" => new MaxAmountRule(ParseAmount(name, parameter)),
        "minAmount" => new MinAmountRule(ParseAmount(name, parameter)),
        "currencies" => new CurrenciesRule(parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => CurrencyCode.TryParse(c, out var code)
                ? code
                : throw new CatalogException($"Rule '{name}' lists '{c}', which is not an ISO-4217 currency code this ledger knows.")).ToArray()),
        "minBalanceAfter" => new MinBalanceAfterRule(ParseSignedAmount(name, parameter)),
        "dailyLimit" => new DailyLimitRule(ParseAmount(name, parameter)),
        "dailyCount" => new DailyCountRule(ParseCount(name, parameter)),
        "fee" => FeeRule.Parse(parameter),
        _ => throw new CatalogException($"Unknown rule '{name}': use one of {string.Join(", ", Known)}."),
    };

    /// <summary>The parameter of a rule as the catalog writes it (inverse of <see cref="Create"/>).</summary>
    public static string ParameterOf(IEntryRule rule) => rule switch
    {
        MaxAmountRule r => r.MaxAmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        MinAmountRule r => r.MinAmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        CurrenciesRule r => string.Join(' ', r.Currencies),
        MinBalanceAfterRule r => r.FloorMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        DailyLimitRule r => r.LimitMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        DailyCountRule r => r.CountMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
        FeeRule r => r.Parameter,
        _ => throw new CatalogException($"Rule '{rule.Name}' has no catalog form."),
    };

    private static long ParseAmount(string name, string parameter) =>
        long.TryParse(parameter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new CatalogException($"Rule '{name}' needs a non-negative whole amount in minor units, not '{parameter}'.");

    private static long ParseSignedAmount(string name, string parameter) =>
        long.TryParse(parameter, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long v) &&
        v >= -Limits.OverdraftLimitMax
            ? v
            : throw new CatalogException($"Rule '{name}' needs a whole amount in minor units (may be negative, at least -{Limits.OverdraftLimitMax}), not '{parameter}'.");

    private static int ParseCount(string name, string parameter) =>
        int.TryParse(parameter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new CatalogException($"Rule '{name}' needs a non-negative whole number of entries, not '{parameter}'.");
}
