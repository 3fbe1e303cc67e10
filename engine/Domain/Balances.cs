namespace Ledger.Engine.Domain;

/// <summary>An account's two balances, in minor units of its currency.</summary>
public readonly record struct Balances(long AvailableMinor, long HeldMinor);
