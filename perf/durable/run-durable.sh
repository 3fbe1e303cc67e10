#!/usr/bin/env bash
# The journal section of docs/perf.md: durable pipeline throughput, commit cost, per-step breakdown, replay and
# start-up, snapshot stall. Raw output goes to perf/results/durable/<UTC time>.log.
# Usage: perf/durable/run-durable.sh [quick]   (quick: 1 M entries for replay/start-up instead of 10 M)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="perf/results/durable"
mkdir -p "$out"
log="$out/$(date -u +%Y%m%dT%H%M%SZ).log"
entries=10000000
[ "${1:-}" = "quick" ] && entries=1000000
dotnet build -c Release perf/durable -v q -nologo
B="dotnet perf/durable/bin/Release/net10.0/Ledger.Perf.Durable.dll"
{
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  $B throughput --seconds 10 --window 4096 --entry-capacity 6000000
  $B throughput --seconds 10 --window 256 --entry-capacity 4000000
  $B commits --commits 300 --records 1
  $B breakdown
  $B replay --entries "$entries"
  $B stall --accounts 1000000
} 2>&1 | tee "$log"
echo "results: $log"
