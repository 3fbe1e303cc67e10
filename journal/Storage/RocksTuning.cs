using System.Runtime.InteropServices;
using RocksDbSharp;

namespace Ledger.Journal.Storage;

/// <summary>How the stores compact what they hold (see docs/decisions.md, "History written about once").</summary>
public enum StoreCompaction
{
    /// <summary>
    /// Universal (tiered) compaction, the default: sorted runs are merged only when several of similar size pile up, so
    /// a history that only grows is rewritten a few times in its life instead of once per level.
    /// </summary>
    Universal,

    /// <summary>RocksDB's leveled compaction (dynamic level sizes): less space, more rewriting.</summary>
    Level,
}

/// <summary>
/// The one RocksDB tuning of both stores (the entry store and the Balance &amp; Statements read store): bounded RAM (index
/// and filter partitions live in the block cache), bloom filters, LZ4, the compaction style, and the background threads,
/// which every store of the process shares (RocksDB's default environment: one compaction budget, not one per store).
/// Usage: <c>var table = RocksTuning.Table(cache, 8 * 1024, 10); var family = RocksTuning.Family(table, 64L &lt;&lt; 20, 3, StoreCompaction.Universal, RocksTuning.CompactionTriggerDefault);</c>
/// </summary>
public static partial class RocksTuning
{
    /// <summary>
    /// Sorted runs (universal) or level-0 files (level) that start a compaction, for both stores: 12, not RocksDB's 4.
    /// Measured with the storage probe (docs/perf.md, "Fewer merges"): the keys by account overlap every older run, so
    /// each merge rewrites them; letting 12 runs gather before a merge halved compaction's CPU per entry and brought the
    /// bytes written per entry under 3× the journal's. A read then looks into up to 12 runs instead of 4 (bloom filters
    /// spare point lookups most of them; a statement's range scan merges them).
    /// </summary>
    public const int CompactionTriggerDefault = 12;

    /// <summary>Memtable inserts with hints by account (<see cref="InsertHintByPrefix"/>) in both stores, unless configured off.</summary>
    public const bool InsertHintsDefault = true;

    /// <summary>The bounds of a compaction trigger: RocksDB slows writes at 20 level-0 files, so a trigger must stay well below.</summary>
    public const int CompactionTriggerMin = 2, CompactionTriggerMax = 16;

    /// <summary>Block-based tables whose index and filter partitions live in <paramref name="cache"/>: RAM stays what the cache allows, however large the store. A <paramref name="bloomBitsPerKey"/> of 0: no filter.</summary>
    public static BlockBasedTableOptions Table(Cache cache, int blockBytes, int bloomBitsPerKey)
    {
        var table = new BlockBasedTableOptions()
            .SetBlockCache(cache)
            .SetCacheIndexAndFilterBlocks(true)
            .SetPinL0FilterAndIndexBlocksInCache(true)
            .SetFormatVersion(5)
            .SetBlockSize((ulong)blockBytes);
        var native = Native.Instance;
        if (bloomBitsPerKey > 0) native.rocksdb_block_based_options_set_filter_policy(table.Handle, native.rocksdb_filterpolicy_create_bloom_full(bloomBitsPerKey));
        // Partitioned index and filters: a lookup loads one small partition, never a whole file's filter (a full filter of
        // a large file is megabytes; evicted and reloaded per lookup, it costs a copy of megabytes per new correlation id).
        native.rocksdb_block_based_options_set_index_type(table.Handle, 2); // kTwoLevelIndexSearch
        native.rocksdb_block_based_options_set_partition_filters(table.Handle, 1);
        native.rocksdb_block_based_options_set_metadata_block_size(table.Handle, 4096);
        native.rocksdb_block_based_options_set_pin_top_level_index_and_filter(table.Handle, 1);
        native.rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(table.Handle, 1);
        return table;
    }

    /// <summary>
    /// The column family: the table factory (it belongs here: the default family ignores the DB options' one), memtables,
    /// LZ4, the compaction style and how many sorted runs (or level-0 files) start a compaction.
    /// </summary>
    public static ColumnFamilyOptions Family(BlockBasedTableOptions table, long writeBufferBytes, int writeBuffersMax, StoreCompaction compaction, int compactionTrigger)
    {
        var family = new ColumnFamilyOptions()
            .SetBlockBasedTableFactory(table)
            .SetWriteBufferSize((ulong)writeBufferBytes)
            .SetMaxWriteBufferNumber(writeBuffersMax)
            .SetLevel0FileNumCompactionTrigger(compactionTrigger)
            .SetCompression(Compression.Lz4);
        if (compaction == StoreCompaction.Level)
        {
            family.SetLevelCompactionDynamicLevelBytes(true);
            return family;
        }
        var native = Native.Instance;
        native.rocksdb_options_set_compaction_style(family.Handle, 1); // kCompactionStyleUniversal
        var universal = native.rocksdb_universal_compaction_options_create();
        native.rocksdb_universal_compaction_options_set_allow_trivial_move(universal, 1); // runs that do not overlap move without a rewrite
        native.rocksdb_options_set_universal_compaction_options(family.Handle, universal);
        native.rocksdb_universal_compaction_options_destroy(universal); // the options copied it
        return family;
    }

    /// <summary>
    /// Memtable inserts of keys that share their first <paramref name="prefixBytes"/> bytes (a store's keys by account:
    /// a kind byte and the account) start from where the last insert of that prefix went, instead of from the top of the
    /// memtable's skip list (RocksDB's insert hints). An account's keys mostly append (sequences, times), so a key by
    /// account costs about what an appended key costs, not a search of the whole memtable (measured in docs/perf.md,
    /// "2026-12-07 (later)"). Keys shorter than the prefix insert as before. The hints live and die with each memtable.
    /// </summary>
    public static void InsertHintByPrefix(this ColumnFamilyOptions family, int prefixBytes)
    {
        // The C API has no setter for it; the options-string parser sets it in place (its result is copied over the base).
        GetOptionsFromString(family.Handle, $"memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.{prefixBytes}", family.Handle, out IntPtr error);
        if (error != IntPtr.Zero) throw new RocksDbException(error);
    }

    /// <summary>
    /// The database: background flushes and compactions in the process-wide pool (<paramref name="backgroundJobs"/> threads
    /// at most, shared with the other store), RocksDB's own log kept short. A read-only open writes nothing into the
    /// directory (its info log goes to a temporary folder) and opens every file at once, so the writer's compactions
    /// cannot pull one away.
    /// </summary>
    public static DbOptions Database(bool readOnly, int backgroundJobs) => new DbOptions()
        .SetCreateIfMissing(!readOnly)
        .IncreaseParallelism(backgroundJobs)
        .SetDbLogDir(readOnly ? Path.Combine(Path.GetTempPath(), "ledger-store-readonly-logs") : "")
        .SetMaxBackgroundCompactions(backgroundJobs)
        .SetMaxBackgroundFlushes(1)
        .SetKeepLogFileNum(4)
        .SetMaxOpenFiles(readOnly ? -1 : 4096);

    /// <summary>
    /// Flushes the memtables of <paramref name="families"/> as one flush whose files enter the store together (RocksDB's
    /// atomic flush; the database must be opened with <see cref="AtomicFlush"/>). A store whose column families must
    /// agree without a write-ahead log needs it: flushed one by one, a write landing between the two flushes would be
    /// durable in one family and not in the other. RocksDbSharp binds only the one-family flush.
    /// </summary>
    public static void FlushTogether(RocksDb db, FlushOptions options, params ColumnFamilyHandle[] families)
    {
        var handles = new IntPtr[families.Length];
        for (int i = 0; i < families.Length; i++) handles[i] = families[i].Handle;
        FlushColumnFamilies(db.Handle, options.Handle, handles, handles.Length, out IntPtr error);
        if (error != IntPtr.Zero) throw new RocksDbException(error);
    }

    /// <summary>
    /// Flushes cover every column family at once, automatic ones included (a full memtable in one family flushes all):
    /// without a write-ahead log, families flushed apart could persist one half of a write batch.
    /// </summary>
    public static DbOptions AtomicFlush(this DbOptions options)
    {
        Native.Instance.rocksdb_options_set_atomic_flush(options.Handle, 1);
        return options;
    }

    /// <summary>
    /// Compactions run at the lowest CPU priority (nice 19) from their next job on, in the whole process: RocksDB's default
    /// environment's compaction pool, which every store shares. They then take the cores the pipeline and Kestrel leave,
    /// instead of a share beside them: below the peak a merge no longer queues the 201s behind it. On a saturated box they
    /// wait until RocksDB slows the stores' writes (20 level-0 files), so slow stretches come more often there. Flushes keep
    /// their priority (a flush that falls behind stops the writes). RocksDB only lowers a pool's priority, never raises it
    /// back, so this holds until the process ends. Measured in docs/perf.md ("2026-12-07 (seventh session): compactions at
    /// low priority").
    /// </summary>
    public static void LowerCompactionPriority()
    {
        IntPtr env = CreateDefaultEnv(); // a wrapper of Env::Default(); destroying it leaves the environment itself alone
        try { LowerThreadPoolCpuPriority(env); }
        finally { DestroyEnv(env); }
    }

    [LibraryImport("rocksdb", EntryPoint = "rocksdb_create_default_env")]
    private static partial IntPtr CreateDefaultEnv();

    [LibraryImport("rocksdb", EntryPoint = "rocksdb_env_lower_thread_pool_cpu_priority")]
    private static partial void LowerThreadPoolCpuPriority(IntPtr env);

    [LibraryImport("rocksdb", EntryPoint = "rocksdb_env_destroy")]
    private static partial void DestroyEnv(IntPtr env);

    [LibraryImport("rocksdb", EntryPoint = "rocksdb_get_options_from_string", StringMarshalling = StringMarshalling.Utf8)]
    private static partial void GetOptionsFromString(IntPtr baseOptions, string options, IntPtr newOptions, out IntPtr error);

    [LibraryImport("rocksdb", EntryPoint = "rocksdb_flush_cfs")]
    private static partial void FlushColumnFamilies(IntPtr db, IntPtr options, [In] IntPtr[] families, int count, out IntPtr error);
}
