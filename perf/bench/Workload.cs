using System.Globalization;

namespace Ledger.Bench;

/// <summary>One kind of request the generator sends.</summary>
public enum OpKind : byte
{
    /// <summary>A batch of cash deposits (code 100, credit).</summary>
    Deposit,
    /// <summary>A batch of POS purchases (code 998, ledger debit).</summary>
    Debit,
    /// <summary>A batch of holds (code 998, blocking).</summary>
    Hold,
    /// <summary>Releases one acknowledged hold (unblocking, all that remains).</summary>
    Release,
    /// <summary>Reverses one acknowledged deposit or debit.</summary>
    Reversal,
    /// <summary>Sends an acknowledged request again, byte for byte: must answer 2xx and change nothing.</summary>
    Replay,
    /// <summary>A two-leg transaction bundle: transfer out (200) of one account, transfer in (201) to another.</summary>
    Bundle,
    /// <summary>GET balances.</summary>
    Balance,
    /// <summary>GET the statement (first page).</summary>
    Statement,
}

/// <summary>
/// Weights of the operations, from the command line: <c>deposit=70,debit=10,hold=5,release=5,reversal=3,replay=2,bundle=2,balance=2,statement=1</c>.
/// A follow-up (release, reversal, replay) with nothing to follow yet is sent as a deposit.
/// </summary>
public sealed class WorkloadMix
{
    private static readonly int KindCount = Enum.GetValues<OpKind>().Length;
    private readonly double[] _cumulative;

    private WorkloadMix(double[] weights)
    {
        Weights = weights;
        _cumulative = new double[weights.Length];
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            sum += weights[i];
            _cumulative[i] = sum;
        }
        TotalWeight = sum;
    }

    public IReadOnlyList<double> Weights { get; }
    public double TotalWeight { get; }

    public bool Has(OpKind kind) => Weights[(int)kind] > 0;

    /// <summary>Whether the mix takes money out of accounts (then they are funded first).</summary>
    public bool MovesMoneyOut => Has(OpKind.Debit) || Has(OpKind.Hold) || Has(OpKind.Bundle) || Has(OpKind.Reversal);

    public OpKind Pick(double uniform01)
    {
        double x = uniform01 * TotalWeight;
        for (int i = 0; i < _cumulative.Length; i++)
        {
            if (x < _cumulative[i]) return (OpKind)i;
        }
        for (int i = _cumulative.Length - 1; i >= 0; i--)
        {
            if (Weights[i] > 0) return (OpKind)i;
        }
        return OpKind.Deposit;
    }

    /// <summary>Parses <c>name=weight,...</c>; throws <see cref="FormatException"/> with a sentence naming the bad part.</summary>
    public static WorkloadMix Parse(string text)
    {
        var weights = new double[KindCount];
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (!Enum.TryParse<OpKind>(kv[0], ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            {
                throw new FormatException($"--mix: '{kv[0]}' is not one of {string.Join(", ", Enum.GetNames<OpKind>()).ToLowerInvariant()}.");
            }
            double weight = 1;
            if (kv.Length == 2 && (!double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out weight) || weight < 0))
            {
                throw new FormatException($"--mix: the weight of '{kv[0]}' must be a non-negative number.");
            }
            weights[(int)kind] = weight;
        }
        return new WorkloadMix(weights);
    }

    public override string ToString()
    {
        var parts = new List<string>();
        for (int i = 0; i < Weights.Count; i++)
        {
            if (Weights[i] > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{((OpKind)i).ToString().ToLowerInvariant()}={Weights[i]}"));
        }
        return string.Join(',', parts);
    }
}

/// <summary>Picks an account index 0..count-1 by the distribution. Not thread-safe: one per dispatcher or worker.</summary>
public sealed class AccountPicker
{
    private readonly BenchOptions _options;
    private readonly double[]? _zipfCdf;

    public AccountPicker(BenchOptions options, double[]? sharedZipfCdf)
    {
        _options = options;
        _zipfCdf = sharedZipfCdf;
    }

    /// <summary>The Zipf CDF over the accounts, built once and shared by every picker.</summary>
    public static double[]? BuildZipfCdf(BenchOptions options)
    {
        if (options.Distribution != AccountDistribution.Zipf) return null;
        var cdf = new double[options.Accounts];
        double sum = 0;
        for (int i = 0; i < cdf.Length; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, options.ZipfExponent);
            cdf[i] = sum;
        }
        for (int i = 0; i < cdf.Length; i++) cdf[i] /= sum;
        return cdf;
    }

    public int Next(Random random)
    {
        int count = _options.Accounts;
        switch (_options.Distribution)
        {
            case AccountDistribution.Zipf:
                int at = Array.BinarySearch(_zipfCdf!, random.NextDouble());
                return Math.Min(at < 0 ? ~at : at, count - 1);
            case AccountDistribution.Hot:
                return random.NextDouble() < _options.HotShare ? random.Next(_options.HotAccounts) : random.Next(count);
            default:
                return random.Next(count);
        }
    }
}

/// <summary>
/// One request, planned: enough to write its body again byte for byte (replays, and re-sends of unknown outcomes).
/// Correlation ids are <c>{run}-{seq:D10}-{index:D3}</c>, so a reference is a (seq, index) pair, no string kept.
/// <see cref="Replay"/> marks a second send of an acknowledged request: same body, no effect expected.
/// </summary>
public readonly record struct PlannedRequest(OpKind Kind, int Account, int Account2, long Seq, long RefSeq, short RefIndex, OpKind RefKind, int Entries, bool Replay)
{
    public bool IsRead => Kind is OpKind.Balance or OpKind.Statement;
}

/// <summary>An acknowledged entry a follow-up may reference.</summary>
public readonly record struct EntryRef(int Account, long Seq, short Index, OpKind Kind);
