#!/usr/bin/env bash
# A kill under moderate load, then a restart (docs/perf.md, "Checkpoints off the tail"): the gateway of a checkout (its
# Release build) on a fresh data directory, ledger-bench in open loop at RATE req/s (default 4 500) of 10-entry batches
# for <seconds>, SIGKILL while the load runs, then a start on the same data: the key filter's log and file as the kill
# left them, the time to /health/ready and the recovery log line. Build the gateway and perf/bench first.
# Usage: perf/soak/run-kill-restart.sh <checkout> <seconds of load>
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$(cd "$1" && pwd); LOAD_SECONDS=$2
URL=http://127.0.0.1:${LEDGER_PERF_PORT:-18390}; DATA=$(mktemp -d "${SOAK_DATA:-/tmp}/ledger-kill-restart.XXXXXX"); LOG=$DATA.log
# shellcheck source=perf/soak/gateway.sh
source perf/soak/gateway.sh
start_gateway "$dir" "$LOG"; G=$GATEWAY
perf/bench/bin/Release/net10.0/ledger-bench --plain --url $URL --mode open --rate "${RATE:-4500}" -c 64 -d $((LOAD_SECONDS + 30)) \
  --warmup 0 --batch 10 --accounts 1000 --check none > /dev/null 2>&1 &
BENCH=$!
sleep "$LOAD_SECONDS"
kill -KILL $G; wait $G 2>/dev/null; kill $BENCH 2>/dev/null; wait $BENCH 2>/dev/null
filter=$DATA/store/key-filter.bin
echo "at the kill: key filter's log $(cat "$DATA"/store/key-filter.*.log 2>/dev/null | wc -c) bytes; its file $([ -f "$filter" ] && echo "$(( $(date +%s) - $(stat -c %Y "$filter") )) s old" || echo absent)"
: > "$LOG"
start_gateway "$dir" "$LOG"; G=$GATEWAY
echo "ready in $READY_S s"
grep -o 'Ledger recovered: [^;]*;[^;]*' "$LOG" | tail -1
kill -TERM $G; wait $G 2>/dev/null; rm -rf "$DATA" "$LOG"
