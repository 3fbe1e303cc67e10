# Shared by the soak scripts (sourced, not run): start a checkout's gateway and fetch tokens.
# Needs URL and DATA set by the caller.

# start_gateway <checkout> <log>: runs its Release build on $DATA (pid in GATEWAY); waits for readiness (seconds in READY_S).
# GATEWAY_ARGS: more settings for it, e.g. GATEWAY_ARGS="--Ledger:PipelineLayout=Shared" (unquoted: words split at spaces).
start_gateway() {
  local dir=$1 log=$2 t0
  t0=$(date +%s.%N)
  dotnet "$dir/gateway/bin/Release/net10.0/Ledger.Gateway.dll" --urls=$URL --Ledger:DataDir="$DATA" --Ledger:RateLimit:PermitsPerSecond=0 \
    --Logging:LogLevel:Default=Warning --Logging:LogLevel:Ledger.Gateway.Hosting.LedgerRuntime=Information \
    --Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None ${GATEWAY_ARGS:-} >> "$log" 2>&1 &
  GATEWAY=$!
  for _ in $(seq 1 1200); do curl -sf -o /dev/null $URL/health/ready && break; kill -0 $GATEWAY 2>/dev/null || break; sleep 0.05; done
  curl -sf -o /dev/null $URL/health/ready || { echo "the gateway did not become ready; see $log" >&2; exit 1; }
  READY_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}

# token <client id> <secret>: a bearer token from the gateway's demo clients.
token() { curl -s $URL/connect/token -d grant_type=client_credentials -d client_id=$1 -d client_secret=$2 | tr -d '\n ' | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
