using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.State;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>Set-ups and reads the engine tests of this folder share (builders of commands live in Ledger.Testing).</summary>
internal static class LedgerKit
{
    public static readonly AccountKey A = Account(100_001);
    public static readonly AccountKey B = Account(100_002);
    public static readonly AccountKey Unknown = Account(999_999);

    /// <summary>An engine with account A (USD) opened and, if <paramref name="deposit"/> &gt; 0, funded by a cash deposit "fund".</summary>
    public static LedgerEngine Funded(long deposit, long overdraft = 0)
    {
        var engine = NewEngine();
        Expect(Open(A, Usd, overdraft).ApplyTo(engine), ResultCode.Ok);
        if (deposit > 0) Expect(Post(Posting(A, "fund", 100, deposit)).ApplyTo(engine), ResultCode.Ok);
        return engine;
    }

    /// <summary>An engine with A and B (USD) opened, A funded with <paramref name="deposit"/>.</summary>
    public static LedgerEngine TwoAccounts(long deposit)
    {
        var engine = Funded(deposit);
        Expect(Open(B, Usd).ApplyTo(engine), ResultCode.Ok);
        return engine;
    }

    public static LedgerCommand Expect(LedgerCommand command, ResultCode code)
    {
        Assert.That(command.Result.Code, Is.EqualTo(code), $"entry index {command.Result.EntryIndex}, rule {command.Result.Rule}");
        return command;
    }

    /// <summary>The current status of an entry (None when unknown or declined), as the ledger knows it: its cache, then its store.</summary>
    public static EntryStatus StatusOf(this LedgerEngine engine, AccountKey account, string correlationId)
    {
        if (EngineRigs.For(engine) is { } rig) return rig.TryFind(account, correlationId, out var stored) ? stored.Status : EntryStatus.None;
        Span<byte> key = stackalloc byte[EntryKeys.LengthMax];
        var k = key[..EntryKeys.Normalize(correlationId, key)];
        int slot = engine.Cache.Find(account.Packed, k, EntryKeys.Hash(account.Packed, k));
        return slot >= 0 ? engine.Cache[slot].Status : EntryStatus.None;
    }

    public static LedgerEvent[] EventsOf(LedgerCommand command) => command.EventSpan.ToArray();

    /// <summary>Asserts a refused or declined command left the ledger as it was.</summary>
    public static void AssertUnchanged(LedgerEngine engine, ulong hashBefore, long sequenceBefore, LedgerCommand command)
    {
        Assert.That(engine.LastSequence, Is.EqualTo(sequenceBefore), "no sequence taken");
        Assert.That(command.EventCount, Is.Zero, "no event");
        if (!command.Result.Code.IsLedgerDecline()) Assert.That(engine.ComputeStateHash(), Is.EqualTo(hashBefore), "state hash unchanged");
    }
}
