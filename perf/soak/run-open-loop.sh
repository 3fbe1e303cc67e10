#!/usr/bin/env bash
# The 201's tail at a fixed offered rate (docs/perf.md, "Checkpoints off the tail"): the gateway of a checkout (its
# Release build) on a fresh data directory, ledger-bench in open loop (64 connections, 10-entry batches unless BATCH,
# 1 000 accounts, WARMUP seconds first, default 20), one line of results, and the seconds whose accepted rate strayed
# more than 10 % from the offered one ("dips", seconds from the bench's start, warm-up included). With SAMPLE=1,
# perf/profile/sampler.py writes one line every 0.2 s to $SAMPLE_LOG (default /tmp/open-loop-sample.log): ring depth,
# journal commits and their mean, disk writes, CPU per thread name. With MODE=closed the same run is a closed loop of
# 32 connections (the peak, to take 80 % of). With PERF_RECORD=<seconds>, `perf record -g` samples the gateway for that
# long once the warm-up is over (the JIT's symbols through DOTNET_PerfMapEnabled, with W^X off) into $PERF_OUT (default
# /tmp/open-loop-perf.data; read it with `perf report -i <file> --no-children --sort symbol`). Build the gateway and
# perf/bench first (dotnet build -c Release).
# Usage: perf/soak/run-open-loop.sh <checkout> <rate> <seconds> [extra gateway args...]
set -uo pipefail
cd "$(dirname "$0")/../.."
CHECKOUT=$(cd "$1" && pwd); RATE=$2; SECONDS_RUN=$3; shift 3
PORT=${LEDGER_PERF_PORT:-8097}; URL=http://127.0.0.1:$PORT
DATA=$(mktemp -d "${SOAK_DATA:-/tmp}/ledger-open-loop.XXXXXX")
[ -n "${PERF_RECORD:-}" ] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 # JIT code perf can map
dotnet "$CHECKOUT/gateway/bin/Release/net10.0/Ledger.Gateway.dll" --urls=$URL --Ledger:DataDir="$DATA" --Ledger:RateLimit:PermitsPerSecond=0 \
  --Logging:LogLevel:Default=Warning "$@" > "$DATA.log" 2>&1 &
GATEWAY=$!
trap 'kill -TERM $GATEWAY 2>/dev/null; wait $GATEWAY 2>/dev/null; rm -rf "$DATA" "$DATA.log" "$DATA.json"' EXIT
for _ in $(seq 1 600); do curl -sf -o /dev/null $URL/health/ready && break; sleep 0.1; done
[ "${SAMPLE:-0}" = 1 ] && { python3 perf/profile/sampler.py $GATEWAY $URL $((SECONDS_RUN + ${WARMUP:-20} + 10)) > "${SAMPLE_LOG:-/tmp/open-loop-sample.log}" 2>&1 & }
[ -n "${PERF_RECORD:-}" ] && { (sleep "${WARMUP:-20}"; perf record -F 499 -g -p $GATEWAY -o "${PERF_OUT:-/tmp/open-loop-perf.data}" -- sleep "$PERF_RECORD") > /dev/null 2>&1 & }
if [ "${MODE:-open}" = closed ]; then load=(--mode closed -c 32); else load=(--mode open --rate "$RATE" -c 64); fi
perf/bench/bin/Release/net10.0/ledger-bench --plain --url $URL "${load[@]}" -d "$SECONDS_RUN" --warmup "${WARMUP:-20}" \
  --batch "${BATCH:-10}" --accounts 1000 --server-pid $GATEWAY --check counts --out "$DATA.json" 2>&1 | grep -E '^(open|closed)' | tail -1
python3 - "$DATA.json" "$RATE" <<'PY'
import json, sys
run, rate = json.load(open(sys.argv[1])), float(sys.argv[2])
print("dips:", " ".join("%d:%d" % (t["seconds"], t["okPerSecond"]) for t in run["timeline"] if abs(t["okPerSecond"] - rate) > 0.1 * rate) or "none")
PY
