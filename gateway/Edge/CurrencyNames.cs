using System.Collections.Concurrent;
using Ledger.Engine.Domain;

namespace Ledger.Gateway.Edge;

/// <summary>The ISO-4217 text of a currency, made once per currency (answers and declines quote it on every request).</summary>
internal static class CurrencyNames
{
    private static readonly ConcurrentDictionary<int, string> Names = new();

    public static string Of(CurrencyCode code) =>
        Names.TryGetValue(code.Packed, out var name) ? name : Names.GetOrAdd(code.Packed, code.ToString());
}
