#!/usr/bin/env bash
# run.sh NAME PATH_OVERRIDE(or "") TRACE(1/0)
set -u
NAME=$1; PO=${2:-}; TRACE=${3:-1}
cd /work/main
PID=$(cat /tmp/profile/gateway.pid); URL=http://127.0.0.1:8099; OUT=/tmp/profile/$NAME
mkdir -p $OUT
export TOKEN=$(cat /tmp/profile/token.txt) BATCH=1 ACCOUNTS=1000 THREADS=2 CONNECTIONS=32
[ -n "$PO" ] && export PATH_OVERRIDE=$PO
threads() { for t in /proc/$PID/task/*; do tid=${t##*/}; awk -v tid=$tid '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) .*/, "", c); n = split($0, f, ") "); split(f[n], g, " "); print tid "\t" c "\t" g[12] "\t" g[13] }' "$t/stat" 2>/dev/null; done; }
reqs() { curl -s $URL/metrics | awk '/^http_requests_received_total/ && /code="201"/ { s += $NF } END { printf "%d\n", s }'; }
# warm-up 10 s
wrk -t2 -c32 -d10s -s perf/http/post-batch.lua $URL > $OUT/warm.txt 2>&1
wrk -t2 -c32 -d40s -s perf/http/post-batch.lua $URL > $OUT/wrk.txt 2>&1 &
WRK=$!
sleep 2
threads > $OUT/t0.tsv; reqs > $OUT/r0; date +%s.%N > $OUT/s0; grep -E '^cpu ' /proc/stat > $OUT/cpu0
sleep 12
threads > $OUT/t1.tsv; reqs > $OUT/r1; date +%s.%N > $OUT/s1; grep -E '^cpu ' /proc/stat > $OUT/cpu1
if [ "$TRACE" = 1 ]; then
  threads > $OUT/tt0.tsv; reqs > $OUT/rt0
  /tmp/profile/tools/dotnet-trace collect -p $PID --profile dotnet-sampled-thread-time --duration 00:00:00:20 -o $OUT/trace.nettrace > $OUT/trace.log 2>&1
  threads > $OUT/tt1.tsv; reqs > $OUT/rt1
fi
wait $WRK
cat $OUT/wrk.txt | grep -E 'RESULT|status' | head
