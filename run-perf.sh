#!/usr/bin/env bash
# The performance engineer's one command (docs/perf.md). Installs what it needs, builds Release, starts the ledger and
# its two baselines on loopback (no-op Kestrel, PostgreSQL reference ledger on a private cluster), drives all three with
# the same ledger-bench runs interleaved round by round, and writes perf/results/<UTC>/report.md with PNG plots; the
# summary table ends the terminal output. Exit code 1 when any run's check against its server failed.
#
#   ./run-perf.sh [--quick]      HTTP at 1, 10 and 100 entries per batch against no-op, PostgreSQL and the ledger;
#                                the open-loop rate sweep; hot accounts (10 and 1); the soak (throughput and RSS over
#                                time); Kafka ingress (ledger-bench --kafka against a Kafka-enabled gateway on the
#                                mock cluster, REST against the same gateway beside it); the full run adds the micro
#                                benches, the durable pipeline, replay and restart.
#                                --quick: 1 round of 5 s per figure, 1-minute soak, no micro/durable (<= 6 minutes);
#                                full: 3 rounds of 10 s, 10-minute soak (45 minutes with MAIN= on a loaded box).
#   ./run-perf.sh micro [FILTER] the BenchmarkDotNet micro benches and the EngineHost harness (perf/micro/run-micro.sh)
#   ./run-perf.sh http [s] [c]   the gateway with wrk (perf/http/run-http.sh, the earlier HTTP section)
#   ./run-perf.sh journal [quick] the durable pipeline, bounded-memory soak, replay and start-up (perf/durable)
#   ./run-perf.sh soak [min] [runs] the whole service over HTTP with wrk in 10 s slices (perf/soak/run-soak.sh)
#   ./run-perf.sh kafka          Kafka ingress and publisher on the mock cluster, then REST beside it
#   ./run-perf.sh report <dir>   (re)writes <dir>/report.md and its plots from the results JSON under <dir>
# Environment: ROUNDS, SECONDS_PER_RUN, CONNECTIONS (32), ACCOUNTS (1000), SOAK_SECONDS, LEDGER_PERF_PORT_BASE (18290),
#   KAFKA_IN_FLIGHT (1000: commands in flight in the Kafka runs, under the ingress's window of 1 024),
#   MAIN=<checkout>: also drive the gateway of another checkout (e.g. a `git worktree` of main) as target `main`, in the
#   same rounds, so a change is judged against the code before it in the same run.
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  micro) shift; exec perf/micro/run-micro.sh "$@" ;;
  http) shift; exec perf/http/run-http.sh "$@" ;;
  journal) shift; exec perf/durable/run-durable.sh "$@" ;;
  soak) shift; exec perf/soak/run-soak.sh "$@" ;;
  kafka) shift; exec perf/kafka/run-kafka.sh "$@" ;;
  report)
    shift
    dotnet build -c Release perf/report -v q -nologo > /dev/null
    exec dotnet perf/report/bin/Release/net10.0/Ledger.PerfReport.dll "${1:?results directory}"
    ;;
  --quick|"") ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
if [ $QUICK = 1 ]; then
  ROUNDS=${ROUNDS:-1}; SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}; WARMUP=${WARMUP:-2}; SWEEP_STEP=${SWEEP_STEP:-2}; SOAK_SECONDS=${SOAK_SECONDS:-60}
else
  ROUNDS=${ROUNDS:-3}; SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}; WARMUP=${WARMUP:-3}; SWEEP_STEP=${SWEEP_STEP:-5}; SOAK_SECONDS=${SOAK_SECONDS:-600}
fi
CONNECTIONS=${CONNECTIONS:-32}
ACCOUNTS=${ACCOUNTS:-1000}
BASE=${LEDGER_PERF_PORT_BASE:-18290}
LEDGER_URL=http://127.0.0.1:$((BASE + 1))
NOOP_URL=http://127.0.0.1:$((BASE + 2))
PG_URL=http://127.0.0.1:$((BASE + 3))
PG_PORT=$((BASE + 4))
MAIN_URL=http://127.0.0.1:$((BASE + 5))
KLEDGER_URL=http://127.0.0.1:$((BASE + 6))
KMAIN_URL=http://127.0.0.1:$((BASE + 7))
KAFKA_IN_FLIGHT=${KAFKA_IN_FLIGHT:-1000}
TARGETS="noop postgres ledger${MAIN:+ main}"
started=$(date +%s)
out="perf/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out/runs"

# What the run needs: PostgreSQL (the baseline), fonts for the plots' text, curl for readiness.
need=()
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || need+=(postgresql)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v curl > /dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing ${need[*]}"
  $SUDO apt-get update -q > /dev/null && $SUDO apt-get install -y -q "${need[@]}" > /dev/null
fi

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "command: ./run-perf.sh${1:+ $1}"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') RAM"
  echo "software: .NET SDK $(dotnet --version), $(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | sed 's/^/PostgreSQL /' | tail -1), kernel $(uname -r)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine journal gateway perf || echo ' (+ uncommitted changes)')"
  echo "load: $ROUNDS round(s) of ${SECONDS_PER_RUN} s per figure after ${WARMUP} s warm-up, $CONNECTIONS connections, $ACCOUNTS accounts, sweep steps of ${SWEEP_STEP} s, soak ${SOAK_SECONDS} s"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "uptime before: $(uptime)"
} | tee "$out/machine.txt"

echo "== build (Release)"
for project in gateway perf/bench perf/baselines/noop perf/baselines/postgres perf/report perf/kafka ${MAIN:+$MAIN/gateway}; do
  dotnet build -c Release "$project" -v q -nologo > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
done
[ -n "${MAIN:-}" ] && echo "main: $MAIN at $(git -C "$MAIN" rev-parse --short HEAD)" | tee -a "$out/machine.txt"

# ---------------- servers ----------------
DATA=$(mktemp -d /tmp/ledger-perf-data.XXXXXX)
MAIN_DATA=$(mktemp -d /tmp/ledger-perf-main.XXXXXX)
PGDIR=$(mktemp -d /tmp/ledger-perf-pg.XXXXXX)
KDATA=$(mktemp -d /tmp/ledger-perf-kafka.XXXXXX)
LEDGER_PID=; NOOP_PID=; PG_PID=; MAIN_PID=; BROKER_PID=; KLEDGER_PID=; KMAIN_PID=
stop_kafka() {
  for pid in $KLEDGER_PID $KMAIN_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $KLEDGER_PID $KMAIN_PID; do wait "$pid" 2>/dev/null || true; done
  [ -n "$BROKER_PID" ] && { kill -TERM "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; }
  KLEDGER_PID=; KMAIN_PID=; BROKER_PID=
}
cleanup() {
  stop_kafka
  for pid in $LEDGER_PID $NOOP_PID $PG_PID $MAIN_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $LEDGER_PID $NOOP_PID $PG_PID $MAIN_PID; do wait "$pid" 2>/dev/null || true; done
  LEDGER_PID=; NOOP_PID=; PG_PID=; MAIN_PID=
  perf/baselines/postgres/pg-cluster.sh stop "$PGDIR" > /dev/null 2>&1 || true
  rm -rf "$DATA" "$MAIN_DATA" "$KDATA"
}
trap cleanup EXIT
ready() { # url pid log
  for _ in $(seq 1 600); do
    curl -s -o /dev/null -X POST "$1/connect/token" -d grant_type=client_credentials -d client_id=x -d client_secret=y && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "not ready: $1 (see $3)"; tail -20 "$3"; exit 1
}

echo "== servers"
dotnet gateway/bin/Release/net10.0/Ledger.Gateway.dll --urls=$LEDGER_URL --Ledger:DataDir="$DATA" --Ledger:RateLimit:PermitsPerSecond=0 \
  --Logging:LogLevel:Default=Warning > "$out/ledger.log" 2>&1 &
LEDGER_PID=$!
dotnet perf/baselines/noop/bin/Release/net10.0/Ledger.Baselines.NoOp.dll --urls=$NOOP_URL > "$out/noop.log" 2>&1 &
NOOP_PID=$!
PG_CONNECTION=$(perf/baselines/postgres/pg-cluster.sh start "$PGDIR" "$PG_PORT" | tail -1)
dotnet perf/baselines/postgres/bin/Release/net10.0/Ledger.Baselines.Postgres.dll --urls=$PG_URL --Postgres:ConnectionString="$PG_CONNECTION" \
  > "$out/postgres.log" 2>&1 &
PG_PID=$!
if [ -n "${MAIN:-}" ]; then
  dotnet "$MAIN/gateway/bin/Release/net10.0/Ledger.Gateway.dll" --urls=$MAIN_URL --Ledger:DataDir="$MAIN_DATA" --Ledger:RateLimit:PermitsPerSecond=0 \
    --Logging:LogLevel:Default=Warning > "$out/main.log" 2>&1 &
  MAIN_PID=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null $MAIN_URL/health/ready && break; sleep 0.1; done
  curl -sf -o /dev/null $MAIN_URL/health/ready || { echo "main's gateway is not ready; see $out/main.log"; exit 1; }
fi
ready $NOOP_URL $NOOP_PID "$out/noop.log"
ready $PG_URL $PG_PID "$out/postgres.log"
for _ in $(seq 1 600); do curl -sf -o /dev/null $LEDGER_URL/health/ready && break; sleep 0.1; done
curl -sf -o /dev/null $LEDGER_URL/health/ready || { echo "the ledger is not ready; see $out/ledger.log"; exit 1; }
echo "ledger pid $LEDGER_PID at $LEDGER_URL, no-op pid $NOOP_PID at $NOOP_URL, PostgreSQL baseline pid $PG_PID at $PG_URL (cluster on port $PG_PORT)"

# ---------------- runs ----------------
STATUS=0
BENCH="perf/bench/bin/Release/net10.0/ledger-bench"
# During the Kafka section ledger and main are the Kafka-enabled gateways (KAFKA_SECTION=1).
KAFKA_SECTION=0
url_of() {
  if [ $KAFKA_SECTION = 1 ]; then case $1 in ledger) echo $KLEDGER_URL ;; main) echo $KMAIN_URL ;; esac; return; fi
  case $1 in ledger) echo $LEDGER_URL ;; noop) echo $NOOP_URL ;; postgres) echo $PG_URL ;; main) echo $MAIN_URL ;; esac
}
pid_of() {
  if [ $KAFKA_SECTION = 1 ]; then case $1 in ledger) echo $KLEDGER_PID ;; main) echo $KMAIN_PID ;; esac; return; fi
  case $1 in ledger) echo $LEDGER_PID ;; noop) echo $NOOP_PID ;; postgres) echo $PG_PID ;; main) echo $MAIN_PID ;; esac
}
check_of() { [ "$1" = noop ] && echo counts || echo full; }
# bench <target> <section> <label> <round> <args...>: one ledger-bench run, its JSON under runs/, its lines in bench.log.
bench() {
  local target=$1 section=$2 label=$3 round=$4; shift 4
  local file="$out/runs/$section-$label-$target-r$round.json"
  echo "-- $section $label $target round $round" >> "$out/bench.log"
  if "$BENCH" --plain --url "$(url_of "$target")" --target "$target" --section "$section" --label "$label" --round "$round" \
       --server-pid "$(pid_of "$target")" --check "$(check_of "$target")" --out "$file" "$@" >> "$out/bench.log" 2>&1; then
    grep -E '^(closed|open|knee)' "$out/bench.log" | tail -1 | sed "s/^/   $section $label $target r$round: /"
  else
    STATUS=1
    echo "   $section $label $target r$round: FAILED (see $out/bench.log)"; tail -5 "$out/bench.log"
  fi
}

echo "== HTTP: 1, 10 and 100 entries per batch, closed loop, $CONNECTIONS connections, targets interleaved round by round"
for round in $(seq 1 "$ROUNDS"); do
  for batch in 1 10 100; do
    for target in $TARGETS; do
      bench $target http batch-$batch "$round" --mode closed -c "$CONNECTIONS" -d "$SECONDS_PER_RUN" --warmup "$WARMUP" \
        --batch $batch --accounts "$ACCOUNTS"
    done
  done
done

echo "== open-loop sweep, 10-entry batches (fractions of a closed-loop probe's peak)"
for target in $TARGETS; do
  bench $target sweep batch-10 1 --mode sweep -c 64 -d "$SWEEP_STEP" --warmup 1 --batch 10 --accounts "$ACCOUNTS" --first-account 2000001
done

echo "== hot accounts: 10 and 1 account(s), single-entry deposits"
for round in $(seq 1 "$ROUNDS"); do
  for hot in 10 1; do
    for target in $TARGETS; do
      bench $target hot "accounts-$hot" "$round" --mode closed -c "$CONNECTIONS" -d "$SECONDS_PER_RUN" --warmup 1 --batch 1 \
        --accounts $hot --first-account $((3000001 + hot * 100))
    done
  done
done

echo "== soak: the ledger for ${SOAK_SECONDS} s, 100-entry batches, closed loop (throughput and RSS over time)"
bench ledger soak "batch-100-${SOAK_SECONDS}s" 1 --mode closed -c "$CONNECTIONS" -d "$SOAK_SECONDS" --warmup 0 --batch 100 \
  --accounts "$ACCOUNTS" --first-account 4000001

echo "== Kafka ingress: ledger-bench --kafka (100-entry POST_BATCH commands, $KAFKA_IN_FLIGHT in flight) and REST beside it, same gateway"
# The REST servers stop first (they would share the cores); a gateway with Kafka on (events published, ingress from
# ledger.commands as demo-partner) per checkout, on librdkafka's mock cluster (perf/kafka broker, 4 partitions).
for pid in $LEDGER_PID $NOOP_PID $PG_PID $MAIN_PID; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in $LEDGER_PID $NOOP_PID $PG_PID $MAIN_PID; do wait "$pid" 2>/dev/null || true; done
LEDGER_PID=; NOOP_PID=; PG_PID=; MAIN_PID=
perf/baselines/postgres/pg-cluster.sh stop "$PGDIR" > /dev/null 2>&1 || true
dotnet perf/kafka/bin/Release/net10.0/Ledger.KafkaBench.dll broker 4 ledger.commands ledger.results ledger.events \
  main.commands main.results main.events > "$out/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 300); do grep -q '^bootstrap: ' "$out/broker.log" && break; sleep 0.1; done
BOOTSTRAP=$(sed -n 's/^bootstrap: //p' "$out/broker.log")
if [ -z "$BOOTSTRAP" ]; then
  echo "the mock cluster did not start; see $out/broker.log"; STATUS=1
else
  kafka_gateway() { # dll url datadir log
    dotnet "$1" --urls="$2" --Ledger:DataDir="$3" --Ledger:RateLimit:PermitsPerSecond=0 --Logging:LogLevel:Default=Warning \
      --Ledger:Kafka:BootstrapServers="$BOOTSTRAP" --Ledger:Kafka:CommandsPartner=demo-partner > "$4" 2>&1 &
  }
  kafka_gateway gateway/bin/Release/net10.0/Ledger.Gateway.dll $KLEDGER_URL "$KDATA/ledger" "$out/kafka-ledger.log"
  KLEDGER_PID=$!
  KTARGETS=ledger
  if [ -n "${MAIN:-}" ]; then
    # main gets its own topics and ingress group: in one group the two ingresses would share ledger.commands' partitions.
    dotnet "$MAIN/gateway/bin/Release/net10.0/Ledger.Gateway.dll" --urls=$KMAIN_URL --Ledger:DataDir="$KDATA/main" --Ledger:RateLimit:PermitsPerSecond=0 \
      --Logging:LogLevel:Default=Warning --Ledger:Kafka:BootstrapServers="$BOOTSTRAP" --Ledger:Kafka:CommandsPartner=demo-partner \
      --Ledger:Kafka:CommandsTopic=main.commands --Ledger:Kafka:ResultsTopic=main.results --Ledger:Kafka:EventsTopic=main.events \
      --Ledger:Kafka:ConsumerGroup=main > "$out/kafka-main.log" 2>&1 &
    KMAIN_PID=$!
    KTARGETS="ledger main"
  fi
  KAFKA_SECTION=1
  for t in $KTARGETS; do
    for _ in $(seq 1 600); do curl -sf -o /dev/null "$(url_of $t)/health/ready" && break; sleep 0.1; done
    curl -sf -o /dev/null "$(url_of $t)/health/ready" || { echo "the Kafka-enabled $t is not ready; see $out/kafka-$t.log"; STATUS=1; }
  done
  echo "mock cluster at $BOOTSTRAP (pid $BROKER_PID); Kafka-enabled gateways: $KTARGETS"
  for round in $(seq 1 "$ROUNDS"); do
    for t in $KTARGETS; do
      topics=; [ $t = main ] && topics="--commands-topic main.commands --results-topic main.results"
      bench $t kafka batch-100 "$round" --kafka "$BOOTSTRAP" $topics --mode closed -c "$KAFKA_IN_FLIGHT" -d "$SECONDS_PER_RUN" \
        --warmup "$WARMUP" --batch 100 --accounts "$ACCOUNTS" --first-account 5000001
      bench $t kafka rest-batch-100 "$round" --mode closed -c "$CONNECTIONS" -d "$SECONDS_PER_RUN" --warmup "$WARMUP" --batch 100 \
        --accounts "$ACCOUNTS" --first-account 5000001
    done
  done
  KAFKA_SECTION=0
fi
stop_kafka

if [ $QUICK = 0 ]; then
  # The rest of the suite: the servers are stopped, they would share the cores.
  cleanup; trap - EXIT
  echo "== micro benches and the EngineHost harness"
  OUT="$out/micro" perf/micro/run-micro.sh > "$out/micro.log" 2>&1 || STATUS=1
  echo "== the durable pipeline, replay and start-up (quick sizes)"
  perf/durable/run-durable.sh quick > "$out/durable.log" 2>&1 || STATUS=1
  echo "== Kafka ingress and publisher in one process (perf/kafka, mock cluster): the publisher's lag"
  perf/kafka/run-kafka.sh no-rest > "$out/kafka.log" 2>&1 || STATUS=1
fi

echo "uptime after: $(uptime)" >> "$out/machine.txt"
echo "elapsed: $(( $(date +%s) - started )) s" >> "$out/machine.txt"
echo "== report"
dotnet perf/report/bin/Release/net10.0/Ledger.PerfReport.dll "$out" || STATUS=1
echo "whole run: $(( $(date +%s) - started )) s"
exit $STATUS
