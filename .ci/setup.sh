#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (idempotent). Nothing yet beyond the .NET SDK.
set -euo pipefail
dotnet --list-sdks 2>/dev/null | grep -q "^10\." || { echo "the .NET 10 SDK is required (dotnet --list-sdks shows none)"; exit 1; }
