using System.Collections.Concurrent;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.Hosting;
using Ledger.Engine.Tests.Ring;
using Ledger.Engine.Tests.StateMachine;
using NUnit.Framework;
using static Ledger.Testing.Commands;
using Strategy = Ledger.Engine.Tests.Ring.RingBufferTests.Strategy;

namespace Ledger.Engine.Tests.Hosting;

// Producers keep a window of in-flight ValueTasks (each awaited exactly once, in order): that is how the gateway uses
// the host, and what makes the ring batch. CA2012 cannot see the "once".
#pragma warning disable CA2012

/// <summary>
/// The whole pipeline (engine, journal and publish threads on the ring) under concurrent producers. Each producer
/// deposits 1 into its own account with a window of commands in flight, so the ring really batches; per producer the
/// answers must come back in order, each applied once (balance after = index + 1). Sizes: 4 producers x 25 000
/// commands per wait strategy (busy-spin: 4 x 2 500, since three spinning stages share two cores).
/// </summary>
public class EngineHostTests
{
    private const int Producers = 4;
    private const int Window = 64;

    private static EngineHost StartHost(LedgerEngine engine, ICommandJournal journal, ICommittedCommandSink sink, Strategy strategy = Strategy.Blocking,
        int ringSize = 1_024, TimeSpan? tick = null, Func<long>? clock = null, int inFlightEntriesMax = 131_072)
    {
        var host = new EngineHost(engine, journal, [sink], new EngineHostSettings
        {
            RingSize = ringSize,
            InFlightEntriesMax = inFlightEntriesMax,
            WaitStrategy = () => RingBufferTests.Create(strategy),
            TickInterval = tick ?? TimeSpan.Zero,
            UtcNowTicks = clock ?? (static () => DateTime.UtcNow.Ticks),
        });
        host.Start();
        return host;
    }

    private static LedgerEngine EngineWithProducerAccounts(int commandsTotal)
    {
        var engine = NewEngine(new EngineSettings { AccountCapacity = 16, EntryCacheEntries = commandsTotal + 16 });
        for (int p = 0; p < Producers; p++) engine.Apply(Open(ProducerAccount(p)));
        return engine;
    }

    private static AccountKey ProducerAccount(int p) => Account(p + 1);

    private static void SetDeposit(LedgerCommand command, int producer, long index)
    {
        command.Reset();
        command.SetPost(1);
        command.Entries[0] = Posting(ProducerAccount(producer), $"p{producer}-{index}", 100, 1);
    }

    /// <summary>Records, on the publish thread, the order in which each producer's commands were released.</summary>
    private sealed class OrderSink(EngineHost? host = null) : ICommittedCommandSink
    {
        public readonly long[] Released = new long[Producers];
        public readonly long[] LastSequence = new long[Producers];
        public long OutOfOrder;
        public long MaxRingDepth;
        public EngineHost? Host { get; set; } = host;

        public void OnCommitted(LedgerCommand command)
        {
            if (Host is { } h) MaxRingDepth = Math.Max(MaxRingDepth, h.RingDepth);
            if (command.Kind != CommandKind.PostEntries) return;
            var r = command.EntryResults[0];
            int p = (int)r.Account.Number - 1;
            if (r.Sequence <= LastSequence[p] || r.BalancesAfter.AvailableMinor != Released[p] + 1) OutOfOrder++;
            LastSequence[p] = r.Sequence;
            Released[p]++;
        }
    }

    /// <summary>One producer: keeps up to <see cref="Window"/> deposits in flight; checks each answer as it comes back.</summary>
    private static async Task<string?> Produce(EngineHost host, int producer, int count)
    {
        var inFlight = new Queue<(LedgerCommand Command, ValueTask Done, long Index)>();
        var free = new Stack<LedgerCommand>(Enumerable.Range(0, Window).Select(_ => new LedgerCommand()));
        long lastSequence = 0;
        string? error = null;

        async Task Collect()
        {
            var (command, done, index) = inFlight.Dequeue();
            await done;
            var r = command.EntryResults[0];
            if (command.Result.Code != ResultCode.Ok || command.Result.Replayed)
                error ??= $"producer {producer} command {index}: {command.Result.Code}, replayed {command.Result.Replayed}";
            else if (r.Sequence <= lastSequence)
                error ??= $"producer {producer} command {index}: sequence {r.Sequence} after {lastSequence}";
            else if (r.BalancesAfter.AvailableMinor != index + 1)
                error ??= $"producer {producer} command {index}: balance after {r.BalancesAfter.AvailableMinor}, applied out of order or twice";
            lastSequence = r.Sequence;
            free.Push(command);
        }

        for (long i = 0; i < count; i++)
        {
            if (inFlight.Count == Window) await Collect();
            var command = free.Pop();
            SetDeposit(command, producer, i);
            inFlight.Enqueue((command, host.SubmitAsync(command), i));
        }
        while (inFlight.Count > 0) await Collect();
        return error;
    }

    [TestCase(Strategy.Blocking, 25_000)]
    [TestCase(Strategy.Yielding, 25_000)]
    [TestCase(Strategy.BusySpin, 2_500)]
    public async Task ShouldApplyEveryCommandOnceInEachProducersOrder(Strategy strategy, int perProducer)
    {
        int total = Producers * perProducer;
        var engine = EngineWithProducerAccounts(total);
        long sequenceBefore = engine.LastSequence;
        var sink = new OrderSink();
        using var host = StartHost(engine, new NoJournal(), sink, strategy);

        var errors = await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() => Produce(host, p, perProducer))));
        host.Stop();

        Assert.That(errors, Is.All.Null);
        Assert.That(engine.LastSequence - sequenceBefore, Is.EqualTo(total), "every command applied exactly once");
        for (int p = 0; p < Producers; p++) Assert.That(engine.BalancesOf(ProducerAccount(p)), Is.EqualTo(new Balances(perProducer, 0)));
        Assert.That(sink.Released, Is.All.EqualTo((long)perProducer), "the sink saw every command once");
        Assert.That(sink.OutOfOrder, Is.Zero, "and each producer's in order");
    }

    [Test]
    public async Task ShouldHoldProducersBackWhenATinyRingIsFull()
    {
        const int perProducer = 2_500;
        var engine = EngineWithProducerAccounts(Producers * perProducer);
        var sink = new OrderSink();
        using var host = StartHost(engine, new NoJournal(), sink, ringSize: 4);
        sink.Host = host;

        var errors = await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() => Produce(host, p, perProducer))));
        host.Stop();

        Assert.That(errors, Is.All.Null);
        Assert.That(sink.Released, Is.All.EqualTo((long)perProducer));
        Assert.That(sink.MaxRingDepth, Is.LessThanOrEqualTo(4), "256 commands in flight, never more than 4 on the ring");
    }

    [Test]
    public void ShouldRefuseTrySubmitWhileTheRingIsFull()
    {
        var engine = EngineWithProducerAccounts(16);
        var gate = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new BlockingSink(gate), ringSize: 2);
        var first = Deposit(0, 0);
        var second = Deposit(0, 1);
        var third = Deposit(0, 2);
        Assert.That(host.TrySubmit(first, out var firstDone), Is.True);
        Assert.That(host.TrySubmit(second, out var secondDone), Is.True);
        Assert.That(host.TrySubmit(third, out _, out var refused), Is.False, "back-pressure: answer 503, retry later");
        Assert.That(refused, Is.EqualTo(SubmitRefusal.RingFull), "the ring refused, and the edge's 503 says so");
        gate.Set();
        firstDone.AsTask().Wait();
        secondDone.AsTask().Wait();
        host.Stop();
        Assert.That(first.Result.Code, Is.EqualTo(ResultCode.Ok));
        Assert.That(engine.BalancesOf(ProducerAccount(0)), Is.EqualTo(new Balances(2, 0)), "the refused command was never published");
    }

    [Test]
    public void ShouldSayTheEntriesInFlightRefusedWhenThatBoundIsReachedBeforeTheRing()
    {
        var engine = EngineWithProducerAccounts(2 * 600);
        var gate = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new BlockingSink(gate), ringSize: 1_024, inFlightEntriesMax: 1_000);
        var first = Deposits(0, 0, 600);
        var second = Deposits(0, 600, 600);
        Assert.That(host.TrySubmit(first, out var firstDone, out var accepted), Is.True);
        Assert.That(accepted, Is.EqualTo(SubmitRefusal.None));
        Assert.That(host.TrySubmit(second, out _, out var refused), Is.False, "600 + 600 entries > 1 000 in flight");
        Assert.That(refused, Is.EqualTo(SubmitRefusal.EntriesInFlight), "1 023 ring slots were free: the in-flight bound refused");
        gate.Set();
        firstDone.AsTask().Wait();
        host.Stop();
        Assert.That(engine.BalancesOf(ProducerAccount(0)), Is.EqualTo(new Balances(600, 0)), "the refused command was never published");
    }

    [Test]
    public void ShouldCountEachRequestedEntryTwiceInFlightForTheFeeItMayPostAndGiveAllBack()
    {
        var engine = EngineWithProducerAccounts(2 * 600);
        var gate = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new BlockingSink(gate), ringSize: 1_024, inFlightEntriesMax: 1_000);
        Assert.That(host.TrySubmit(Deposits(0, 0, 300), out var firstDone, out _), Is.True);
        Assert.That(host.EntriesInFlight, Is.EqualTo(600), "300 requested entries may make 600 (each its fee)");
        Assert.That(host.TrySubmit(Deposits(0, 300, 250), out _, out var refused), Is.False, "600 + 500 > 1 000");
        Assert.That(refused, Is.EqualTo(SubmitRefusal.EntriesInFlight));
        gate.Set();
        firstDone.AsTask().Wait();
        host.Stop();
        Assert.That(host.EntriesInFlight, Is.Zero, "what publish reserved, the last stage gave back");
    }

    [Test]
    public async Task ShouldWaitInTrySubmitAsyncForTheLastStageToLetGoOfEntriesThenPublish()
    {
        var engine = EngineWithProducerAccounts(2 * 600);
        var gate = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new BlockingSink(gate), ringSize: 1_024, inFlightEntriesMax: 1_000);
        var first = Deposits(0, 0, 300);
        var second = Deposits(0, 300, 250);
        Assert.That(await host.TrySubmitAsync(first, TimeSpan.FromMinutes(1)), Is.EqualTo(SubmitRefusal.None));
        await first.WhenDone; // answered after the journal; its 600 still count until the held last stage lets go
        var waiting = host.TrySubmitAsync(second, TimeSpan.FromMinutes(1)).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "600 + 500 > 1 000: it waits for room instead of refusing");
        gate.Set();
        Assert.That(await waiting, Is.EqualTo(SubmitRefusal.None), "published once the last stage let go of the first");
        await second.WhenDone;
        host.Stop();
        Assert.That(engine.BalancesOf(ProducerAccount(0)), Is.EqualTo(new Balances(550, 0)));
        Assert.That(host.EntriesInFlight, Is.Zero);
    }

    [Test]
    public async Task ShouldWaitInTrySubmitAsyncForAFullRingUntilTheLastStageAdvances()
    {
        var engine = EngineWithProducerAccounts(16);
        var gate = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new BlockingSink(gate), ringSize: 2);
        var commands = new[] { Deposit(0, 0), Deposit(0, 1), Deposit(0, 2) };
        Assert.That(await host.TrySubmitAsync(commands[0], TimeSpan.Zero), Is.EqualTo(SubmitRefusal.None));
        Assert.That(await host.TrySubmitAsync(commands[1], TimeSpan.Zero), Is.EqualTo(SubmitRefusal.None));
        var waiting = host.TrySubmitAsync(commands[2], TimeSpan.FromMinutes(1)).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "both slots are in flight: it waits");
        gate.Set();
        Assert.That(await waiting, Is.EqualTo(SubmitRefusal.None), "woken when the last stage's sequence advanced");
        foreach (var c in commands) await c.WhenDone;
        host.Stop();
        Assert.That(engine.BalancesOf(ProducerAccount(0)), Is.EqualTo(new Balances(3, 0)));
    }

    [Test]
    public async Task ShouldRefuseInTrySubmitAsyncWhenNoRoomComesWithinItsWait()
    {
        var engine = EngineWithProducerAccounts(2 * 600);
        var gate = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new BlockingSink(gate), ringSize: 1_024, inFlightEntriesMax: 1_000);
        Assert.That(await host.TrySubmitAsync(Deposits(0, 0, 300), TimeSpan.Zero), Is.EqualTo(SubmitRefusal.None));
        Assert.That(await host.TrySubmitAsync(Deposits(0, 300, 250), TimeSpan.FromMilliseconds(50)), Is.EqualTo(SubmitRefusal.EntriesInFlight));
        gate.Set();
        host.Stop();
        Assert.That(engine.BalancesOf(ProducerAccount(0)), Is.EqualTo(new Balances(300, 0)), "the refused command was never published");
        Assert.That(host.EntriesInFlight, Is.Zero);
    }

    private static LedgerCommand Deposits(int producer, long firstIndex, int count)
    {
        var command = new LedgerCommand();
        command.SetPost(count);
        for (int i = 0; i < count; i++) command.Entries[i] = Posting(ProducerAccount(producer), $"p{producer}-{firstIndex + i}", 100, 1);
        return command;
    }

    private sealed class BlockingSink(ManualResetEventSlim gate) : ICommittedCommandSink
    {
        public void OnCommitted(LedgerCommand command) => gate.Wait();
    }

    private static LedgerCommand Deposit(int producer, long index)
    {
        var command = new LedgerCommand();
        SetDeposit(command, producer, index);
        return command;
    }

    [Test]
    public void ShouldDrainEveryPublishedCommandOnStop()
    {
        const int perProducer = 5_000;
        var engine = EngineWithProducerAccounts(Producers * perProducer);
        using var host = StartHost(engine, new NoJournal(), new OrderSink());
        var done = new ValueTask[Producers][];
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            done[p] = new ValueTask[perProducer];
            for (int i = 0; i < perProducer; i++) done[p][i] = host.SubmitAsync(Deposit(p, i));
        })).ToList();
        producers.ForEach(t => t.Start());
        producers.ForEach(t => t.Join());

        host.Stop(); // nothing awaited yet: Stop itself must see every published command through

        Assert.That(done.SelectMany(d => d).Count(d => d.IsCompletedSuccessfully), Is.EqualTo(Producers * perProducer));
        Assert.That(engine.LastSequence, Is.EqualTo(Producers * perProducer));
        Assert.Throws<InvalidOperationException>(() => _ = host.SubmitAsync(Deposit(0, 999_999)), "a stopped host refuses new commands");
    }

    [Test]
    public void ShouldCompleteEveryAcceptedCommandWhenStoppedWhilePublishing()
    {
        var engine = EngineWithProducerAccounts(1_000_000);
        using var host = StartHost(engine, new NoJournal(), new OrderSink());
        var accepted = new ConcurrentBag<ValueTask>();
        long published = 0;
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            for (int i = 0; i < 200_000; i++)
            {
                try
                {
                    accepted.Add(host.SubmitAsync(Deposit(p, i)));
                    Interlocked.Increment(ref published);
                }
                catch (InvalidOperationException)
                {
                    return; // stopped: refused, never published
                }
            }
        })).ToList();
        producers.ForEach(t => t.Start());
        SpinWait.SpinUntil(() => Interlocked.Read(ref published) >= 10_000);
        host.Stop();
        producers.ForEach(t => t.Join());

        Assert.That(accepted.Count(v => !v.IsCompletedSuccessfully), Is.Zero, "every command published before Stop was decided and released");
        Assert.That(engine.LastSequence, Is.EqualTo(accepted.Count));
    }

    // ---------------- fail-stop ----------------

    /// <summary>A journal that fails at the n-th append or commit, and remembers what it made durable.</summary>
    private sealed class FailingJournal(int failAtAppend = int.MaxValue, int failAtCommit = int.MaxValue) : ICommandJournal
    {
        public readonly ConcurrentDictionary<LedgerCommand, int> AppendIndex = new();
        public int Appended;
        public int Commits;
        public volatile int Durable;
        public bool CalledAfterFailure;
        private bool _failed;

        public void Append(LedgerCommand command)
        {
            if (_failed) CalledAfterFailure = true;
            AppendIndex[command] = Appended++;
            if (Appended == failAtAppend) Fail();
        }

        public void Commit()
        {
            if (_failed) CalledAfterFailure = true;
            if (++Commits == failAtCommit) Fail();
            Durable = Appended;
        }

        private void Fail()
        {
            _failed = true;
            throw new IOException("disk gone");
        }
    }

    /// <summary>Checks, on the publish thread, that nothing is released before the journal commit covering it returned.</summary>
    private sealed class DurabilitySink(FailingJournal journal) : ICommittedCommandSink
    {
        public long ReleasedBeforeDurable;
        public long Released;

        public void OnCommitted(LedgerCommand command)
        {
            Released++;
            if (command.ChangedState && (!journal.AppendIndex.TryGetValue(command, out int index) || index >= journal.Durable)) ReleasedBeforeDurable++;
        }
    }

    [TestCase(5, int.MaxValue, TestName = "ShouldFailStopWhenTheJournalThrows(on the 5th append)")]
    [TestCase(int.MaxValue, 5, TestName = "ShouldFailStopWhenTheJournalThrows(on the 5th commit)")]
    public async Task ShouldFailStopWhenTheJournalThrows(int failAtAppend, int failAtCommit)
    {
        var engine = EngineWithProducerAccounts(100);
        var journal = new FailingJournal(failAtAppend, failAtCommit);
        var sink = new DurabilitySink(journal);
        using var host = StartHost(engine, journal, sink);

        // One command at a time, so each is its own batch: the 5th append or commit is the 5th command.
        for (int i = 0; i < 4; i++)
        {
            var ok = Deposit(0, i);
            await host.SubmitAsync(ok);
            Assert.That(ok.Result.Code, Is.EqualTo(ResultCode.Ok));
        }
        var failing = Deposit(0, 4);
        var failed = await Assert.ThrowsAsync<JournalFailedException>(async () => await host.SubmitAsync(failing));
        Assert.That(failed!.InnerException, Is.InstanceOf<IOException>());
        Assert.That(failing.Failure, Is.InstanceOf<JournalFailedException>());
        Assert.That(host.Fault, Is.InstanceOf<IOException>());

        for (int i = 5; i < 10; i++)
        {
            var later = Deposit(0, i);
            await Assert.ThrowsAsync<JournalFailedException>(async () => await host.SubmitAsync(later), "nothing is accepted after the failure");
        }
        host.Stop();
        Assert.That(sink.Released, Is.EqualTo(4), "only the four durable commands were acknowledged");
        Assert.That(sink.ReleasedBeforeDurable, Is.Zero);
        Assert.That(journal.CalledAfterFailure, Is.False, "the journal is not touched after it failed");
    }

    /// <summary>A journal whose second commit, once durable, lets a later stage fail and returns only when the pipeline has failed.</summary>
    private sealed class FailBehindTheCommitJournal : ICommandJournal
    {
        public readonly ManualResetEventSlim Armed = new();
        public EngineHost? Host;
        private int _commits;

        public void Append(LedgerCommand command) { }

        public void Commit()
        {
            if (++_commits != 2) return;
            Armed.Set(); // durable now; the stage behind fails while this batch is not answered yet
            var guard = System.Diagnostics.Stopwatch.StartNew(); // a hang guard, not a timing claim
            while (Host!.Fault is null && guard.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(1);
        }
    }

    /// <summary>An entry store writer that fails on the first command it is given, once the journal is armed.</summary>
    private sealed class FailWhenArmedStore(FailBehindTheCommitJournal journal) : IEntryStoreWriter
    {
        public void Add(LedgerCommand command)
        {
            journal.Armed.Wait(TimeSpan.FromSeconds(30));
            throw new IOException("entry store disk gone");
        }

        public void EndOfBatch() { }
    }

    /// <summary>Reads nothing: every entry these tests name is in the engine's cache.</summary>
    private sealed class NoReads : IEntryPrefetcher
    {
        public void Add(LedgerCommand command) { }

        public void EndOfBatch() { }
    }

    [Test]
    public async Task ShouldAcknowledgeACommandItsCommitCoveredThoughAStageBehindFailedBeforeTheAnswer()
    {
        // Refusing it would say "not applied" of a command the journal holds and a restart applies (DiskFullTests saw a
        // deposit refused 503 and then in the balance).
        var engine = EngineWithProducerAccounts(10);
        var journal = new FailBehindTheCommitJournal();
        using var host = new EngineHost(engine, journal, [new OrderSink()], new EngineHostSettings { RingSize = 64 }, prefetcher: new NoReads(),
            storeWriter: new FailWhenArmedStore(journal));
        host.Start();
        journal.Host = host;

        var first = Deposit(0, 0);
        await host.SubmitAsync(first);
        Assert.That(first.Result.Code, Is.EqualTo(ResultCode.Ok));
        var second = Deposit(0, 1);
        await host.SubmitAsync(second); // throws JournalFailedException when refused
        Assert.That(second.Result.Code, Is.EqualTo(ResultCode.Ok), "durable before the failure: acknowledged");
        Assert.That(host.Fault, Is.InstanceOf<IOException>());
        var third = Deposit(0, 2);
        await Assert.ThrowsAsync<JournalFailedException>(async () => await host.SubmitAsync(third), "nothing is accepted after the failure");
        host.Stop();
    }

    [Test]
    public async Task ShouldAcknowledgeNothingAfterAJournalFailureUnderConcurrentProducers()
    {
        const int perProducer = 5_000;
        const int failAt = 6_000;
        var engine = EngineWithProducerAccounts(Producers * perProducer);
        var journal = new FailingJournal(failAtAppend: failAt);
        var sink = new DurabilitySink(journal);
        using var host = StartHost(engine, journal, sink);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            int ok = 0, failedCount = 0, failedAwaits = 0;
            string? error = null;
            var inFlight = new Queue<(LedgerCommand Command, ValueTask Done)>();
            async Task Collect()
            {
                var (command, done) = inFlight.Dequeue();
                try
                {
                    await done;
                    // Ring order is this producer's submit order: once one of its commands failed, every later one must fail.
                    // (A refusal at submit says nothing about commands published before it.)
                    if (failedAwaits > 0) error ??= $"producer {p}: a command completed OK after an earlier one failed";
                    if (command.Result.Code != ResultCode.Ok) error ??= $"producer {p}: {command.Result.Code}";
                    ok++;
                }
                catch (JournalFailedException)
                {
                    failedCount++;
                    failedAwaits++;
                }
            }
            for (int i = 0; i < perProducer; i++)
            {
                if (inFlight.Count == Window) await Collect();
                var command = Deposit(p, i);
                try
                {
                    inFlight.Enqueue((command, host.SubmitAsync(command)));
                }
                catch (JournalFailedException)
                {
                    failedCount++;
                    break; // the host has stopped accepting: this producer is done
                }
            }
            while (inFlight.Count > 0) await Collect();
            return (Ok: ok, Failed: failedCount, Error: error);
        })));
        host.Stop();

        Assert.That(outcomes.Select(o => o.Error), Is.All.Null);
        Assert.That(outcomes.Sum(o => o.Ok), Is.LessThan(failAt), "acknowledged commands were all appended before the failing one");
        Assert.That(outcomes.Sum(o => o.Ok), Is.EqualTo(sink.Released));
        Assert.That(outcomes.Sum(o => o.Failed), Is.GreaterThan(0));
        Assert.That(sink.ReleasedBeforeDurable, Is.Zero, "nothing was acknowledged before its group commit returned");
        Assert.That(journal.CalledAfterFailure, Is.False);
        Assert.That(host.Fault, Is.InstanceOf<IOException>());
    }

    [Test]
    public async Task ShouldGroupCommitAndAcknowledgeOnlyDurableCommands()
    {
        const int perProducer = 10_000;
        var engine = EngineWithProducerAccounts(Producers * perProducer);
        var journal = new FailingJournal();
        var sink = new DurabilitySink(journal);
        using var host = StartHost(engine, journal, sink);

        var errors = await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() => Produce(host, p, perProducer))));
        host.Stop();

        Assert.That(errors, Is.All.Null);
        Assert.That(journal.Appended, Is.EqualTo(Producers * perProducer));
        Assert.That(journal.Commits, Is.LessThanOrEqualTo(journal.Appended), "at most one commit per drained batch");
        Assert.That(sink.ReleasedBeforeDurable, Is.Zero);
        TestContext.Out.WriteLine($"{journal.Appended} appends in {journal.Commits} commits ({(double)journal.Appended / journal.Commits:F1} per commit)");
    }

    /// <summary>Counts what the entry store was given, and whether each command's commit had returned by then.</summary>
    private sealed class CommittedFirstStore(FailingJournal journal) : IEntryStoreWriter
    {
        public long Added;
        public long AddedBeforeDurable;

        public void Add(LedgerCommand command)
        {
            Added++;
            if (!journal.AppendIndex.TryGetValue(command, out int index) || index >= journal.Durable) AddedBeforeDurable++;
        }

        public void EndOfBatch() { }
    }

    /// <summary>
    /// Every layout runs the same pipeline on its threads (docs/decisions.md, "Threads"): the default, Compact, decides and
    /// commits on one thread; Shared gives the journal its own; Separate a thread per stage. Under concurrent producers each
    /// must apply every command once and in order, commit before it answers, and hand the stores only what was committed.
    /// </summary>
    [TestCase(PipelineLayout.Compact, new[] { "ledger-engine", "ledger-store" })]
    [TestCase(PipelineLayout.Shared, new[] { "ledger-engine", "ledger-journal", "ledger-store" })]
    [TestCase(PipelineLayout.Separate, new[] { "ledger-prefetch", "ledger-engine", "ledger-journal", "ledger-store", "ledger-publish" })]
    public async Task ShouldRunThePipelineOnTheThreadsOfEachLayout(PipelineLayout layout, string[] threads)
    {
        const int perProducer = 2_000;
        var engine = EngineWithProducerAccounts(Producers * perProducer);
        var journal = new FailingJournal();
        var sink = new DurabilitySink(journal);
        var store = new CommittedFirstStore(journal);
        using var host = new EngineHost(engine, journal, [sink], new EngineHostSettings { RingSize = 1_024, Layout = layout, TickInterval = TimeSpan.Zero },
            prefetcher: new NoReads(), storeWriter: store);
        Assert.That(host.ThreadNames, Is.EqualTo(threads));
        host.Start();

        var errors = await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() => Produce(host, p, perProducer))));
        host.Stop();

        Assert.That(errors, Is.All.Null);
        Assert.That((journal.Appended, store.Added, sink.Released), Is.EqualTo((Producers * perProducer, Producers * perProducer, Producers * perProducer)));
        Assert.That((store.AddedBeforeDurable, sink.ReleasedBeforeDurable), Is.EqualTo((0L, 0L)), "the stores follow the commit");
    }

    // ---------------- the clock ----------------

    private sealed class ExpirySink(ManualResetEventSlim expired) : ICommittedCommandSink
    {
        public void OnCommitted(LedgerCommand command)
        {
            foreach (var e in command.EventSpan)
            {
                if (e.Kind == LedgerEventKind.EntryStatusChanged && e.Status == EntryStatus.Expired) expired.Set();
            }
        }
    }

    [Test]
    public async Task ShouldExpireHoldsByPeriodicTicksWithoutOtherTraffic()
    {
        long now = T0;
        var engine = EngineWithProducerAccounts(16);
        engine.Apply(Post(Posting(ProducerAccount(0), "fund", 100, 1_000)));
        using var expired = new ManualResetEventSlim();
        using var host = StartHost(engine, new NoJournal(), new ExpirySink(expired), tick: TimeSpan.FromMilliseconds(10), clock: () => Volatile.Read(ref now));

        var hold = new LedgerCommand();
        hold.SetPost(1);
        hold.Entries[0] = Hold(ProducerAccount(0), "h1", 998, 400, expiresAt: T0 + TimeSpan.TicksPerSecond);
        await host.SubmitAsync(hold);
        Assert.That(hold.TimestampTicks, Is.EqualTo(T0), "the host stamps commands with its clock");
        Volatile.Write(ref now, T0 + 2 * TimeSpan.TicksPerSecond);

        Assert.That(expired.Wait(TimeSpan.FromSeconds(30)), Is.True, "a tick past expiresAt expires the hold");
        host.Stop();
        Assert.That(engine.StatusOf(ProducerAccount(0), "h1"), Is.EqualTo(EntryStatus.Expired));
        Assert.That(engine.BalancesOf(ProducerAccount(0)), Is.EqualTo(new Balances(1_000, 0)));
    }
}
