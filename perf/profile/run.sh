#!/usr/bin/env bash
# run.sh NAME PATH_OVERRIDE(or "") PROFILER(trace | perf | none)
#   trace: a dotnet-trace sampled-thread-time trace after the CPU window; perf: `perf record` during the window.
set -u
NAME=$1; PO=${2:-}; PROFILER=${3:-trace}
cd "$(dirname "$0")/../.."
PID=$(cat /tmp/profile/gateway.pid); URL=http://127.0.0.1:8099; OUT=/tmp/profile/$NAME
mkdir -p "$OUT"
export TOKEN=$(cat /tmp/profile/token.txt) BATCH=1 ACCOUNTS=1000 THREADS=2 CONNECTIONS=32
[ -n "$PO" ] && export PATH_OVERRIDE=$PO
threads() { for t in /proc/$PID/task/*; do tid=${t##*/}; awk -v tid=$tid '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) .*/, "", c); n = split($0, f, ") "); split(f[n], g, " "); print tid "\t" c "\t" g[12] "\t" g[13] }' "$t/stat" 2>/dev/null; done; }
reqs() { curl -s $URL/metrics | awk '/^http_requests_received_total/ && /code="201"/ { s += $NF } END { printf "%d\n", s }'; }
snapshot() { threads > "$OUT/t$1.tsv"; reqs > "$OUT/r$1"; date +%s.%N > "$OUT/s$1"; grep -E '^cpu ' /proc/stat > "$OUT/cpu$1"; }
# warm-up 10 s, then the measured run
wrk -t2 -c32 -d10s -s perf/http/post-batch.lua $URL > "$OUT/warm.txt" 2>&1
wrk -t2 -c32 -d40s -s perf/http/post-batch.lua $URL > "$OUT/wrk.txt" 2>&1 &
WRK=$!
sleep 2
snapshot 0
if [ "$PROFILER" = perf ]; then
  perf record -F 499 -g -p "$PID" -o "$OUT/perf.data" -- sleep 12 > "$OUT/perf.log" 2>&1
else
  sleep 12
fi
snapshot 1
if [ "$PROFILER" = trace ]; then
  threads > "$OUT/tt0.tsv"; reqs > "$OUT/rt0"
  /tmp/profile/tools/dotnet-trace collect -p "$PID" --profile dotnet-sampled-thread-time --duration 00:00:00:20 -o "$OUT/trace.nettrace" > "$OUT/trace.log" 2>&1
  threads > "$OUT/tt1.tsv"; reqs > "$OUT/rt1"
fi
wait $WRK
grep -E 'RESULT|status' "$OUT/wrk.txt" | head
