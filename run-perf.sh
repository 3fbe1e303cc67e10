#!/usr/bin/env bash
# Runs the perf suite and writes raw results under perf/results/. Figures are summarised in docs/perf.md.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p perf/results
dotnet run -c Release --project perf/benchmarks -- --filter "${1:-*}" --memory --artifacts perf/results/benchmarks
