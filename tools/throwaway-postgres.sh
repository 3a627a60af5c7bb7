#!/usr/bin/env bash
# start DIR: initdb a PostgreSQL cluster into DIR on a free loopback port, start it, print its
#            URL (postgresql://baraza@127.0.0.1:PORT/postgres). Tests run it with fsync off;
#            BARAZA_PG_DURABLE=1 runs it as production does (fsync and synchronous commit on,
#            the settings of ../shared/peer-bench's server) for benchmarks.
# pause DIR: stop the server, keeping its data (a database outage in a fault test).
# resume DIR: start it again on the same port.
# stop DIR:  stop it and delete DIR.
# PostgreSQL refuses to run as root, so as root the cluster runs as the 'postgres' user.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bindir/initdb" ]] || { echo "throwaway-postgres: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    # From /: initdb and pg_ctl return to the working folder, which postgres may not enter.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    dir=${2:?usage: throwaway-postgres.sh start DIR}
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U baraza --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    settings="-c fsync=off"
    if [[ "${BARAZA_PG_DURABLE:-0}" == 1 ]]; then
      settings="-c fsync=on -c synchronous_commit=on -c shared_buffers=512MB -c wal_buffers=16MB"
      settings+=" -c max_wal_size=8GB -c checkpoint_timeout=30min"
      settings+=" -c shared_preload_libraries=pg_stat_statements"  # where a benchmark's time went
    fi
    for _ in $(seq 1 20); do
      # Below the kernel's ephemeral range (32768 and up): while the server is paused, a client
      # retrying a port in that range can be given it as its own local port and connect to
      # itself, and the server then cannot bind it again.
      port=$((20000 + RANDOM % 12000))
      (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && continue  # taken
      options="-p $port -k $dir -c listen_addresses=127.0.0.1 $settings -c max_connections=200"
      if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$options" \
           start >/dev/null 2>&1; then
        echo "$options" >"$dir/options"
        # The engine's role in tests: neither a superuser nor BYPASSRLS, so row-level security
        # applies to it as it would in production.
        as_owner "$bindir/psql" -h 127.0.0.1 -p "$port" -U baraza -d postgres -qc \
          "CREATE ROLE baraza_app LOGIN NOSUPERUSER NOBYPASSRLS" >/dev/null
        echo "postgresql://baraza@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    echo "throwaway-postgres: could not start a server; see $dir/server.log" >&2
    exit 1
    ;;
  pause)
    dir=${2:?usage: throwaway-postgres.sh pause DIR}
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    dir=${2:?usage: throwaway-postgres.sh resume DIR}
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$(cat "$dir/options")" \
      start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    dir=${2:?usage: throwaway-postgres.sh stop DIR}
    if [[ -d "$dir/data" ]]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: throwaway-postgres.sh start|pause|resume|stop DIR" >&2
    exit 2
    ;;
esac
