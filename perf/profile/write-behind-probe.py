#!/usr/bin/env python3
"""What a large file's fsync does to the journal's small commits beside it (docs/perf.md, "The key filter's file reaches
the disk a window at a time").

One thread commits like the journal: 4 KiB appended to a preallocated file with O_DSYNC, back to back, each timed.
Another writes a 128 MiB file in 1 MiB chunks and fsyncs it, like the key filter's save at each checkpoint: either all
at once (the fsync at the end), or with write-behind (journal/Storage/WriteBehind.cs: sync_file_range WRITE of each
8 MiB window as it fills, and a wait for the window before it). Rounds alternate the two; each prints the commits' p50,
p99 and max during the big write and how long the big write took.

Usage: python3 perf/profile/write-behind-probe.py [directory, default /tmp] [rounds, default 4]
"""
import ctypes, os, sys, threading, time

directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
WAIT_BEFORE, WRITE, WAIT_AFTER = 1, 2, 4
BIG, CHUNK, WINDOW = 128 << 20, 1 << 20, 8 << 20


def big_write(path, behind):
    chunk = os.urandom(CHUNK)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    started = waited = 0
    try:
        for offset in range(0, BIG, CHUNK):
            os.write(fd, chunk)
            end = offset + CHUNK
            if behind and end - started >= WINDOW:
                libc.sync_file_range(fd, started, end - started, WRITE)
                if started > waited:
                    libc.sync_file_range(fd, waited, started - waited, WAIT_BEFORE | WRITE | WAIT_AFTER)
                waited, started = started, end
        os.fsync(fd)
    finally:
        os.close(fd)


def commits(path, stop, latencies):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DSYNC, 0o644)
    block = os.urandom(4096)
    offset = 0
    try:
        while not stop.is_set():
            t = time.perf_counter()
            os.pwrite(fd, block, offset)
            latencies.append(time.perf_counter() - t)
            offset = (offset + 4096) % (64 << 20)
    finally:
        os.close(fd)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


journal = os.path.join(directory, "write-behind-probe.journal")
big = os.path.join(directory, "write-behind-probe.big")
with open(journal, "wb") as f:  # preallocated and on disk, as the journal's segments are
    f.write(b"\0" * (64 << 20)); f.flush(); os.fsync(f.fileno())
try:
    for round_ in range(1, rounds + 1):
        for behind in (False, True):
            stop, latencies = threading.Event(), []
            committer = threading.Thread(target=commits, args=(journal, stop, latencies))
            committer.start()
            time.sleep(1.0)
            quiet = len(latencies)
            t = time.perf_counter()
            big_write(big, behind)
            took = time.perf_counter() - t
            stop.set(); committer.join()
            during = latencies[quiet:]
            print(f"round {round_} {'write-behind' if behind else 'one fsync   '}: commits during the big write {len(during):5d}, "
                  f"p50 {percentile(during, 0.5) * 1e3:6.2f} ms, p99 {percentile(during, 0.99) * 1e3:7.2f} ms, max {max(during) * 1e3:7.2f} ms; "
                  f"quiet p50 {percentile(latencies[:quiet], 0.5) * 1e3:5.2f} ms; big write {took:5.2f} s", flush=True)
            os.remove(big)
            time.sleep(1.0)
finally:
    os.remove(journal)
