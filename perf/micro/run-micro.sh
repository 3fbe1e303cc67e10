#!/usr/bin/env bash
# The micro section (./run-perf.sh micro): the engine, ring, codec and store lookup micro benches (BenchmarkDotNet,
# in-process, quick settings; the store benches fill a 1 M-entry entry store and read store in /tmp once, ~15 s),
# then the EngineHost throughput harness for each wait strategy, single entries and 100-entry batches.
# Raw results under perf/results/<UTC time>/ (or OUT=<dir>); docs/perf-history.md explains the earlier figures.
#
#   perf/micro/run-micro.sh                       everything (about 8-10 minutes on 2 idle cores)
#   perf/micro/run-micro.sh '*Codec*'             the codecs (journal record, REST batch JSON, Kafka command Avro); '*StoreLookup*' the stores
#   perf/micro/run-micro.sh '*RingVsChannel*'     a subset of the benchmarks (BenchmarkDotNet glob; or FILTER=...)
#   THROUGHPUT=0 ... skips the harness; BENCHMARKS=0 skips BenchmarkDotNet; ITERATIONS=10 ENTRIES=8000000 longer runs
set -euo pipefail
cd "$(dirname "$0")/../.."

FILTER=${1:-${FILTER:-*}}
ITERATIONS=${ITERATIONS:-7}
ENTRIES=${ENTRIES:-4000000}
BENCHMARKS=${BENCHMARKS:-1}
THROUGHPUT=${THROUGHPUT:-1}
WAITS=${WAITS:-blocking yielding busyspin}

out="${OUT:-perf/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

machine() {
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "dotnet sdk: $(dotnet --version)"
  echo "runtime: $(dotnet --list-runtimes | grep Microsoft.NETCore.App | tail -1)"
  echo "kernel: $(uname -r)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine perf || echo ' (+ uncommitted changes)')"
}
{ machine; echo "uptime before: $(uptime)"; } > "$out/machine.txt"
cat "$out/machine.txt"

dotnet build -c Release perf/benchmarks/Ledger.Benchmarks.csproj -v q -nologo
dotnet build -c Release perf/throughput/Ledger.Throughput.csproj -v q -nologo

if [ "$BENCHMARKS" = 1 ]; then
  # In-process toolchain: no per-benchmark rebuild (see shared toolchain notes); each class fixes its own
  # invocation count, so only warm-up and iteration counts come from here.
  dotnet run -c Release --no-build --project perf/benchmarks -- \
    --filter "$FILTER" --inProcess --warmupCount 2 --iterationCount "$ITERATIONS" --launchCount 1 \
    --artifacts "$out/bdn" --exporters json 2>&1 | tee "$out/benchmarks.log"
  echo "uptime after benchmarks: $(uptime)" >> "$out/machine.txt"
fi

if [ "$THROUGHPUT" = 1 ]; then
  dotnet run -c Release --no-build --project perf/throughput -- memory 2>&1 | tee -a "$out/throughput.log"
  for wait in $WAITS; do
    dotnet run -c Release --no-build --project perf/throughput -- \
      --wait "$wait" --batch 1 --commands "$ENTRIES" 2>&1 | tee -a "$out/throughput.log"
    dotnet run -c Release --no-build --project perf/throughput -- \
      --wait "$wait" --batch 100 --commands "$((ENTRIES / 100))" 2>&1 | tee -a "$out/throughput.log"
  done
  echo "uptime after throughput: $(uptime)" >> "$out/machine.txt"
fi

# One file with the tables and harness lines, for docs/perf-history.md.
{
  cat "$out/machine.txt"
  for report in "$out"/bdn/results/*-report-github.md; do
    [ -e "$report" ] && { echo; cat "$report"; }
  done
  [ -e "$out/benchmarks.log" ] && { echo; grep -h '\[alloc-check\]' "$out/benchmarks.log" || true; }
  [ -e "$out/throughput.log" ] && { echo; grep -hE '^(throughput|memory) ' "$out/throughput.log" || true; }
} > "$out/summary.md"
echo "results: $out (summary: $out/summary.md)"
