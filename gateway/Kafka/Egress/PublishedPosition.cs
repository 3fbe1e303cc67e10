using System.Globalization;

namespace Ledger.Gateway.Kafka.Egress;

/// <summary>
/// How far the event publisher's messages are acknowledged by Kafka: every event of journal records 1..<see cref="Record"/>
/// (the journal continues at <see cref="NextAddress"/>). Saved in <c>&lt;data&gt;/kafka/events-published</c>, written
/// to a temporary file, flushed and renamed over the old one, so a crash leaves the old or the new position, never half.
/// </summary>
internal readonly record struct PublishedPosition(long Record, long NextAddress, long LastSequence, long TimestampTicks)
{
    public static string PathIn(string dataDir) => Path.Combine(dataDir, "kafka", "events-published");

    /// <summary>The saved position, or the journal's start when none was saved.</summary>
    public static PublishedPosition Load(string dataDir)
    {
        string path = PathIn(dataDir);
        if (!File.Exists(path)) return default;
        var parts = File.ReadAllText(path).Trim().Split(' ');
        if (parts.Length != 4 || !parts.All(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new InvalidOperationException($"The Kafka publisher's position '{path}' is not four numbers: delete it to publish the journal from its start again (consumers drop the duplicates by position).");
        }
        var n = parts.Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new PublishedPosition(n[0], n[1], n[2], n[3]);
    }

    /// <summary>Saves the position atomically (temp file, fsync, rename, directory fsync; a failed write leaves no temp file behind).</summary>
    public void Save(string dataDir)
    {
        string path = PathIn(dataDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        byte[] line = System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Record} {NextAddress} {LastSequence} {TimestampTicks}\n"));
        Ledger.Journal.Storage.DurableFiles.WriteAtomically(path, file => file.Write(line));
    }
}
