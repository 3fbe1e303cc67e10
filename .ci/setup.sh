#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (idempotent): the .NET 10 SDK is assumed; Node.js 20+ and npm come
# with this machine's image (Debian's own nodejs is too old for @redocly/cli, so it is not installed from apt here).
# - tests/clients/typescript: the npm tools ClientContractTests runs (swagger-parser, redocly, openapi-typescript,
#   openapi-fetch, typescript), pinned by package-lock.json;
# - tests/clients/kafkajs: kafkajs and avsc, the partner-side Kafka client KafkaIngressTests runs;
# - dotnet-tools.json: Kiota, which generates the C# client ClientContractTests builds, and Coyote's CLI, which
#   tests/Ledger.Concurrency.Tests rewrites its assemblies with after each build (its build also runs the restore);
# - kcat (Debian), which KafkaEgressTests reads ledger.events with; postgresql (Debian), the perf baseline's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet --list-sdks 2>/dev/null | grep -q "^10\." || { echo "the .NET 10 SDK is required (dotnet --list-sdks shows none)"; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "Node.js 20+ and npm are required for the OpenAPI client tests (node not found)"; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { echo "Node.js 20+ is required, found $(node --version)"; exit 1; }
(cd tests/clients/typescript && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/clients/kafkajs && npm ci --no-audit --no-fund --loglevel=error)
# Debian packages: kcat (an independent Kafka client the Kafka tests read ledger.events with) and postgresql (the
# PostgreSQL reference ledger the perf harness's tests drive on a private cluster).
need=()
command -v kcat >/dev/null || need+=(kcat)
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -q "${need[@]}" > /dev/null 2>&1 || { $SUDO apt-get update -q > /dev/null && $SUDO apt-get install -y -q "${need[@]}" > /dev/null; }
fi
dotnet tool restore > /dev/null
