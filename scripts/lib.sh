# shellcheck shell=bash
# Sourced by the root-file-system scripts (debian.sh, image.sh,
# test_image.sh): a progress line with the seconds since the script started,
# an error worded like PostgreSQL's tools ("NAME: what failed", then "HINT:
# what to do"), the Debian mirror, and a throwaway cluster. The sourcing script sets script_name.
started=$SECONDS
step() { echo "== ${script_name:?}: $* ($((SECONDS - started)) s)"; }
fail() {
  echo "${script_name:?}: $1" >&2
  if [[ -n "${2:-}" ]]; then echo "HINT: $2" >&2; fi
  exit 1
}

# The Debian mirror the root file systems come from: SANDBOXCTL_DEBIAN_MIRROR,
# else the one the machine's own apt sources name (deb822 or one-line
# format; not the security archive), else Debian's.
debian_mirror() {
  local mirror=${SANDBOXCTL_DEBIAN_MIRROR:-}
  [[ -n $mirror ]] || mirror=$(sed -nE 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v -- '-security' | head -1 || true)
  [[ -n $mirror ]] || mirror=$(sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | head -1 || true)
  echo "${mirror:-http://deb.debian.org/debian}"
}

# A throwaway PostgreSQL cluster, set up like the test harness's
# (tests/harness/cluster.cpp): initdb, then pg_ctl on a free loopback port with
# fsync off. $1 runs a PostgreSQL program by name as the server's user; $2 and
# $3 are the data and socket directories as that program sees them; $4 is
# the data directory as this script sees it (for the logs); $5 names the
# server in messages. Sets cluster_port.
start_cluster() {
  local run=$1 data=$2 socket=$3 seen=$4 name=$5 candidate options
  "$run" initdb --pgdata="$data" --username=postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$seen.initdb.log" 2>&1 ||
    { cat "$seen.initdb.log" >&2; fail "initdb of $name failed"; }
  cluster_port=
  for _ in 1 2 3 4 5; do
    candidate=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
      2>/dev/null || shuf -i 20000-60000 -n 1)
    # One line: pg_ctl hands the options to a shell, where a newline ends the command.
    options="-c listen_addresses=127.0.0.1 -c port=$candidate -c unix_socket_directories=$socket"
    options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
    options+=" -c shared_buffers=128MB -c log_min_messages=warning"
    if "$run" pg_ctl --pgdata="$data" --log="$data/server.log" --wait --options="$options" start >/dev/null; then
      # shellcheck disable=SC2034 # the caller's result
      cluster_port=$candidate
      return 0
    fi
  done
  cat "$seen/server.log" >&2
  fail "$name did not start"
}
