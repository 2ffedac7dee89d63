#!/usr/bin/env bash
# Builds sandboxctl on a newer Debian release and runs there, on that
# release's PostgreSQL, the pg suites that check what differs by version
# (tests/pg/on_every_version.txt; the whole suite runs on Debian 12's 15 in
# scripts/test.sh), then the cross-server tests with prod on older servers:
#
#   trixie   Debian 13: g++ 14, libpq 17, PostgreSQL 17; prod on 15
#   forky    Debian testing: g++ 16, libpq 18, PostgreSQL 18; prod on 15 and
#            on 17 (trixie's, whose root is built too)
#
# No container runtime is needed: each release's root file system is built
# once with mmdebstrap from Debian's own packages (build/RELEASE/root, rebuilt
# when its package list or sources change; `rm -rf build/RELEASE` refreshes
# it), and everything runs in it under chroot, inside a private mount
# namespace (unshare --mount), so the mounts it needs vanish with the
# namespace on every exit path. Needs root (mmdebstrap, chroot), mmdebstrap
# and postgresql-15 (scripts/setup.sh) and access to the Debian mirror the
# first time: the one the machine's apt sources name, or deb.debian.org.
#
# usage: scripts/debian.sh RELEASE [--all|GTEST_FILTER]
#   e.g. scripts/debian.sh forky 'Reset*'   (default: the suites of
#                                           tests/pg/on_every_version.txt;
#                                           the cross-server runs always run
#                                           CrossServer*)
#        scripts/debian.sh forky --all      the whole pg suite
#        scripts/debian.sh forky --root     only builds the root file system
#        scripts/debian.sh forky --build    builds sandboxctl there, no tests
#                                           (/build/sandboxctl in the root;
#                                           image.sh ships forky's)
# SANDBOXCTL_DEBIAN_MIRROR picks another Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
release=${1:-}
script_name="debian ${release:-?}"
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

# The two inner stages of a run, in the order they execute.
if [[ "${2:-}" == "--in-namespace" ]]; then
  # In a private mount namespace: these mounts vanish with it, whatever the
  # exit. /proc, /dev (with /dev/shm for the server's shared memory), the
  # source tree read-only at /src, ../shared (the Dolibarr fixture) read-only
  # at /shared, and the socket directories of the older prod servers.
  root=$DEBIAN_ROOT
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mkdir -p "$root/src" "$root/shared"
  mount --bind -o ro "$repo" "$root/src"
  if [[ -d $repo/../shared ]]; then mount --bind -o ro "$repo/../shared" "$root/shared"; fi
  for source in ${DEBIAN_SOURCES:-}; do
    IFS=: read -r major socket _ <<<"$source"
    mkdir -p "$root/run/sandboxctl-pg$major"
    mount --bind "$socket" "$root/run/sandboxctl-pg$major"
  done
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    CI="${CI:-}" DEBIAN_SOURCES="${DEBIAN_SOURCES:-}" DEBIAN_FILTER="${DEBIAN_FILTER:-}" \
    DEBIAN_MODE="$DEBIAN_MODE" \
    /src/scripts/debian.sh "$release" --in-chroot
fi
if [[ "${2:-}" == "--in-chroot" ]]; then
  # The build tree and ccache's cache stay in the root: later runs are incremental.
  started=$SECONDS
  echo "-- $(g++ --version | head -1); $(pg_config --version)"
  # -O2 as in build/ (GCC's flow-based warnings need it), without debug
  # information: it is a third of this GCC's compile time, and the image
  # strips the binary anyway. A unity build, as build-asan/ (scripts/test.sh).
  cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DSANDBOXCTL_WERROR=ON >/dev/null
  if [[ $DEBIAN_MODE == build ]]; then
    cmake --build /build -j 2 --target sandboxctl
    echo "-- compiled in $((SECONDS - started)) s"
    exit 0
  fi
  # The runs' reports, for scripts/test_totals.py: GoogleTest's (one per
  # run: pg_tests.json, pg_tests_1.json, ...) and, in runs.xml, each run's
  # exit status (a run that crashed leaves no report of its own). Emptied
  # first: a failed build must not leave an older run's reports behind.
  results=/build/test-results
  rm -rf "$results"
  mkdir -p "$results"
  export GTEST_OUTPUT=json:$results/
  runs=()
  run_pg_tests() {
    local name=pg_tests run_status=run
    [[ ${#runs[@]} -eq 0 ]] || name=pg_tests_${#runs[@]}
    /build/tests/pg_tests --gtest_color=no "$@" || run_status=fail
    runs+=("<testcase name=\"$name\" status=\"$run_status\"/>")
    [[ $run_status == run ]]
  }
  write_runs() {
    printf '<testsuite name="%s">%s</testsuite>\n' "$(pg_config --version)" "${runs[*]}" >"$results/runs.xml"
  }
  if ! cmake --build /build -j 2 --target sandboxctl pg_tests; then
    runs+=("<testcase name=\"pg_tests build\" status=\"fail\"/>")
    write_runs
    exit 1
  fi
  echo "-- compiled in $((SECONDS - started)) s"
  # Sets DEBIAN_FILTER to the suites that differ by version, each of which
  # must exist: a renamed suite must not quietly stop running on every
  # version but one. Fails, with each name it cannot find recorded as a
  # failed run, otherwise.
  select_version_suites() {
    local suites suite listed failed=0
    mapfile -t suites < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' /src/tests/pg/on_every_version.txt | grep -v '^$')
    if [[ ${#suites[@]} -eq 0 ]]; then
      runs+=("<testcase name=\"on_every_version.txt names no suite\" status=\"fail\"/>")
      failed=1
    fi
    listed=$(/build/tests/pg_tests --gtest_list_tests | grep -v '^ ' | sed 's/\.$//')
    for suite in "${suites[@]}"; do
      if ! grep -qxF "$suite" <<<"$listed"; then
        echo "error: tests/pg/on_every_version.txt names \"$suite\", which is no suite of pg_tests" >&2
        runs+=("<testcase name=\"on_every_version.txt: $suite\" status=\"fail\"/>")
        failed=1
      fi
    done
    DEBIAN_FILTER=$(printf '%s.*:' "${suites[@]}")
    [[ $failed -eq 0 ]]
  }
  if [[ -z $DEBIAN_FILTER ]] && ! select_version_suites; then
    write_runs
    exit 1
  fi
  major=$(pg_config --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
  # Every run, whatever the ones before say: each failure list is worth having.
  status=0
  started=$SECONDS
  run_pg_tests --gtest_filter="$DEBIAN_FILTER" || status=1
  echo "-- pg suites on PostgreSQL $major in $((SECONDS - started)) s"
  for source in $DEBIAN_SOURCES; do
    IFS=: read -r source_major _ port <<<"$source"
    started=$SECONDS
    SANDBOXCTL_TEST_SOURCE_SOCKET_DIR=/run/sandboxctl-pg$source_major SANDBOXCTL_TEST_SOURCE_PORT=$port \
      SANDBOXCTL_TEST_SOURCE_MAJOR=$source_major run_pg_tests --gtest_filter='CrossServer*' || status=1
    echo "-- cross-server tests, prod on PostgreSQL $source_major, in $((SECONDS - started)) s"
  done
  write_runs
  exit $status
fi

# What each release is: its PostgreSQL, its apt source lines and options, the
# older servers its cross-server tests take prod from.
mirror=$(debian_mirror)
apt_options=()
case $release in
  trixie) pg_major=17 older_servers=(15) ;;
  # Testing: no security suite on the mirror, and its Release file may be
  # past its Valid-Until date there.
  forky) pg_major=18 older_servers=(15 17) apt_options=(--aptopt='Acquire::Check-Valid-Until "false"') ;;
  *) fail "unknown release \"$release\" (trixie or forky)" "usage: scripts/debian.sh trixie|forky [--root|--build|--all|GTEST_FILTER]" ;;
esac
sources="deb $mirror $release main"

case ${2:-} in
  --root | --build | --all | "" | -[!-]*) ;;
  --*) fail "unknown option \"$2\"" "usage: scripts/debian.sh trixie|forky [--root|--build|--all|GTEST_FILTER]" ;;
esac
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || fail "must run as root (mmdebstrap, chroot, mounts)" "sudo scripts/debian.sh $release"
  exec sudo --preserve-env=CI,SANDBOXCTL_DEBIAN_MIRROR "$repo/scripts/debian.sh" "$@"
fi
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed" "scripts/setup.sh installs it"
pg15=/usr/lib/postgresql/15/bin
[[ -x $pg15/initdb ]] || fail "no PostgreSQL 15 at $pg15 for the cross-server tests" "scripts/setup.sh installs it"

# What the root holds: the build dependencies of scripts/setup.sh under the
# release's names, its PostgreSQL (server and client) and what the pg suite
# runs (runuser and prlimit come from util-linux, script from bsdutils, which
# forky no longer has as essential; kubectl for the Kubernetes tests).
packages=(
  build-essential cmake pkg-config ccache
  libpq-dev "postgresql-$pg_major" "postgresql-client-$pg_major"
  libcli11-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev libgtest-dev
  libzstd-dev libssl-dev libarchive-dev
  util-linux bsdutils procps kubectl
)
work=$repo/build/$release
root=$work/root
# The postgresql package must not create (and start) a cluster of its own: the
# tests start theirs. The hook runs before the packages are installed.
# shellcheck disable=SC2016 # "$1" is mmdebstrap's, expanded when the hook runs
no_cluster_hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" &&
  echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/sandboxctl.conf"'
key=$(printf '%s\n' "${packages[@]}" "$sources" "${apt_options[@]}" "$no_cluster_hook" | sha256sum | cut -c1-16)

if [[ "$(cat "$work/root.key" 2>/dev/null)" != "$key" ]]; then
  step "building the $release root file system (once)"
  rm -rf "$root" "$root.new" "$work/root.key"
  mkdir -p "$work"
  # Into root.new, then renamed: an interrupted build never looks complete.
  include=$(IFS=,; echo "${packages[*]}")
  mmdebstrap --quiet --variant=apt "${apt_options[@]}" --include="$include" --essential-hook="$no_cluster_hook" \
    "$release" "$root.new" "$sources" || fail "mmdebstrap could not build the $release root" \
    "check access to $mirror (SANDBOXCTL_DEBIAN_MIRROR picks another)"
  mv "$root.new" "$root"
  echo "$key" >"$work/root.key"
fi

if [[ ${2:-} == --root ]]; then
  step "the root file system is ready"
  exit 0
fi
export DEBIAN_ROOT=$root
if [[ ${2:-} == --build ]]; then
  export DEBIAN_MODE=build
  unshare --mount --propagation private -- "$repo/scripts/debian.sh" "$release" --in-namespace
  step "built $root/build/sandboxctl"
  exit 0
fi

# The older prod servers of the cross-server tests, set up like the harness's
# clusters (cluster.cpp): a private directory, the server as an unprivileged
# postgres user, a free loopback port. 15 runs here, on Debian 12; 17 in the
# trixie root, under chroot. Their socket directories are bound into the
# root, so the tests reach them as superuser.
servers=()
stop_servers() {
  local dir pid
  for dir in "${servers[@]}"; do
    if [[ -f $dir/data/postmaster.pid ]]; then
      pid=$(head -1 "$dir/data/postmaster.pid")
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$dir"
  done
}
trap stop_servers EXIT
sources_of_tests=
as_pg15() { runuser -u postgres -- "$pg15/$1" "${@:2}"; }
for major in "${older_servers[@]}"; do
  step "starting PostgreSQL $major (prod of the cross-server tests)"
  if [[ $major == 15 ]]; then
    dir=$(mktemp -d /tmp/sandboxctl-pg15.XXXXXX)
    servers+=("$dir")
    chmod 0711 "$dir"
    mkdir -p "$dir/data" "$dir/socket"
    chown postgres:postgres "$dir/data" "$dir/socket"
    start_cluster as_pg15 "$dir/data" "$dir/socket" "$dir/data" "PostgreSQL 15"
  else
    older=$repo/build/trixie/root
    "$repo/scripts/debian.sh" trixie --root
    dir=$(mktemp -d "$older/tmp/sandboxctl-pg$major.XXXXXX")
    servers+=("$dir")
    inside=${dir#"$older"}
    chmod 0711 "$dir"
    mkdir -p "$dir/data" "$dir/socket"
    chroot "$older" chown postgres:postgres "$inside/data" "$inside/socket"
    # The server keeps the private namespace (and its /proc and /dev) alive
    # after this shell ends; it is stopped by its pid (stop_servers).
    # shellcheck disable=SC2016 # expanded by the inner shell, from its arguments
    unshare --mount --propagation private -- bash -c '
      set -euo pipefail
      script_name="debian $4"; source "$1/scripts/lib.sh"
      mount -t proc proc "$2/proc"
      mount --rbind /dev "$2/dev"
      older=$2 inside=$3 major=$4
      as_older() { chroot "$older" runuser -u postgres -- "/usr/lib/postgresql/$major/bin/$1" "${@:2}"; }
      start_cluster as_older "$inside/data" "$inside/socket" "$older$inside/data" "PostgreSQL $major"
      echo "$cluster_port" >"$older$inside/port"' \
      start "$repo" "$older" "$inside" "$major"
    cluster_port=$(cat "$dir/port")
  fi
  sources_of_tests+=" $major:$dir/socket:$cluster_port"
done

step "building and testing on $release"
filter=${2:-}
[[ $filter != --all ]] || filter='*'
export DEBIAN_SOURCES=${sources_of_tests# } DEBIAN_FILTER=$filter DEBIAN_MODE=test
unshare --mount --propagation private -- "$repo/scripts/debian.sh" "$release" --in-namespace
step "passed"
