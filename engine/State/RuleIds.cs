using Ledger.Engine.Catalog;

namespace Ledger.Engine.State;

/// <summary>Rule names as small ids, so a remembered decline stores a byte, not a string. Id 0: no rule.</summary>
public static class RuleIds
{
    public const byte AllowedKinds = 1;
    private static readonly string?[] Names = [null, "allowedKinds", .. RuleFactory.Known];

    public static byte Of(string name)
    {
        for (byte i = 1; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.Ordinal)) return i;
        }
        throw new InvariantViolationException($"Invariant: rule '{name}' is not registered in RuleIds.");
    }

    public static string? NameOf(byte id) => id < Names.Length ? Names[id] : null;
}
