#!/usr/bin/env bash
# The journal section of docs/perf-history.md: the bounded-memory soak (100 M entries, 100-entry and single-entry commands,
# 1 M accounts), durable pipeline throughput, commit cost, per-step breakdown, replay and start-up.
# Raw output goes to perf/results/durable/<UTC time>.log.
# Usage: perf/durable/run-durable.sh [quick]   (quick: 10 M entries per soak and 1 M for replay instead of 100 M / 10 M)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="perf/results/durable"
mkdir -p "$out"
log="$out/$(date -u +%Y%m%dT%H%M%SZ).log"
soak=100000000
entries=10000000
if [ "${1:-}" = "quick" ]; then soak=10000000; entries=1000000; fi
dotnet build -c Release perf/durable -v q -nologo
B="dotnet perf/durable/bin/Release/net10.0/Ledger.Perf.Durable.dll"
dir="${LEDGER_PERF_DIR:-/tmp/ledger-perf}"
{
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  $B soak --accounts 1000000 --batch 100 --entries "$soak" --slice $((soak / 10)) --dir "$dir"
  $B soak --accounts 1000000 --batch 1 --window 4096 --entries "$soak" --slice $((soak / 10)) --dir "$dir"
  $B throughput --seconds 10 --window 4096 --dir "$dir"
  $B commits --commits 300 --records 1 --dir "$dir"
  $B breakdown --dir "$dir"
  $B replay --entries "$entries" --dir "$dir"
} 2>&1 | tee "$log"
echo "results: $log"
