using System.Globalization;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Gateway.Edge;

/// <summary>The edge checks of an account key and of an account opening, for every door (REST body, bulk import, Kafka).</summary>
internal static class AccountChecks
{
    /// <summary>Null when branch and account are within <see cref="Limits"/> (and <paramref name="key"/> is set), else what is wrong.</summary>
    public static string? Account(int? branch, long? account, out AccountKey key)
    {
        key = default;
        if (branch is not (>= 0 and <= Limits.BranchMax) || account is not (>= 0 and <= Limits.AccountNumberMax))
        {
            return $"branch must be an integer in 0..{Limits.BranchMax} and account one in 0..{Limits.AccountNumberMax} " +
                   $"(got {branch?.ToString(CultureInfo.InvariantCulture) ?? "none"}/{account?.ToString(CultureInfo.InvariantCulture) ?? "none"}).";
        }
        key = new AccountKey(branch.Value, account.Value);
        return null;
    }

    /// <summary>Null when the opening is valid (and <paramref name="opening"/> is set), else what is wrong with it.</summary>
    public static string? Opening(int? branch, long? account, string? currencyText, long? overdraftLimit, out AccountOpening opening)
    {
        opening = default;
        if (Account(branch, account, out var key) is { } accountError) return accountError;
        if (currencyText is null) return "currency is required (ISO-4217, e.g. USD).";
        if (!CurrencyCode.TryParse(currencyText, out var currency)) return "currency " + Refusal.CurrencyText(currencyText);
        long overdraft = overdraftLimit ?? 0;
        if (overdraft is < 0 or > Limits.OverdraftLimitMax) return $"overdraftLimit must be 0..{Limits.OverdraftLimitMax} minor units.";
        opening = new AccountOpening { Account = key, Currency = currency, OverdraftLimitMinor = overdraft };
        return null;
    }
}
