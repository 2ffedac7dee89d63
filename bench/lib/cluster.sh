# Throwaway PostgreSQL cluster for the benchmarks (sourced by bench/*).
# Same shape as the test harness: initdb + pg_ctl on a free loopback port,
# socket in a private directory, run as `postgres` when we are root.

bench_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/{17,16,15,14,13}/bin; do
    [[ -x "$dir/initdb" ]] && { echo "$dir"; return; }
  done
  echo "bench: no PostgreSQL server under /usr/lib/postgresql" >&2
  return 1
}

as_server_user() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# now_ms VAR: sets VAR to the milliseconds of bash's own clock. A `date`
# process (or a subshell) in every sample would add its start to the time of
# the command it brackets, more so when eight of them run at once.
now_ms() {
  local now=${EPOCHREALTIME/[.,]/}
  printf -v "$1" '%d' $(( now / 1000 ))
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_cluster DIR [OPTIONS]: sets PGBIN, PGPORT_BENCH, SOCKET_DIR; settings
# equal for every tool, OPTIONS ("-c name=value ...") added to them.
start_cluster() {
  local dir=$1 extra=${2:-}
  PGBIN=$(bench_pg_bin)
  mkdir -p "$dir/data" "$dir/socket"
  chmod 755 "$dir"
  [[ $EUID -eq 0 ]] && chown postgres: "$dir/data" "$dir/socket"
  as_server_user "$PGBIN/initdb" --pgdata="$dir/data" --username=postgres --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  PGPORT_BENCH=$(free_port)
  SOCKET_DIR="$dir/socket"
  as_server_user "$PGBIN/pg_ctl" --pgdata="$dir/data" --log="$dir/data/server.log" --wait \
    --options="-c listen_addresses=127.0.0.1 -c port=$PGPORT_BENCH -c unix_socket_directories=$SOCKET_DIR \
      -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c maintenance_work_mem=256MB \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 $extra" start >/dev/null
}

stop_cluster() {
  local dir=$1
  as_server_user "$PGBIN/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null 2>&1 || true
}

admin_psql() {
  local db=$1; shift
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGPORT_BENCH" -U postgres -d "$db" "$@"
}
