using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Gateway.Hosting;
using Microsoft.Coyote.Specifications;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Concurrency.Tests;

/// <summary>
/// The whole pipeline under Coyote's scheduler: the real <see cref="EngineHost"/> (engine, journal and publish stages on
/// their threads, a ring of 2 slots), producers renting pooled commands and submitting deposits to accounts of their own,
/// a read side on the publish stage that keeps each account's balance and moves the real <see cref="ReadYourWrites"/>
/// watermark after each batch. In every schedule: each acknowledged deposit was applied once and in its producer's order,
/// a read that starts after the acknowledgement sees it (never a stale balance), a refused TrySubmit changes nothing, and
/// Stop drains everything published.
/// </summary>
public class EngineHostTests
{
    private const int Producers = 2;
    private const int Deposits = 3;

    private static AccountKey AccountOf(int producer) => Account(producer + 1);

    /// <summary>The read side: balances as of the last batch it finished (written on the publish thread), and its watermark.</summary>
    /// <param name="advanceEarly">Planted bug: the watermark moves as each command arrives, before the batch's balances are written.</param>
    private sealed class ReadSide(bool advanceEarly = false) : ICommittedCommandSink
    {
        private readonly long[] _pending = new long[Producers];
        private long _pendingRecord;
        public readonly long[] Available = new long[Producers];
        public readonly ReadYourWrites Gate = new(static (advanced, _, _) => advanced);

        public void OnCommitted(LedgerCommand command)
        {
            if (command.Kind != CommandKind.PostEntries || command.Result.Code != ResultCode.Ok) return;
            var result = command.EntryResults[0];
            _pending[(int)result.Account.Number - 1] = result.BalancesAfter.AvailableMinor;
            _pendingRecord = command.RecordNumber;
            if (advanceEarly && _pendingRecord > Gate.Record) Gate.Advance(_pendingRecord);
        }

        public void EndOfBatch()
        {
            for (int p = 0; p < Producers; p++) Volatile.Write(ref Available[p], _pending[p]);
            if (_pendingRecord > Gate.Record) Gate.Advance(_pendingRecord);
        }
    }

    private static (EngineHost Host, ReadSide ReadSide) Start(bool advanceEarly = false)
    {
        var engine = new LedgerEngine(DefaultCatalog, new EngineSettings { AccountCapacity = 16, EntryCacheEntries = 64 });
        for (int p = 0; p < Producers; p++) engine.Apply(Open(AccountOf(p)));
        var readSide = new ReadSide(advanceEarly);
        var host = new EngineHost(engine, new NoJournal(), [readSide], new EngineHostSettings
        {
            RingSize = 2,
            TickInterval = TimeSpan.Zero,
            UtcNowTicks = static () => T0,
            NamesThreads = false, // Coyote tells its threads apart by name
        });
        readSide.Gate.Restart(engine.RecordNumber);
        host.Start();
        return (host, readSide);
    }

    private static void Deposit(LedgerCommand command, int producer, int index)
    {
        command.Reset();
        command.SetPost(1);
        command.Entries[0] = Posting(AccountOf(producer), $"p{producer}-{index}", 100, 1);
    }

    /// <summary>Polls the answer (each poll a scheduling point): the ValueTask's continuation would run on a pool thread Coyote does not see.</summary>
    private static void AwaitAnswer(ValueTask done)
    {
        while (!done.IsCompleted) Thread.Yield();
        done.GetAwaiter().GetResult();
    }

    /// <summary>After an acknowledged deposit: the answer is this producer's next balance, and a read started now sees it.</summary>
    private static void CheckAnswerAndRead(EngineHost host, ReadSide readSide, LedgerCommand command, int producer, long expected)
    {
        Specification.Assert(command.Result.Code == ResultCode.Ok, $"producer {producer}: deposit refused with {command.Result.Code}");
        var balance = command.EntryResults[0].BalancesAfter.AvailableMinor;
        Specification.Assert(balance == expected, $"producer {producer}: balance after {balance} where {expected} was due (applied twice or out of order)");
        long acknowledged = host.AcknowledgedRecord;
        Specification.Assert(acknowledged >= command.RecordNumber, $"answered before record {command.RecordNumber} was acknowledged ({acknowledged})");
        bool holds = readSide.Gate.WaitAsync(acknowledged, TimeSpan.FromMinutes(10), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Specification.Assert(holds, "a read with time to spare was refused");
        long read = Volatile.Read(ref readSide.Available[producer]);
        Specification.Assert(read >= expected, $"stale read: producer {producer} was answered balance {expected}, then read {read}");
    }

    /// <summary>Producers submit (SubmitAsync, waiting on a full ring) and read back each acknowledged deposit.</summary>
    private static void SubmitAndReadBack(bool advanceEarly)
    {
        var (host, readSide) = Start(advanceEarly);
        var pool = new LedgerCommandPool(4);
        var bodies = new Action[Producers];
        for (int p = 0; p < Producers; p++)
        {
            int producer = p;
            bodies[p] = () =>
            {
                for (int i = 0; i < Deposits; i++)
                {
                    var command = pool.Rent();
                    Deposit(command, producer, i);
                    AwaitAnswer(host.SubmitAsync(command));
                    CheckAnswerAndRead(host, readSide, command, producer, expected: i + 1);
                    pool.Return(command); // the publish stage may still hold it: it recycles it then
                }
            };
        }
        Systematic.RunThreads(bodies);
        host.Stop();
        for (int p = 0; p < Producers; p++)
        {
            var balances = host.Engine.BalancesOf(AccountOf(p));
            Specification.Assert(balances.AvailableMinor == Deposits, $"producer {p}: final balance {balances.AvailableMinor}");
        }
        Specification.Assert(host.EntriesInFlight == 0, $"{host.EntriesInFlight} entries still counted in flight after Stop");
    }

    [Test]
    public void ShouldApplyEachAcknowledgedDepositOnceInOrderAndReadItBack() =>
        Systematic.ExpectNoBug(() => SubmitAndReadBack(advanceEarly: false), iterations: 200);

    [Test]
    public void ShouldFindAReadSideThatMovesItsWatermarkBeforeItsWrite() =>
        Systematic.ExpectBug(() => SubmitAndReadBack(advanceEarly: true), iterations: 300, "stale read");

    /// <summary>TrySubmit on the two-slot ring: a refusal (ring full or too many entries in flight) publishes nothing and applies nothing.</summary>
    [Test]
    public void ShouldRefuseOnAFullRingAndApplyOnlyWhatWasAccepted()
    {
        int schedulesWithRefusal = 0;
        Systematic.ExpectNoBug(() =>
        {
            var (host, readSide) = Start();
            var accepted = new int[Producers];
            var bodies = new Action[Producers];
            for (int p = 0; p < Producers; p++)
            {
                int producer = p;
                bodies[p] = () =>
                {
                    var pending = new List<(LedgerCommand Command, ValueTask Done)>();
                    for (int i = 0; i < Deposits; i++)
                    {
                        var command = new LedgerCommand();
                        Deposit(command, producer, i);
                        if (!host.TrySubmit(command, out var done, out var refused))
                        {
                            Specification.Assert(refused is SubmitRefusal.RingFull or SubmitRefusal.EntriesInFlight, $"refused as {refused}");
                            continue;
                        }
                        pending.Add((command, done));
                        accepted[producer]++;
                    }
                    for (int k = 0; k < pending.Count; k++)
                    {
                        AwaitAnswer(pending[k].Done);
                        CheckAnswerAndRead(host, readSide, pending[k].Command, producer, expected: k + 1);
                    }
                };
            }
            Systematic.RunThreads(bodies);
            host.Stop();
            for (int p = 0; p < Producers; p++)
            {
                var balances = host.Engine.BalancesOf(AccountOf(p));
                Specification.Assert(balances.AvailableMinor == accepted[p], $"producer {p}: {accepted[p]} accepted, balance {balances.AvailableMinor}");
            }
            if (accepted[0] + accepted[1] < Producers * Deposits) Interlocked.Increment(ref schedulesWithRefusal);
        }, iterations: 200);
        Assert.That(schedulesWithRefusal, Is.GreaterThan(0), "no schedule filled the ring: the refusal path was not explored");
        TestContext.Out.WriteLine($"{schedulesWithRefusal} schedules had a refusal");
    }
}
