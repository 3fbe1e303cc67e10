#!/usr/bin/env bash
# Runs the perf suite and keeps the raw results under perf/results/<UTC time>/ (git-ignored); docs/perf.md explains
# every figure. Same commands every time: the engine and ring micro benches (BenchmarkDotNet, in-process, quick
# settings), then the EngineHost throughput harness for each wait strategy, single entries and 100-entry batches.
#
#   ./run-perf.sh                               everything (about 6-8 minutes on 2 idle cores)
#   FILTER='*RingVsChannel*' ./run-perf.sh      a subset of the benchmarks (BenchmarkDotNet glob)
#   THROUGHPUT=0 ./run-perf.sh                  skip the harness; BENCHMARKS=0 skips BenchmarkDotNet
#   ITERATIONS=10 ENTRIES=8000000 ./run-perf.sh more iterations / a longer harness run
#   ./run-perf.sh http [seconds] [connections]   the HTTP section (wrk)
#   ./run-perf.sh journal [quick]               the journal section: the bounded-memory soak (100 M entries), throughput, replay
#   ./run-perf.sh soak [minutes] [runs]         the whole service over HTTP: 10 min per run, 1 000 and 1 000 000 accounts,
#                                               100-entry and single-entry batches (BASELINE=<worktree> adds the code before)
#   ./run-perf.sh kafka                         Kafka ingress (commands in -> results out) and the event publisher on the mock cluster
set -euo pipefail
cd "$(dirname "$0")"

# HTTP section (gateway through Kestrel, wrk on the same box): ./run-perf.sh http [seconds] [connections]
if [ "${1:-}" = "http" ]; then
  shift
  exec perf/http/run-http.sh "$@"
fi
# Journal section (bounded-memory soak, durable pipeline, replay, start-up): ./run-perf.sh journal [quick]
if [ "${1:-}" = "journal" ]; then
  shift
  exec perf/durable/run-durable.sh "$@"
fi

# Kafka ingress and publisher on librdkafka's mock cluster: ./run-perf.sh kafka
if [ "${1:-}" = "kafka" ]; then
  dotnet build -c Release perf/kafka -v quiet -nologo
  for run in "100 6000" "1 30000"; do
    # librdkafka logs the mock cluster's shutdown on stderr; the figures are on stdout.
    dotnet run -c Release --no-build --project perf/kafka -- $run 1000 2>/dev/null | grep -v '^%'
  done
  # REST side by side, in the same run: the soak's 100-entry and single-entry runs, one minute each.
  exec perf/soak/run-soak.sh 1 "1000:100 1000:1"
fi

# Whole-service soak (gateway on embedded defaults, wrk, per-10 s slices): ./run-perf.sh soak [minutes] [runs]
if [ "${1:-}" = "soak" ]; then
  shift
  exec perf/soak/run-soak.sh "$@"
fi

FILTER=${1:-${FILTER:-*}}
ITERATIONS=${ITERATIONS:-7}
ENTRIES=${ENTRIES:-4000000}
BENCHMARKS=${BENCHMARKS:-1}
THROUGHPUT=${THROUGHPUT:-1}
WAITS=${WAITS:-blocking yielding busyspin}

out="perf/results/$(date -u +%Y%m%dT%H%M%SZ)"
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

# One file with the tables and harness lines, for docs/perf.md.
{
  cat "$out/machine.txt"
  for report in "$out"/bdn/results/*-report-github.md; do
    [ -e "$report" ] && { echo; cat "$report"; }
  done
  [ -e "$out/benchmarks.log" ] && { echo; grep -h '\[alloc-check\]' "$out/benchmarks.log" || true; }
  [ -e "$out/throughput.log" ] && { echo; grep -hE '^(throughput|memory) ' "$out/throughput.log" || true; }
} > "$out/summary.md"
echo "results: $out (summary: $out/summary.md)"
