#!/usr/bin/env bash
# Builds sandboxctl on Debian 13 (trixie: g++ 14, libpq 17) and runs the
# PostgreSQL suite there on a PostgreSQL 17 cluster, then the cross-server
# tests with prod on this machine's PostgreSQL 15 and the sandbox on 17.
#
# No container runtime is needed: a Debian 13 root file system is built once
# with mmdebstrap from Debian's own packages (build/debian13/root, rebuilt
# when the package list below changes; `rm -rf build/debian13` refreshes it),
# and everything runs in it under chroot, inside a private mount namespace
# (unshare --mount), so the mounts it needs vanish with the namespace on every
# exit path. Needs root (mmdebstrap, chroot), mmdebstrap and postgresql-15
# (scripts/setup.sh) and access to deb.debian.org the first time.
#
# usage: scripts/debian13.sh [GTEST_FILTER]
#   e.g. scripts/debian13.sh 'Reset*'   (default: the whole pg suite)
#        scripts/debian13.sh --root     only builds the root file system
#                                       (test.sh starts it early: downloads)
#        scripts/debian13.sh --build    builds sandboxctl there, no tests
#                                       (/build/sandboxctl in the root; image.sh)
# SANDBOXCTL_DEBIAN_MIRROR picks another Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
script_name=debian13
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

# The two inner stages of a run, in the order they execute.
if [[ "${1:-}" == "--in-namespace" ]]; then
  # In a private mount namespace: these mounts vanish with it, whatever the
  # exit. /proc, /dev (with /dev/shm for the server's shared memory), the
  # source tree read-only at /src, ../shared (the Dolibarr fixture) read-only
  # at /shared, and the PostgreSQL 15 socket directory.
  root=$DEBIAN13_ROOT
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mkdir -p "$root/src" "$root/shared" "$root/run/sandboxctl-pg15"
  mount --bind -o ro "$repo" "$root/src"
  if [[ -d $repo/../shared ]]; then mount --bind -o ro "$repo/../shared" "$root/shared"; fi
  if [[ -n ${DEBIAN13_PG15_SOCKET:-} ]]; then mount --bind "$DEBIAN13_PG15_SOCKET" "$root/run/sandboxctl-pg15"; fi
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    CI="${CI:-}" DEBIAN13_PG15_PORT="${DEBIAN13_PG15_PORT:-}" DEBIAN13_FILTER="${DEBIAN13_FILTER:-}" \
    DEBIAN13_MODE="$DEBIAN13_MODE" \
    /src/scripts/debian13.sh --in-chroot
fi
if [[ "${1:-}" == "--in-chroot" ]]; then
  # The build tree and ccache's cache stay in the root: later runs are incremental.
  started=$SECONDS
  echo "-- $(g++ --version | head -1); $(pg_config --version)"
  cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANDBOXCTL_WERROR=ON >/dev/null
  if [[ $DEBIAN13_MODE == build ]]; then
    cmake --build /build -j 2 --target sandboxctl
    echo "-- compiled in $((SECONDS - started)) s"
    exit 0
  fi
  cmake --build /build -j 2 --target sandboxctl pg_tests
  echo "-- compiled in $((SECONDS - started)) s"
  # Both runs, whatever the first says: each failure list is worth having.
  status=0
  started=$SECONDS
  /build/tests/pg_tests --gtest_color=no --gtest_filter="$DEBIAN13_FILTER" || status=1
  echo "-- pg suite on PostgreSQL 17 in $((SECONDS - started)) s"
  started=$SECONDS
  SANDBOXCTL_TEST_SOURCE_SOCKET_DIR=/run/sandboxctl-pg15 SANDBOXCTL_TEST_SOURCE_PORT=$DEBIAN13_PG15_PORT \
    SANDBOXCTL_TEST_SOURCE_MAJOR=15 /build/tests/pg_tests --gtest_color=no --gtest_filter='CrossServer*' || status=1
  echo "-- cross-server tests, prod on PostgreSQL 15, in $((SECONDS - started)) s"
  exit $status
fi

if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || fail "must run as root (mmdebstrap, chroot, mounts)" "sudo scripts/debian13.sh"
  exec sudo --preserve-env=CI,SANDBOXCTL_DEBIAN_MIRROR "$0" "$@"
fi
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed" "scripts/setup.sh installs it"
pg15=/usr/lib/postgresql/15/bin
[[ -x $pg15/initdb ]] || fail "no PostgreSQL 15 at $pg15 for the cross-server tests" "scripts/setup.sh installs it"

# What the root holds: the build dependencies of scripts/setup.sh under their
# Debian 13 names, PostgreSQL 17 (server and client) and what the pg suite
# runs (runuser and prlimit come from util-linux; kubectl, 1.32 in Debian 13,
# for the Kubernetes tests).
packages=(
  build-essential cmake pkg-config ccache
  libpq-dev postgresql-17 postgresql-client-17
  libcli11-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev libgtest-dev
  libzstd-dev libssl-dev libarchive-dev
  util-linux procps kubectl
)
mirror=${SANDBOXCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$repo/build/debian13
root=$work/root
# The postgresql package must not create (and start) a cluster of its own: the
# tests start theirs. The hook runs before the packages are installed.
# shellcheck disable=SC2016 # "$1" is mmdebstrap's, expanded when the hook runs
no_cluster_hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" &&
  echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/sandboxctl.conf"'
key=$(printf '%s\n' "${packages[@]}" "$mirror" "$no_cluster_hook" | sha256sum | cut -c1-16)

if [[ "$(cat "$work/root.key" 2>/dev/null)" != "$key" ]]; then
  step "building the Debian 13 root file system (once)"
  rm -rf "$root" "$root.new" "$work/root.key"
  mkdir -p "$work"
  # Into root.new, then renamed: an interrupted build never looks complete.
  include=$(IFS=,; echo "${packages[*]}")
  mmdebstrap --quiet --variant=apt --include="$include" --essential-hook="$no_cluster_hook" \
    trixie "$root.new" "$mirror" || fail "mmdebstrap could not build the Debian 13 root" \
    "check access to $mirror (SANDBOXCTL_DEBIAN_MIRROR picks another)"
  mv "$root.new" "$root"
  echo "$key" >"$work/root.key"
fi

if [[ ${1:-} == --root ]]; then
  step "the root file system is ready"
  exit 0
fi
if [[ ${1:-} == --build ]]; then
  export DEBIAN13_ROOT=$root DEBIAN13_MODE=build
  unshare --mount --propagation private -- "$repo/scripts/debian13.sh" --in-namespace
  step "built $root/build/sandboxctl"
  exit 0
fi

# The PostgreSQL 15 prod server for the cross-server tests runs here, on
# Debian 12, like the harness's clusters (cluster.cpp): a private directory,
# the server as the unprivileged postgres user, a free loopback port. Its
# socket directory is bound into the root, so the tests reach it as superuser.
pg15_dir=$(mktemp -d /tmp/sandboxctl-pg15.XXXXXX)
as_pg15() { runuser -u postgres -- "$pg15/$1" "${@:2}"; }
stop_pg15() {
  if [[ -f $pg15_dir/data/postmaster.pid ]]; then
    as_pg15 pg_ctl --pgdata="$pg15_dir/data" --mode=immediate --wait stop >/dev/null || true
  fi
  rm -rf "$pg15_dir"
}
trap stop_pg15 EXIT
chmod 0711 "$pg15_dir"
mkdir -p "$pg15_dir/data" "$pg15_dir/socket"
chown postgres:postgres "$pg15_dir/data" "$pg15_dir/socket"
step "starting PostgreSQL 15 (prod of the cross-server tests)"
start_cluster as_pg15 "$pg15_dir/data" "$pg15_dir/socket" "$pg15_dir/data" "PostgreSQL 15"
pg15_port=$cluster_port

step "building and testing in Debian 13"
export DEBIAN13_ROOT=$root DEBIAN13_PG15_SOCKET=$pg15_dir/socket DEBIAN13_PG15_PORT=$pg15_port
export DEBIAN13_FILTER=${1:-*} DEBIAN13_MODE=test
unshare --mount --propagation private -- "$repo/scripts/debian13.sh" --in-namespace
step "passed"
