#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (idempotent). Nothing yet beyond the .NET SDK.
set -euo pipefail
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required"; exit 1; }
