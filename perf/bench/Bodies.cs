using System.Buffers.Text;
using System.Text;

namespace Ledger.Bench;

/// <summary>
/// Request bodies and paths. Batches of deposits, debits and holds come from a template built once per kind: a request
/// copies it into a pooled buffer and writes its 10-digit sequence number where the correlation ids need it, so the
/// generator allocates no string per request. Follow-ups (release, reversal, bundle) are written field by field.
/// </summary>
public sealed class Bodies
{
    public const long DepositMinor = 1_000;
    public const long DebitMinor = 100;
    public const long HoldMinor = 500;
    public const long TransferMinor = 100;
    private const int SeqDigits = 10;
    private const int DynamicBytesMax = 1_024;

    private readonly string _run;
    private readonly int _branch;
    private readonly long _firstAccount;
    private readonly Template[] _templates;
    private readonly string?[]? _batchPaths;

    public Bodies(string run, BenchOptions options)
    {
        _run = run;
        _branch = options.Branch;
        _firstAccount = options.FirstAccount;
        _templates =
        [
            Template.Build(run, "ledger", 100, DepositMinor, options.BatchSize),
            Template.Build(run, "ledger", 998, DebitMinor, options.BatchSize),
            Template.Build(run, "blocking", 998, HoldMinor, options.BatchSize),
        ];
        // Paths cached per account while that stays small; past it one string per request.
        if (options.Accounts <= 100_000) _batchPaths = new string?[options.Accounts];
    }

    public string Run => _run;

    public long AccountNumber(int index) => _firstAccount + index;

    public string CorrelationId(long seq, int index) => $"{_run}-{seq:D10}-{index:D3}";

    public int SizeMax(in PlannedRequest p) => p.Kind <= OpKind.Hold ? _templates[(int)p.Kind].Bytes.Length : DynamicBytesMax;

    public string PathOf(in PlannedRequest p)
    {
        switch (p.Kind)
        {
            case OpKind.Bundle:
                return "/v1/transaction-bundles";
            case OpKind.Balance:
                return $"/v1/accounts/{_branch}/{AccountNumber(p.Account)}/balances";
            case OpKind.Statement:
                return $"/v1/entries?branch={_branch}&account={AccountNumber(p.Account)}";
            default:
                if (_batchPaths is null) return BatchPath(p.Account);
                return _batchPaths[p.Account] ??= BatchPath(p.Account);
        }
    }

    private string BatchPath(int account) => $"/v1/accounts/{_branch}/{AccountNumber(account)}/batches";

    /// <summary>Writes the body of <paramref name="p"/>; returns its length. The buffer holds at least <see cref="SizeMax"/> bytes.</summary>
    public int Write(in PlannedRequest p, Span<byte> buffer)
    {
        if (p.Kind <= OpKind.Hold) return _templates[(int)p.Kind].Write(p.Seq, buffer);
        var w = new Utf8Writer(buffer);
        switch (p.Kind)
        {
            case OpKind.Release:
                w.Ascii("{\"entries\":[{\"entryKind\":\"unblocking\",\"correlationId\":\"");
                WriteId(ref w, p.Seq, 0);
                w.Ascii("\",\"unblocks\":\"");
                WriteId(ref w, p.RefSeq, p.RefIndex);
                w.Ascii("\"}]}");
                break;
            case OpKind.Reversal:
                w.Ascii("{\"entries\":[{\"entryKind\":\"reversal\",\"correlationId\":\"");
                WriteId(ref w, p.Seq, 0);
                w.Ascii("\",\"reverses\":\"");
                WriteId(ref w, p.RefSeq, p.RefIndex);
                w.Ascii("\"}]}");
                break;
            case OpKind.Bundle:
                w.Ascii("{\"bundleId\":\"");
                w.Ascii(_run);
                w.Ascii("-");
                w.Number(p.Seq);
                w.Ascii("\",\"legs\":[");
                WriteLeg(ref w, p.Account, p.Seq, 0, 200);
                w.Ascii(",");
                WriteLeg(ref w, p.Account2, p.Seq, 1, 201);
                w.Ascii("]}");
                break;
            default:
                throw new InvalidOperationException($"{p.Kind} has no body.");
        }
        return w.Length;
    }

    private void WriteLeg(ref Utf8Writer w, int account, long seq, int index, int code)
    {
        w.Ascii("{\"branch\":");
        w.Number(_branch);
        w.Ascii(",\"account\":");
        w.Number(AccountNumber(account));
        w.Ascii(",\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"");
        WriteId(ref w, seq, index);
        w.Ascii("\",\"entryType\":");
        w.Number(code);
        w.Ascii(",\"amount\":{\"value\":");
        w.Number(TransferMinor);
        w.Ascii(",\"currency\":\"USD\"}}]}");
    }

    private void WriteId(ref Utf8Writer w, long seq, int index)
    {
        w.Ascii(_run);
        w.Ascii("-");
        w.Fixed(seq, SeqDigits);
        w.Ascii("-");
        w.Fixed(index, 3);
    }

    /// <summary>A batch body with the sequence digits left blank: offsets say where each entry's go.</summary>
    private sealed class Template
    {
        private Template(byte[] bytes, int[] seqOffsets)
        {
            Bytes = bytes;
            SeqOffsets = seqOffsets;
        }

        public byte[] Bytes { get; }
        public int[] SeqOffsets { get; }

        public static Template Build(string run, string kind, int code, long amountMinor, int batch)
        {
            var text = new StringBuilder("{\"entries\":[");
            var offsets = new int[batch];
            for (int i = 0; i < batch; i++)
            {
                if (i > 0) text.Append(',');
                text.Append("{\"entryKind\":\"").Append(kind).Append("\",\"correlationId\":\"").Append(run).Append('-');
                offsets[i] = text.Length; // ASCII only: chars are bytes
                text.Append('0', SeqDigits).Append('-').Append(i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture))
                    .Append("\",\"entryType\":").Append(code).Append(",\"amount\":{\"value\":").Append(amountMinor).Append(",\"currency\":\"USD\"}}");
            }
            text.Append("]}");
            return new Template(Encoding.ASCII.GetBytes(text.ToString()), offsets);
        }

        public int Write(long seq, Span<byte> buffer)
        {
            Bytes.CopyTo(buffer);
            Span<byte> digits = stackalloc byte[SeqDigits];
            var w = new Utf8Writer(digits);
            w.Fixed(seq, SeqDigits);
            foreach (int offset in SeqOffsets) digits.CopyTo(buffer[offset..]);
            return Bytes.Length;
        }
    }
}

/// <summary>Appends ASCII text and numbers to a span (the caller sized it).</summary>
public ref struct Utf8Writer
{
    private readonly Span<byte> _buffer;

    public Utf8Writer(Span<byte> buffer)
    {
        _buffer = buffer;
        Length = 0;
    }

    public int Length { get; private set; }

    public void Ascii(string text)
    {
        Length += Encoding.ASCII.GetBytes(text, _buffer[Length..]);
    }

    public void Number(long value)
    {
        if (!Utf8Formatter.TryFormat(value, _buffer[Length..], out int written)) throw new InvalidOperationException("body buffer too small");
        Length += written;
    }

    /// <summary>Zero-padded to <paramref name="digits"/> digits (the value must fit).</summary>
    public void Fixed(long value, int digits)
    {
        for (int i = digits - 1; i >= 0; i--)
        {
            _buffer[Length + i] = (byte)('0' + (value % 10));
            value /= 10;
        }
        Length += digits;
    }
}
