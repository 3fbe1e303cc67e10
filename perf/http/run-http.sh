#!/usr/bin/env bash
# HTTP load test of the gateway with wrk (Debian package) on this box: the ledger's single-entry POST beside a
# no-op endpoint in the same process and run, the ledger at 80% of its peak (paced), and 100-entry batches.
# Raw outputs go to perf/results/http/; the summary table is printed last (copy it into docs/perf-history.md, "HTTP").
# Usage: [WAIT=Blocking|BlockingYield|Yielding|BusySpin] perf/http/run-http.sh [seconds per run, default 15] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null && command -v curl >/dev/null || { echo "install wrk and curl first: apt-get update && apt-get install -y wrk curl"; exit 1; }
SECONDS_PER_RUN=${1:-15}
CONNECTIONS=${2:-32}
THREADS=2
PORT=${LEDGER_PERF_PORT:-8091}
URL=http://127.0.0.1:$PORT
OUT=perf/results/http
DATA=$(mktemp -d /tmp/ledger-http-perf.XXXXXX)
mkdir -p "$OUT"

dotnet build -c Release gateway -v quiet -nologo >/dev/null
env ${GC_ENV:-} dotnet gateway/bin/Release/net10.0/Ledger.Gateway.dll --urls=$URL --Ledger:DataDir="$DATA" \
  --Ledger:Perf:NoOpEndpoint=true --Ledger:RateLimit:PermitsPerSecond=0 --Ledger:RateLimit:AnonymousPermitsPerSecond=0 \
  --Ledger:WaitStrategy="${WAIT:-Blocking}" --Logging:LogLevel:Default=Warning > "$OUT/gateway.log" 2>&1 &
GATEWAY=$!
trap 'kill -TERM $GATEWAY 2>/dev/null; wait $GATEWAY 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null $URL/health/ready && break; sleep 0.5; done
curl -sf -o /dev/null $URL/health/ready || { echo "the gateway did not become ready in 60 s; see $OUT/gateway.log"; exit 1; }

token() { curl -s $URL/connect/token -d grant_type=client_credentials -d client_id=$1 -d client_secret=$2 | tr -d '\n ' | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
ADMIN=$(token ledger-admin admin-secret)
export TOKEN=$(token demo-partner demo-secret)
export ACCOUNTS=1000 FIRST=1 THREADS CONNECTIONS
seq 1 $ACCOUNTS | sed 's/^/1,/; s/$/,USD/' | curl -sf -X POST $URL/v1/accounts/import -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: text/csv' --data-binary @- >/dev/null

run() { # name, then env assignments
  local name=$1; shift
  env "$@" wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --latency -s perf/http/post-batch.lua $URL > "$OUT/$name.txt" 2>&1
  local line; line=$(grep '^RESULT' "$OUT/$name.txt" || echo "RESULT failed")
  echo "$name $line"
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm up (JIT tiers, pools), then the measured runs.
env BATCH=1 wrk -t$THREADS -c$CONNECTIONS -d5s -s perf/http/post-batch.lua $URL >/dev/null 2>&1
env BATCH=1 PATH_OVERRIDE=/perf/noop wrk -t$THREADS -c$CONNECTIONS -d3s -s perf/http/post-batch.lua $URL >/dev/null 2>&1

NOOP=$(run noop BATCH=1 PATH_OVERRIDE=/perf/noop)
NOOP_AUTH=$(run noop-auth BATCH=1 PATH_OVERRIDE=/perf/noop-auth)
LEDGER=$(run ledger-1 BATCH=1)
PEAK=$(echo "$LEDGER" | sed -E 's/.* rps=([0-9]+).*/\1/')
RATE=$(( PEAK * 8 / 10 ))
# Pace at 80% of the peak. wrk pauses after each response, so calibrate: one short run pausing a full period,
# then pause the period minus the latency that run showed (per connection: period = connections / rate).
PERIOD_MS=$(awk -v c=$CONNECTIONS -v r=$RATE 'BEGIN { printf "%.3f", c * 1000 / r }')
CALIBRATION=$(env BATCH=1 DELAY_MS=$PERIOD_MS wrk -t$THREADS -c$CONNECTIONS -d5s -s perf/http/post-batch.lua $URL 2>&1 | grep '^RESULT')
ACHIEVED=$(echo "$CALIBRATION" | sed -E 's/.* rps=([0-9]+).*/\1/')
DELAY_MS=$(awk -v c=$CONNECTIONS -v r=$RATE -v a=$ACHIEVED -v p=$PERIOD_MS 'BEGIN { d = p - (c * 1000 / a - p); if (d < 0) d = 0; printf "%.3f", d }')
PACED=$(run ledger-1-at-80pct BATCH=1 DELAY_MS=$DELAY_MS)
BATCH100=$(run ledger-100 BATCH=100)
{
  echo "# $(date -u +%FT%TZ) wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s, load average before: $LOAD"
  printf '%s\n' "$NOOP" "$NOOP_AUTH" "$LEDGER" "$PACED (target $RATE req/s = 80% of the ledger's peak)" "$BATCH100"
} | tee "$OUT/summary.txt"
