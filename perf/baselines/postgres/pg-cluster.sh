#!/usr/bin/env bash
# A private PostgreSQL cluster for the baseline: initdb under a temporary directory, its own port and socket directory,
# fsync and synchronous_commit on (the defaults, said out loud). Debian's postgresql package; as root the server runs as
# the postgres user (initdb refuses root).
#   perf/baselines/postgres/pg-cluster.sh start <dir> <port>     prints the connection string on its last line
#   perf/baselines/postgres/pg-cluster.sh stop <dir>
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed: apt-get update && apt-get install -y postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 > "$dir/initdb.log"
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on \
       -c shared_buffers=256MB -c max_connections=200 -c wal_buffers=16MB -c max_wal_size=2GB" > /dev/null
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true
    rm -rf "$dir"
    ;;
  *) echo "start|stop" >&2; exit 2 ;;
esac
