#!/usr/bin/env bash
# Runs the perf suite and writes raw results under perf/results/. Figures are summarised in docs/perf.md.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p perf/results
# HTTP section (gateway through Kestrel, wrk on the same box): ./run-perf.sh http [seconds] [connections]
if [ "${1:-}" = "http" ]; then
  shift
  exec perf/http/run-http.sh "$@"
fi
dotnet run -c Release --project perf/benchmarks -- --filter "${1:-*}" --memory --artifacts perf/results/benchmarks
