using System.Runtime.InteropServices;
using System.Text;

namespace Ledger.Testing;

/// <summary>
/// librdkafka's mock cluster: real Kafka brokers speaking the wire protocol on loopback TCP, shared by every client the
/// test points at <see cref="BootstrapServers"/> (the service's producer and consumers, the test's own, kcat). Started
/// through librdkafka's C API on a throwaway handle; topics are created up front.
/// Each partition keeps at most 5 MB (or 100 000 message sets): past that the mock deletes the oldest, as retention
/// would, so a test that must read everything back keeps each partition under that (more partitions, more keys).
/// Usage: <c>using var kafka = KafkaMockCluster.Start("ledger.events"); ... kafka.BootstrapServers ...</c>
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    private const string NativeName = "librdkafka";
    private static readonly object Gate = new();
    private static bool _resolverSet;

    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;

    private KafkaMockCluster(IntPtr handle, IntPtr cluster, string bootstraps)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = bootstraps;
    }

    public string BootstrapServers { get; }

    public static KafkaMockCluster Start(params string[] topics) => Start(partitions: 4, topics);

    public static KafkaMockCluster Start(int partitions, params string[] topics)
    {
        UseConfluentsLibrary();
        var error = new byte[512];
        var conf = rd_kafka_conf_new();
        var handle = rd_kafka_new(1 /* producer */, conf, error, (UIntPtr)error.Length);
        if (handle == IntPtr.Zero) throw new InvalidOperationException($"rd_kafka_new: {Encoding.ASCII.GetString(error).TrimEnd('\0')}");
        var cluster = rd_kafka_mock_cluster_new(handle, 1);
        if (cluster == IntPtr.Zero) throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        foreach (var topic in topics)
        {
            int code = rd_kafka_mock_topic_create(cluster, topic, partitions, 1);
            if (code != 0) throw new InvalidOperationException($"rd_kafka_mock_topic_create {topic}: error {code}");
        }
        return new KafkaMockCluster(handle, cluster, Marshal.PtrToStringAnsi(rd_kafka_mock_cluster_bootstraps(cluster))!);
    }

    /// <summary>Stops the cluster (a test may take Kafka down before its end: a second call does nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        rd_kafka_mock_cluster_destroy(_cluster);
        rd_kafka_destroy(_handle);
    }

    private int _disposed;

    /// <summary>Makes the broker answer every request <paramref name="delay"/> late (a slow or distant Kafka); zero undoes it.</summary>
    public void DelayAnswers(TimeSpan delay)
    {
        int code = rd_kafka_mock_broker_set_rtt(_cluster, 1, (int)delay.TotalMilliseconds);
        if (code != 0) throw new InvalidOperationException($"rd_kafka_mock_broker_set_rtt: error {code}");
    }

    /// <summary>
    /// Confluent.Kafka loads its own copy of librdkafka (on Debian 12 the centos8 build: the default one needs
    /// libsasl2.so.3); P/Invoke here must bind to that same library, so the mock and the clients share one runtime.
    /// </summary>
    private static void UseConfluentsLibrary()
    {
        lock (Gate)
        {
            if (_resolverSet) return;
            _ = Confluent.Kafka.Library.Version; // makes Confluent.Kafka load librdkafka now
            string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            string[] candidates = [Path.Combine(dir, "librdkafka.so"), Path.Combine(dir, "centos8-librdkafka.so")];
            NativeLibrary.SetDllImportResolver(typeof(KafkaMockCluster).Assembly, (name, assembly, path) =>
            {
                if (name != NativeName) return IntPtr.Zero;
                // The one already in the process first: dlopen of the same path returns the same handle.
                foreach (var candidate in candidates.Reverse())
                {
                    if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var loaded) && NativeLibrary.TryGetExport(loaded, "rd_kafka_mock_cluster_new", out _))
                    {
                        return loaded;
                    }
                }
                return IntPtr.Zero;
            });
            _resolverSet = true;
        }
    }

    [DllImport(NativeName)] private static extern IntPtr rd_kafka_conf_new();
    [DllImport(NativeName)] private static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);
    [DllImport(NativeName)] private static extern void rd_kafka_destroy(IntPtr handle);
    [DllImport(NativeName)] private static extern IntPtr rd_kafka_mock_cluster_new(IntPtr handle, int brokers);
    [DllImport(NativeName)] private static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);
    [DllImport(NativeName)] private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
    [DllImport(NativeName)] private static extern int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);
    [DllImport(NativeName)] private static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);
    [DllImport(NativeName)] private static extern int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);
}
