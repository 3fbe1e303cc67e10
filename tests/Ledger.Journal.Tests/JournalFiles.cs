using System.Security.Cryptography;
using Ledger.Engine;
using Ledger.Journal.Recovery;

namespace Ledger.Journal.Tests;

/// <summary>Damages journal files the way disks and crashes do, at known records.</summary>
internal static class JournalFiles
{
    /// <summary>Every record's number and FasterLog address (read-only scan).</summary>
    public static List<(long Number, long Address, long Next)> Records(string journalDir, JournalSettings settings)
    {
        using var log = JournalLog.Open(journalDir, settings, readOnly: true);
        var list = new List<(long, long, long)>();
        JournalReader.ReadAll(log, r => list.Add((r.RecordNumber, r.Address, r.NextAddress)));
        return list;
    }

    /// <summary>The segment file and offset holding a FasterLog address.</summary>
    public static (string File, long Offset) Locate(string journalDir, JournalSettings settings, long address)
    {
        long segment = address >> settings.SegmentSizeBits;
        long offset = address & ((1L << settings.SegmentSizeBits) - 1);
        return (Path.Combine(journalDir, $"{JournalLog.LogFileName}.{segment}"), offset);
    }

    public static void FlipByte(string file, long offset, byte mask = 0x5A)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ mask));
    }

    public static void Truncate(string file, long length)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.SetLength(length);
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!file.EndsWith(LedgerStore.LockFileName, StringComparison.Ordinal)) File.Copy(file, target);
        }
    }

    /// <summary>A digest of every file under a directory (names and bytes), to prove a reader changed nothing.</summary>
    public static string Digest(string dir)
    {
        using var sha = SHA256.Create();
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(dir, file));
            sha.TransformBlock(name, 0, name.Length, null, 0);
            var bytes = File.ReadAllBytes(file);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }

    /// <summary>The state hash after records 1..<paramref name="lastRecord"/> of a (healthy) journal.</summary>
    public static ulong HashAfter(string journalDir, JournalSettings settings, long lastRecord)
    {
        using var log = JournalLog.Open(journalDir, settings, readOnly: true);
        LedgerEngine? engine = null;
        var record = new JournalRecord();
        using var cursor = new JournalCursor(log, log.BeginAddress, 1, 0, follow: false);
        while (cursor.TryRead(record) == ReadOutcome.Record && record.RecordNumber <= lastRecord)
        {
            engine ??= new LedgerEngine(record.Command.Catalog!, Ledger.Testing.Commands.SmallEngine);
            LedgerRecovery.ApplyChecked(engine, record);
        }
        return engine!.ComputeStateHash();
    }
}
