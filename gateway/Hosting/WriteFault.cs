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

    /// <summary>The reason in a sentence, with the free space of the data directory's file system when it is nearly full.</summary>
    public static WriteFault Of(string component, Exception failure, string dataDir)
    {
        string reason = failure.InnerException is { } inner && failure is InvalidOperationException ? inner.Message : failure.Message;
        try
        {
            long free = new DriveInfo(Path.GetFullPath(dataDir)).AvailableFreeSpace;
            if (free < 64L << 20) reason += $" (the data directory's file system has {free} bytes free: no space left on device)";
        }
        catch (IOException)
        {
            // the reason stands without it
        }
        return new WriteFault(component, reason, DateTime.UtcNow);
    }
}

/// <summary>Notes which component failed before the failure stops the pipeline (it is rethrown unchanged).</summary>
internal sealed class GuardedJournal(ICommandJournal inner, Action<string, Exception> noteFault) : ICommandJournal
{
    public void Append(LedgerCommand command)
    {
        try
        {
            inner.Append(command);
        }
        catch (Exception ex) when (Note(ex))
        {
            throw;
        }
    }

    public void Commit()
    {
        try
        {
            inner.Commit();
        }
        catch (Exception ex) when (Note(ex))
        {
            throw;
        }
    }

    private bool Note(Exception ex)
    {
        if (ex is not Ledger.Engine.InvariantViolationException) noteFault(WriteFault.Journal, ex);
        return false; // never handled here
    }
}

/// <summary>Notes an entry-store write failure (see <see cref="GuardedJournal"/>).</summary>
internal sealed class GuardedStoreWriter(IEntryStoreWriter inner, Action<string, Exception> noteFault) : IEntryStoreWriter
{
    public void Add(LedgerCommand command)
    {
        try
        {
            inner.Add(command);
        }
        catch (Exception ex) when (Note(ex))
        {
            throw;
        }
    }

    public void EndOfBatch()
    {
        try
        {
            inner.EndOfBatch();
        }
        catch (Exception ex) when (Note(ex))
        {
            throw;
        }
    }

    private bool Note(Exception ex)
    {
        if (ex is not Ledger.Engine.InvariantViolationException) noteFault(WriteFault.EntryStore, ex);
        return false;
    }
}

/// <summary>Notes a read-store write failure (see <see cref="GuardedJournal"/>).</summary>
internal sealed class GuardedReadSink(ICommittedCommandSink inner, Action<string, Exception> noteFault) : ICommittedCommandSink
{
    public void OnCommitted(LedgerCommand command)
    {
        try
        {
            inner.OnCommitted(command);
        }
        catch (Exception ex) when (Note(ex))
        {
            throw;
        }
    }

    public void EndOfBatch()
    {
        try
        {
            inner.EndOfBatch();
        }
        catch (Exception ex) when (Note(ex))
        {
            throw;
        }
    }

    private bool Note(Exception ex)
    {
        if (ex is not Ledger.Engine.InvariantViolationException) noteFault(WriteFault.ReadStore, ex);
        return false;
    }
}
