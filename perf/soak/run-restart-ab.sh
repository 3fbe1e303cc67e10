#!/usr/bin/env bash
# Two checkouts restarted from the same crash (docs/perf.md, "Where a restart's replay goes"): checkout A's gateway (its
# Release build) loaded with 100-entry batches for <minutes> (wrk, 32 connections, 1 000 accounts), then SIGKILL; the
# crashed data directory is kept, and each round restarts a fresh copy of it with A and with B (the order alternates
# by round), each timed to /health/ready with its recovery log line. The same journal, store and filter lag for both:
# what differs is only the code. Gateway logs: /tmp/restart-ab-*.log.
# Usage: perf/soak/run-restart-ab.sh <checkout A> <checkout B> [minutes of load, default 3] [rounds, default 3]
#   SCRATCH=/tmp (where the data directories go: about 2 GB per minute of load, two copies)
#   LOAD_SECONDS=<s>: load this long instead (where the kill falls against the 30 s checkpoint sets the key filter's lag)
#   PAUSE=0 (seconds each restart stays up after ready, for what it does in the background: the key filter's top-up)
#   CRASHED=<dir>: keep the crashed data directory there (a later run with the same CRASHED restarts from it, no load)
set -euo pipefail
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); minutes=${3:-3}; rounds=${4:-3}
URL=http://127.0.0.1:${LEDGER_PERF_PORT:-18381}
SCRATCH=${SCRATCH:-/tmp}
KEEP=${CRASHED:+yes}
CRASHED=${CRASHED:-$SCRATCH/restart-ab-crashed}
DATA=$SCRATCH/restart-ab-data
# shellcheck source=perf/soak/gateway.sh
source "$(cd "$(dirname "$0")" && pwd)/gateway.sh"
trap '[ -z "${GATEWAY:-}" ] || kill -9 "$GATEWAY" 2>/dev/null; rm -rf "$DATA"; [ -n "$KEEP" ] || rm -rf "$CRASHED"' EXIT
for dir in "$a" "$b"; do dotnet build -c Release "$dir/gateway" -v quiet -nologo > /dev/null; done

if [ ! -d "$CRASHED" ]; then
  rm -rf "$DATA"
  DATA=$CRASHED
  start_gateway "$a" /tmp/restart-ab-load.log
  admin=$(token ledger-admin admin-secret); export TOKEN; TOKEN=$(token demo-partner demo-secret)
  seq 1 1000 | sed 's/^/1,/; s/$/,USD/' | curl -sf -X POST $URL/v1/accounts/import -H "Authorization: Bearer $admin" \
    -H 'Content-Type: text/csv' --data-binary @- > /dev/null
  env BATCH=100 ACCOUNTS=1000 FIRST=1 THREADS=2 CONNECTIONS=32 \
    wrk -t2 -c32 -d${LOAD_SECONDS:-$((minutes * 60))}s --latency -s "$a/perf/http/post-batch.lua" $URL | grep RESULT || true
  kill -9 "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true; GATEWAY=
  echo "crashed after ${LOAD_SECONDS:-$((minutes * 60))} s of load: $(du -sh "$CRASHED" | cut -f1)"
fi

DATA=$SCRATCH/restart-ab-data
restart() { # restart <label> <checkout>: a fresh copy of the crash, started, timed, stopped
  rm -rf "$DATA"; cp -a "$CRASHED" "$DATA"; sync
  local log=/tmp/restart-ab-$1.log
  : > "$log"
  start_gateway "$2" "$log"
  echo "$1 ready in $READY_S s"
  sleep "${PAUSE:-0}"
  grep -o "Ledger recovered: [^;]*;[^;]*\|key filter's file at record [^;]*\|Read store caught up: .*\|Key filter topped up .*" "$log" | tail -4 | sed 's/^/  /'
  kill -TERM "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true; GATEWAY=
}
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then restart A "$a"; restart B "$b"; else restart B "$b"; restart A "$a"; fi
done
