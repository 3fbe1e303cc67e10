using Ledger.Journal.Entries;

namespace Ledger.Journal.Tests;

/// <summary>A data directory under the temp folder, deleted at dispose.</summary>
public sealed class TempDataDir : IDisposable
{
    public TempDataDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ledger-journal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Journal => System.IO.Path.Combine(Path, LedgerStore.JournalDirectoryName);

    public string Store => System.IO.Path.Combine(Path, EntryStore.DirectoryName);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
