#!/usr/bin/env bash
# Storage probe (docs/perf.md, "Where the bytes and the CPU go"): the gateway of a checkout on a fresh data directory,
# 1 000 accounts, wrk posting deposit batches for SECONDS; then, over the measured window only:
#   entries/s, bytes the process wrote to disk per entry (/proc/<pid>/io write_bytes), the journal's own bytes per
#   entry, bytes on disk per entry (journal, entry store, read store), and CPU per thread name (per cent of one core;
#   rocksdb:low is compaction, rocksdb:high flush, ledger-* the pipeline stages).
# Usage: perf/soak/run-storage-probe.sh [checkout, default .] [seconds, default 60] [batch, default 100] [extra gateway args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null && command -v curl >/dev/null || { echo "install wrk and curl first: apt-get update && apt-get install -y wrk curl"; exit 1; }
CHECKOUT=$(cd "${1:-.}" && pwd); SECONDS_RUN=${2:-60}; BATCH=${3:-100}; shift $(( $# < 3 ? $# : 3 ))
PORT=${LEDGER_PERF_PORT:-8095}; URL=http://127.0.0.1:$PORT; ACCOUNTS=${ACCOUNTS:-1000}; CONNECTIONS=${CONNECTIONS:-32}
DATA=$(mktemp -d "${SOAK_DATA:-/tmp}/ledger-probe.XXXXXX")
LOG=$DATA.log
[ "${NO_BUILD:-0}" = 1 ] || dotnet build -c Release "$CHECKOUT/gateway" -v quiet -nologo > /dev/null
dotnet "$CHECKOUT/gateway/bin/Release/net10.0/Ledger.Gateway.dll" --urls=$URL --Ledger:DataDir="$DATA" --Ledger:RateLimit:PermitsPerSecond=0 \
  --Logging:LogLevel:Default=Warning "$@" > "$LOG" 2>&1 &
GATEWAY=$!
trap 'kill -TERM $GATEWAY 2>/dev/null; wait $GATEWAY 2>/dev/null; rm -rf "$DATA" "$LOG"' EXIT
for _ in $(seq 1 600); do curl -sf -o /dev/null $URL/health/ready && break; sleep 0.1; done
token() { curl -s $URL/connect/token -d grant_type=client_credentials -d client_id=$1 -d client_secret=$2 | tr -d '\n ' | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
ADMIN=$(token ledger-admin admin-secret); export TOKEN; TOKEN=$(token demo-partner demo-secret)
seq 1 "$ACCOUNTS" | sed 's/^/1,/; s/$/,USD/' | curl -sf -X POST $URL/v1/accounts/import -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: text/csv' --data-binary @- > /dev/null
# Warm up 5 s (JIT, pools), then measure.
env BATCH="$BATCH" ACCOUNTS="$ACCOUNTS" THREADS=2 CONNECTIONS="$CONNECTIONS" wrk -t2 -c"$CONNECTIONS" -d5s -s perf/http/post-batch.lua $URL > /dev/null 2>&1 || true

threads() { for t in /proc/$GATEWAY/task/*; do awk '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) .*/, "", c); n = split($0, f, ") "); split(f[n], g, " "); print c "\t" g[12] + g[13] }' "$t/stat" 2>/dev/null; done | awk -F'\t' '{ s[$1] += $2 } END { for (k in s) print k "\t" s[k] }'; }
io() { awk '/^write_bytes:/ { print $2 }' /proc/$GATEWAY/io; }
journal_bytes() { du -sb "$DATA/journal" 2>/dev/null | cut -f1; }
before_threads=$(threads); before_io=$(io); before_journal=$(journal_bytes)
result=$(env BATCH="$BATCH" ACCOUNTS="$ACCOUNTS" THREADS=2 CONNECTIONS="$CONNECTIONS" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}"s --latency -s perf/http/post-batch.lua $URL 2>&1 | grep '^RESULT')
after_threads=$(threads); after_io=$(io); after_journal=$(journal_bytes)
memory=$(awk '/^(Rss|AnonHugePages):/ { printf "%s %d MiB  ", $1, $2 / 1024 }' /proc/$GATEWAY/smaps_rollup)
entries=$(echo "$result" | sed -E 's/.*requests=([0-9]+).*/\1/'); entries=$(( entries * BATCH ))
hz=$(getconf CLK_TCK)
echo "checkout: $CHECKOUT ($(git -C "$CHECKOUT" rev-parse --short HEAD)); batch $BATCH; $SECONDS_RUN s; args: $*"
echo "$result"
echo "memory at the end: $memory"
awk -v e="$entries" -v w=$(( after_io - before_io )) -v j=$(( after_journal - before_journal )) 'BEGIN {
  printf "entries %d; written to disk %.1f B/entry; journal %.1f B/entry; written / journal %.2f\n", e, w / e, j / e, (j > 0 ? w / j : 0) }'
for d in journal store read; do [ -d "$DATA/$d" ] && printf 'on disk %-8s %8.1f B/entry (incl. warm-up)\n' "$d" "$(du -sb "$DATA/$d" | awk -v e="$entries" '{ print $1 / e }')"; done
echo "CPU per thread name over the window (% of one core):"
join -t$'\t' -a2 -e0 -o '0,1.2,2.2' <(echo "$before_threads" | sort) <(echo "$after_threads" | sort) |
  awk -F'\t' -v hz="$hz" -v s="$SECONDS_RUN" -v e="$entries" '{ p = ($3 - $2) * 100 / hz / s; if (p >= 0.5) printf "  %-24s %6.1f  %6.2f us/entry\n", $1, p, p / 100 * s * 1e6 / e; t += p }
    END { printf "  %-24s %6.1f  %6.2f us/entry (CPU of the service per entry: the figure that survives a shared machine)\n", "total", t, t / 100 * s * 1e6 / e }' | sort -k2 -n -r
# Where compaction goes, by store and column family: RocksDB's own account in each store's LOG (its compaction_started /
# compaction_finished events, warm-up included), CPU seconds and bytes written per family and why it compacted.
python3 - "$DATA" <<'PY'
import glob, json, os, sys
from collections import defaultdict
for store in ("store", "read"):
    started, cpu, out, count, reasons = {}, defaultdict(float), defaultdict(float), defaultdict(int), defaultdict(lambda: defaultdict(int))
    for path in sorted(glob.glob(os.path.join(sys.argv[1], store, "LOG*"))):
        for line in open(path, errors="replace"):
            if "EVENT_LOG_v1" not in line or '"compaction_' not in line: continue
            event = json.loads(line[line.index("{"):])
            if event["event"] == "compaction_started":
                started[event["job"]] = event["cf_name"]; reasons[event["cf_name"]][event.get("compaction_reason", "?")] += 1
            elif event["event"] == "compaction_finished" and event["job"] in started:
                family = started[event["job"]]
                cpu[family] += event["compaction_time_cpu_micros"] / 1e6; out[family] += event["total_output_size"] / 2**20; count[family] += 1
    for family in sorted(cpu):
        why = ", ".join("%s %d" % kv for kv in sorted(reasons[family].items()))
        print("compaction %-5s %-8s %3d jobs, %7.1f s CPU, %8.1f MiB written (%s)" % (store, family, count[family], cpu[family], out[family], why))
PY
