#!/usr/bin/env bash
# Kafka ingress (commands in -> results out) and the event publisher on librdkafka's mock cluster (./run-perf.sh kafka),
# then the soak's REST runs side by side (one minute each, 100-entry and single-entry) for the Kafka/REST ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release perf/kafka -v quiet -nologo
for run in "100 6000" "1 30000"; do
  # librdkafka logs the mock cluster's shutdown on stderr; the figures are on stdout.
  dotnet run -c Release --no-build --project perf/kafka -- $run 1000 2>/dev/null | grep -v '^%'
done
[ "${1:-}" = "no-rest" ] && exit 0
exec perf/soak/run-soak.sh 1 "1000:100 1000:1"
