#!/usr/bin/env bash
# Where a restart's time goes (docs/perf.md, "The 20-minute soak"): the gateway of <checkout> (its Release build) on
# <data dir>, optionally loaded first with 100-entry batches for <minutes> (wrk, 32 connections, 1 000 accounts), then
# SIGKILL and a restart three times in a row (PAUSE seconds after each ready, default 5), each with its time to /health/ready and the recovery log's lines (opening,
# the entry store's replay, the read store's catch-up). Gateway log: /tmp/restart-probe.log.
# Usage: perf/soak/run-restart-probe.sh <checkout> <data dir> [minutes of load, default 0]
set -euo pipefail
dir=$(cd "$1" && pwd); DATA=$2; minutes=${3:-0}
URL=http://127.0.0.1:${LEDGER_PERF_PORT:-18380}
LOG=/tmp/restart-probe.log
: > "$LOG"
# shellcheck source=perf/soak/gateway.sh
source "$(cd "$(dirname "$0")" && pwd)/gateway.sh"
start() {
  start_gateway "$dir" "$LOG"
  G=$GATEWAY
  echo "ready in $READY_S s"
  grep -o 'Ledger recovered: [^;]*;[^;]*\|Read store caught up: .*' "$LOG" | tail -2 | sed 's/^/  /'
}
dotnet build -c Release "$dir/gateway" -v quiet -nologo > /dev/null
start
if [ "$minutes" -gt 0 ]; then
  admin=$(token ledger-admin admin-secret); export TOKEN; TOKEN=$(token demo-partner demo-secret)
  seq 1 1000 | sed 's/^/1,/; s/$/,USD/' | curl -sf -X POST $URL/v1/accounts/import -H "Authorization: Bearer $admin" \
    -H 'Content-Type: text/csv' --data-binary @- > /dev/null
  env BATCH=100 ACCOUNTS=1000 FIRST=1 THREADS=2 CONNECTIONS=32 \
    wrk -t2 -c32 -d$((minutes * 60))s --latency -s "$dir/perf/http/post-batch.lua" $URL | grep RESULT
fi
# After the load's SIGKILL, each later one comes PAUSE seconds after ready (default 5: a crash loop, not a kill at the
# instant of readiness, which would also cut the background work a start leaves: the read store's checkpoint, the
# key filter's top-up).
kill -KILL $G; wait $G 2>/dev/null || true; start
for _ in 2 3; do sleep "${PAUSE:-5}"; kill -KILL $G; wait $G 2>/dev/null || true; start; done
kill -KILL $G; wait $G 2>/dev/null || true
echo "data dir: $(du -sh "$DATA" | cut -f1)"
