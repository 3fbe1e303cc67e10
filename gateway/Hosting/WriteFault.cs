using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Which component of the ledger could not write, and why: the first failure of the pipeline (fail-stop), named for the
/// operator and the partner (the 503's type and <c>component</c>, <c>/health/ready</c>). Not an invariant: a broken
/// invariant throws <see cref="Ledger.Engine.InvariantViolationException"/>, which is never named here or recovered from.
/// </summary>
public sealed record WriteFault(string Component, string Reason, DateTime AtUtc)
{
    public const string Journal = "journal";
    public const string EntryStore = "entry store";
    public const string ReadStore = "read store";
    public const string Publisher = "kafka publisher";

    /// <summary>The directory the component writes in (where the probe checks it can write again).</summary>
    public string? Directory { get; init; }

    /// <summary>The directory of <paramref name="component"/> in the data directory.</summary>
    public static string DirectoryOf(string component, string dataDir) => Path.Combine(Path.GetFullPath(dataDir), component switch
    {
        EntryStore => Ledger.Journal.Entries.EntryStore.DirectoryName,
        ReadStore => Ledger.ReadSide.ReadStore.DirectoryName,
        Publisher => "kafka",
        _ => Ledger.Journal.LedgerStore.JournalDirectoryName,
    });

    /// <summary>
    /// Which component a failure outside the pipeline's guards (start-up: recovery, checkpoints, catch-up) belongs to: the
    /// one whose directory the failure names (RocksDB, FasterLog and file errors name the file), else the journal.
    /// </summary>
    public static string ComponentOf(Exception failure, string dataDir)
    {
        foreach (string component in new[] { EntryStore, ReadStore, Publisher })
        {
            string dir = DirectoryOf(component, dataDir);
            for (var ex = failure; ex is not null; ex = ex.InnerException)
            {
                if (ex.Message.Contains(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal) || ex.Message.Contains(dir + "'", StringComparison.Ordinal)) return component;
            }
        }
        return Journal;
    }

    /// <summary>The reason in a sentence, with the free space of the data directory's file system when it is nearly full.</summary>
    public static WriteFault Of(string component, Exception failure, string dataDir)
    {
        string reason = failure.InnerException is { } inner && failure is InvalidOperationException ? inner.Message : failure.Message;
        string directory = DirectoryOf(component, dataDir);
        if (!System.IO.Directory.Exists(directory)) directory = Path.GetFullPath(dataDir);
        if (Ledger.Journal.Storage.DiskSpace.FreeBytes(directory) is { } free && free < 64L << 20)
            reason += $" (the {component}'s file system has {free} bytes free: no space left on device)";
        return new WriteFault(component, reason, DateTime.UtcNow) { Directory = directory };
    }
}

/// <summary>
/// Names the component that failed before the failure stops the pipeline: used as an exception filter
/// (<c>catch (Exception ex) when (note.Failed(ex)) { throw; }</c>), so the failure is rethrown unchanged with its stack.
/// A broken invariant is not a write fault and is never named.
/// </summary>
internal sealed class FaultNote(string component, Action<string, Exception> noteFault)
{
    public bool Failed(Exception ex)
    {
        if (ex is not Ledger.Engine.InvariantViolationException) noteFault(component, ex);
        return false; // never handled here
    }
}

/// <summary>The journal, its failures named <see cref="WriteFault.Journal"/>.</summary>
internal sealed class GuardedJournal(ICommandJournal inner, Action<string, Exception> noteFault) : ICommandJournal
{
    private readonly FaultNote _note = new(WriteFault.Journal, noteFault);

    public void Append(LedgerCommand command)
    {
        try { inner.Append(command); }
        catch (Exception ex) when (_note.Failed(ex)) { throw; }
    }

    public void Commit()
    {
        try { inner.Commit(); }
        catch (Exception ex) when (_note.Failed(ex)) { throw; }
    }
}

/// <summary>The entry store's writer, its failures named <see cref="WriteFault.EntryStore"/>.</summary>
internal sealed class GuardedStoreWriter(IEntryStoreWriter inner, Action<string, Exception> noteFault) : IEntryStoreWriter
{
    private readonly FaultNote _note = new(WriteFault.EntryStore, noteFault);

    public void Add(LedgerCommand command)
    {
        try { inner.Add(command); }
        catch (Exception ex) when (_note.Failed(ex)) { throw; }
    }

    public void EndOfBatch()
    {
        try { inner.EndOfBatch(); }
        catch (Exception ex) when (_note.Failed(ex)) { throw; }
    }
}

/// <summary>The read store's sink, its failures named <see cref="WriteFault.ReadStore"/>.</summary>
internal sealed class GuardedReadSink(ICommittedCommandSink inner, Action<string, Exception> noteFault) : ICommittedCommandSink
{
    private readonly FaultNote _note = new(WriteFault.ReadStore, noteFault);

    public void OnCommitted(LedgerCommand command)
    {
        try { inner.OnCommitted(command); }
        catch (Exception ex) when (_note.Failed(ex)) { throw; }
    }

    public void EndOfBatch()
    {
        try { inner.EndOfBatch(); }
        catch (Exception ex) when (_note.Failed(ex)) { throw; }
    }
}
