#!/usr/bin/env bash
# The whole-service soak (docs/perf-history.md, "Whole service"): the gateway on its embedded defaults (only the rate limit
# off and a fresh data directory), accounts opened by one CSV import, then wrk with 32 connections posting deposit
# batches for MINUTES, in back-to-back 10 s slices. Per slice: req/s, entries/s, p50/p99, RSS, GC heap, the read
# store's size and lag, and the data directory's size. After each run: SIGKILL, restart, time to /health/ready and
# the journal tail the read store was fed. Then the same first minutes of the baseline (a checkout of the code before,
# BASELINE=<worktree>) on the same box, for the throughput ratio. Results: perf/results/soak/<UTC time>/.
#
# Usage: perf/soak/run-soak.sh [minutes per run, default 10] [runs, default "1000:100 1000:1 1000000:100 1000000:1"]
#        BASELINE=/work/main-baseline [BASELINE_RUNS="1000:100:1 1000:1:3"] perf/soak/run-soak.sh
#   Each run is ACCOUNTS:BATCH[:MINUTES]. The deposits (code 100) need no funding; a run's accounts start at zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null && command -v curl >/dev/null || { echo "install wrk and curl first: apt-get update && apt-get install -y wrk curl"; exit 1; }
MINUTES=${1:-10}
RUNS=${2:-"1000:100 1000:1 1000000:100 1000000:1"}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=2
SLICE=10
PORT=${LEDGER_PERF_PORT:-8093}
URL=http://127.0.0.1:$PORT
OUT=perf/results/soak/$(date -u +%Y%m%dT%H%M%SZ)
SCRATCH=${SOAK_DATA:-/tmp}
mkdir -p "$OUT"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "nproc: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "dotnet: $(dotnet --version); kernel: $(uname -r); commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (+ uncommitted changes)')"
  echo "wrk -t$THREADS -c$CONNECTIONS, $SLICE s slices, $MINUTES min per run; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

GATEWAY=
DATA=
stop_gateway() { [ -n "$GATEWAY" ] && { kill -TERM "$GATEWAY" 2>/dev/null || true; wait "$GATEWAY" 2>/dev/null || true; }; GATEWAY=; }
cleanup() { stop_gateway; [ -n "$DATA" ] && rm -rf "$DATA"; return 0; }
trap cleanup EXIT

# shellcheck source=perf/soak/gateway.sh
source perf/soak/gateway.sh # the working directory is the repository root (cd above)
# The data directory's size in MiB: a compaction may delete a file while du walks it (du then fails, which -e would stop on).
dir_mib() { { du -sm "$1" 2>/dev/null || true; } | cut -f1; }
metric() { curl -s $URL/metrics | awk -v m="$1" '$1 == m { printf "%.0f", $2; found=1 } END { if (!found) printf "-" }'; }
mib() { [ "$1" = "-" ] && echo "-" || awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

# run <label> <checkout> <accounts> <batch> <minutes>: one soak run on a fresh data directory.
run() {
  local label=$1 dir=$2 accounts=$3 batch=$4 minutes=$5
  local name="$label-$accounts-accounts-batch-$batch" log
  log="$OUT/$name.gateway.log"
  DATA=$(mktemp -d "$SCRATCH/ledger-soak.XXXXXX")
  start_gateway "$dir" "$log"
  local ready=$READY_S
  local admin; admin=$(token ledger-admin admin-secret)
  export TOKEN; TOKEN=$(token demo-partner demo-secret)
  local t0; t0=$(date +%s.%N)
  seq 1 "$accounts" | sed 's/^/1,/; s/$/,USD/' | curl -sf -X POST $URL/v1/accounts/import -H "Authorization: Bearer $admin" \
    -H 'Content-Type: text/csv' --data-binary @- > /dev/null
  local opened; opened=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "== $name: ready in ${ready} s, $accounts accounts opened in ${opened} s" | tee -a "$OUT/slices.txt"
  printf '%-6s %9s %11s %8s %8s %8s %8s %9s %9s %9s\n' t_s req_s entries_s p50_ms p99_ms rss_mib gc_mib read_mib read_lag data_mib | tee -a "$OUT/slices.txt"
  local slices=$(( minutes * 60 / SLICE )) i
  for i in $(seq 1 "$slices"); do
    env BATCH="$batch" ACCOUNTS="$accounts" FIRST=1 THREADS=$THREADS CONNECTIONS=$CONNECTIONS \
      wrk -t$THREADS -c$CONNECTIONS -d${SLICE}s --latency -s perf/http/post-batch.lua $URL > "$OUT/$name.slice.txt" 2>&1 || true
    local result; result=$(grep '^RESULT' "$OUT/$name.slice.txt" || echo "RESULT failed")
    local rss gc rsize rlag size
    rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' /proc/$GATEWAY/status)
    gc=$(mib "$(metric ledger_memory_gc_heap_bytes)")
    rsize=$(mib "$(metric ledger_read_store_bytes)")
    rlag=$(metric ledger_read_store_lag_records)
    size=$(dir_mib "$DATA")
    echo "$result" | awk -v t=$((i * SLICE)) -v rss="$rss" -v gc="$gc" -v rs="$rsize" -v rl="$rlag" -v size="$size" '{
      for (f = 2; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
      printf "%-6s %9.0f %11.0f %8.2f %8.2f %8s %8s %9s %9s %9s%s\n", t, v["rps"], v["entries_per_s"], v["p50_ms"], v["p99_ms"], rss, gc, rs, rl, size,
        (v["non201"] + v["socket_errors"] > 0) ? "  non201=" v["non201"] " socket_errors=" v["socket_errors"] : "" }' | tee -a "$OUT/slices.txt"
  done
  rm -f "$OUT/$name.slice.txt"
  # Restart after the run: SIGKILL (nothing flushed), then time to ready and what the read store caught up.
  kill -KILL "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true; GATEWAY=
  start_gateway "$dir" "$log"
  local restart=$READY_S
  local caught; caught=$(grep -o 'Read store caught up: .*' "$log" | tail -1 || true)
  local recovered; recovered=$(grep -o 'Ledger recovered: [^;]*' "$log" | tail -1 || true)
  local rss_after; rss_after=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' /proc/$GATEWAY/status)
  echo "restart after SIGKILL: ready in ${restart} s, RSS ${rss_after} MiB; ${recovered:-}; ${caught:-no read store line (baseline)}; data dir $(dir_mib "$DATA") MiB" | tee -a "$OUT/slices.txt"
  stop_gateway
  rm -rf "$DATA"; DATA=
}

dotnet build -c Release gateway -v quiet -nologo > /dev/null
[ -n "${BASELINE:-}" ] && dotnet build -c Release "$BASELINE/gateway" -v quiet -nologo > /dev/null
# A run is ACCOUNTS:BATCH[:MINUTES].
soak() {
  local label=$1 dir=$2 spec=$3 default_minutes=$4 accounts batch minutes
  IFS=: read -r accounts batch minutes <<< "$spec"
  run "$label" "$dir" "$accounts" "$batch" "${minutes:-$default_minutes}"
}
for spec in $RUNS; do soak change . "$spec" "$MINUTES"; done
# The code before: 100-entry batches for 1 minute only (it holds ~1 KB of RAM per entry: ~22 M entries fill this box).
if [ -n "${BASELINE:-}" ]; then
  for spec in ${BASELINE_RUNS:-"1000:100:1 1000:1:3"}; do soak baseline "$BASELINE" "$spec" "$MINUTES"; done
fi

# Per run: first and last minute, RSS band after the first minute, p99 against the median slice's.
awk '
  /^== / { name = $2; sub(":", "", name); n = 0; next }
  /^restart/ { print name ": " $0; next }
  $1 ~ /^[0-9]+$/ { n++; e[n] = $3; p[n] = $5; r[n] = $6
    if (n >= 1) summary(name) }
  function summary(run,   i, j, v, first, last, k, lo, hi, sum, cnt, sorted, med, maxp) {
    out[run] = ""
    k = 60 / 10; first = 0; last = 0
    for (i = 1; i <= k && i <= n; i++) first += e[i]
    for (i = n - k + 1; i <= n; i++) if (i >= 1) last += e[i]
    lo = 1e18; hi = 0; sum = 0; cnt = 0
    for (i = k + 1; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i]; sum += r[i]; cnt++ }
    for (i = 1; i <= n; i++) { v = p[i]; j = i - 1; while (j >= 1 && sorted[j] > v) { sorted[j + 1] = sorted[j]; j-- } sorted[j + 1] = v }
    med = sorted[int((n + 1) / 2)]; maxp = sorted[n]
    out[run] = sprintf("%s: %d slices; entries/s first minute %.0f, last minute %.0f (%.2f); RSS after the first minute %s..%s MiB (mean %.0f, %+.1f%%/%+.1f%%); p99 median %.2f ms, max %.2f ms (%.2fx)",
      run, n, first / k, last / k, (first > 0 ? last / first : 0), (cnt ? lo : "-"), (cnt ? hi : "-"), (cnt ? sum / cnt : 0),
      (cnt ? (lo - sum / cnt) * 100 / (sum / cnt) : 0), (cnt ? (hi - sum / cnt) * 100 / (sum / cnt) : 0), med, maxp, (med > 0 ? maxp / med : 0))
  }
  END { for (run in out) print out[run] }
' "$OUT/slices.txt" | sort | tee "$OUT/summary.txt"
