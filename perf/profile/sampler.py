#!/usr/bin/env python3
"""One line every 0.2 s about a running gateway (perf/soak/run-open-loop.sh with SAMPLE=1): ring depth, read-store lag
and GC heap from /metrics, journal commits and their mean time, the disk's completed writes / ms writing / MB written
(/proc/diskstats, the first virtio or NVMe disk), and the five busiest thread names (% of one core). A line whose time
jumps by more than 0.2 s is a stall: /metrics waited (a checkpoint holds the store's lock while it flushes).

Usage: python3 perf/profile/sampler.py <gateway pid> <base url> <seconds>
"""
import glob, os, re, sys, time, urllib.request

pid, url, seconds, step = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), 0.2
hz = os.sysconf("SC_CLK_TCK")
names = ["ledger_ring_depth", "ledger_read_store_lag_records", "ledger_memory_gc_heap_bytes",
         "ledger_journal_commit_seconds_count", "ledger_journal_commit_seconds_sum"]


def threads():
    ticks = {}
    for path in glob.glob(f"/proc/{pid}/task/*/stat"):
        try:
            text = open(path).read()
        except OSError:
            continue
        name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        ticks[name] = ticks.get(name, 0) + int(fields[11]) + int(fields[12])
    return ticks


def disk():
    for line in open("/proc/diskstats"):
        f = line.split()
        if re.fullmatch(r"(vd|sd|xvd)[a-z]|nvme\dn\d", f[2]):
            return int(f[7]), int(f[10]), int(f[9])  # writes completed, ms writing, sectors written
    return 0, 0, 0


def metrics():
    try:
        text = urllib.request.urlopen(url + "/metrics", timeout=1).read().decode()
    except OSError:
        return {}
    found = {}
    for name in names:
        m = re.search(r"^" + name + r"(?:\{[^}]*\})? ([0-9.e+-]+)$", text, re.M)
        if m:
            found[name] = float(m.group(1))
    return found


start = time.time()
last_threads, last_disk, last_metrics = threads(), disk(), metrics()
while time.time() - start < seconds:
    time.sleep(step)
    now_threads, now_disk, now_metrics = threads(), disk(), metrics()
    cpu = sorted(((k, (v - last_threads.get(k, 0)) * 100 / hz / step) for k, v in now_threads.items()), key=lambda x: -x[1])[:5]
    commits = now_metrics.get(names[3], 0) - last_metrics.get(names[3], 0)
    commit_seconds = now_metrics.get(names[4], 0) - last_metrics.get(names[4], 0)
    print("%6.1f ring %5d rlag %7d heapMB %5d commits %4d mean %.2f ms | disk writes %4d, %5d ms, %5.1f MB | %s" % (
        time.time() - start, now_metrics.get(names[0], 0), now_metrics.get(names[1], 0), now_metrics.get(names[2], 0) / 1e6,
        commits, commit_seconds / commits * 1000 if commits > 0 else 0, now_disk[0] - last_disk[0], now_disk[1] - last_disk[1],
        (now_disk[2] - last_disk[2]) * 512 / 1e6, " ".join("%s:%d" % (k[:14], v) for k, v in cpu if v >= 5)), flush=True)
    last_threads, last_disk, last_metrics = now_threads, now_disk, now_metrics
