#!/usr/bin/env bash
set -u
NAME=$1; PO=${2:-}
cd /work/main
PID=$(cat /tmp/profile/gateway.pid); URL=http://127.0.0.1:8099; OUT=/tmp/profile/$NAME
mkdir -p $OUT
export TOKEN=$(cat /tmp/profile/token.txt) BATCH=1 ACCOUNTS=1000 THREADS=2 CONNECTIONS=32
[ -n "$PO" ] && export PATH_OVERRIDE=$PO
threads() { for t in /proc/$PID/task/*; do tid=${t##*/}; awk -v tid=$tid '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) .*/, "", c); n = split($0, f, ") "); split(f[n], g, " "); print tid "\t" c "\t" g[12] "\t" g[13] }' "$t/stat" 2>/dev/null; done; }
reqs() { curl -s $URL/metrics | awk '/^http_requests_received_total/ && /code="201"/ { s += $NF } END { printf "%d\n", s }'; }
wrk -t2 -c32 -d30s -s perf/http/post-batch.lua $URL > $OUT/wrk.txt 2>&1 &
WRK=$!
sleep 5
threads > $OUT/t0.tsv; reqs > $OUT/r0
perf record -F 499 -g -p $PID -o $OUT/perf.data -- sleep 15 > $OUT/perf.log 2>&1
threads > $OUT/t1.tsv; reqs > $OUT/r1
wait $WRK
grep RESULT $OUT/wrk.txt
