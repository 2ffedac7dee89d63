#!/usr/bin/env bash
# Sets up, builds, and runs every test (CI runs exactly this, via .ci/run):
#  1. the checks that keep the code clean: format (.clang-format), layers
#     (ARCHITECTURE.md), documentation links and the man page;
#  2. build/ with warnings as errors (the tool as shipped), then at once, in
#     the background, its suites: unit, fault, the Dolibarr application and
#     the Kubernetes manifest checks;
#  3. build-asan/ (clang, AddressSanitizer + UndefinedBehaviorSanitizer, also
#     warnings as errors), then in the background its suites: unit,
#     PostgreSQL and sync (each suite starts its own throwaway PostgreSQL
#     cluster; a missing prerequisite fails them under CI=true);
#  4. clang-tidy (.clang-tidy) over src/, in the background: the files
#     changed since their last clean check (all of them on a fresh machine);
#  5. a short libFuzzer run of each parser (scripts/fuzz.sh for the long one),
#     beside the suites;
#  6. from the start, beside 1-5: sandboxctl built on Debian testing, the pg
#     suites that check what differs by version on PostgreSQL 18
#     (tests/pg/on_every_version.txt), and from prods on 15 and 17
#     (scripts/debian.sh forky, as root); then the container image built
#     (scripts/image.sh) and tested (scripts/test_image.sh);
#  7. the total of the tests of every suite and version
#     (scripts/test_totals.py): N passed, N failed, N skipped.
# Extra arguments go to every ctest run (e.g. --repeat until-fail:3, to look
# for a flaky test).
# SANDBOXCTL_LONG_TESTS=1 makes the fault suite break every table, not two.
# docs/tests.md has more, and what each step takes.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { echo "== $* ($((SECONDS - started)) s)"; }
logs=$(mktemp -d)
# The background jobs, each in its own process group: a failed step ends
# them all.
jobs_started=()
in_background() {
  local log=$1
  shift
  setsid "$@" >"$logs/$log" 2>&1 &
  jobs_started+=($!)
}
stop_jobs() {
  local job
  for job in "${jobs_started[@]}"; do kill -- -"$job" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap stop_jobs EXIT
# Every GoogleTest binary and ctest run leaves its report here, for the totals.
results=$PWD/build/test-results
rm -rf "$results"
mkdir -p "$results/plain" "$results/asan" "$results/asan-pg"
ctest_args=(--output-on-failure --timeout 2400 "$@")

step setup
scripts/setup.sh
# PostgreSQL 18 first: its root file systems are mostly downloads, and its
# build and suite then share the two cores with the steps below instead of
# adding to them.
step "PostgreSQL 18 on Debian testing, then the image, in the background"
in_background newest bash -c 'scripts/debian.sh forky && scripts/image.sh && scripts/test_image.sh'
newest=$!

step "format, layers, docs"
scripts/check_format.sh
scripts/check_layers.py
scripts/check_docs.sh
step "build (warnings are errors)"
# Not pg_tests: it runs under the sanitizers (build-asan/) and on Debian
# testing, whose g++ checks its warnings.
scripts/build.sh -DSANDBOXCTL_WERROR=ON sandboxctl sandboxctl-demo sandboxctl-app-demo \
  unit_tests fault_tests app_tests sync_tests
scripts/man_page.sh --check
step "suites on build/ (unit, fault, app, manifests), in the background"
in_background plain env GTEST_OUTPUT="json:$results/plain/" ctest --test-dir build \
  --output-junit "$results/plain/ctest.xml" -L '^(unit|fault|app|manifests)$' "${ctest_args[@]}"
plain=$!
step "build with AddressSanitizer and UndefinedBehaviorSanitizer"
# clang: a sanitized build with it takes a quarter of GCC's time (and a second
# compiler's warnings are errors too). A unity build (16 files a compiler run):
# the headers are parsed and their templates compiled once a batch instead of
# once a file. build/ stays one file a run, so that each file is proved to
# compile on its own (what it includes, not what a neighbour did).
CC=clang CXX=clang++ BUILD_DIR=build-asan scripts/build.sh -DSANDBOXCTL_WERROR=ON -DSANDBOXCTL_SANITIZE=ON \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 sandboxctl unit_tests pg_tests sync_tests
step "suites on build-asan/ (unit, pg, sync), in the background"
# KubernetesScale needs kubectl 1.24 or later; Debian 12's is 1.20: those
# tests run in the forky suite (kubectl 1.36), not here. The second half of
# the pg suite runs beside the rest: once the other jobs end, this one alone
# would leave a core idle. (Built before build/, these suites start earlier on
# a fresh machine, but build/ then compiles beside them and its own suites end
# last: measured, 2131 s against 2105 s; the run is bound by its CPU.)
asan_env=(env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
  GTEST_FILTER='-KubernetesScale.*')
in_background asan "${asan_env[@]}" GTEST_OUTPUT="json:$results/asan/" ctest --test-dir build-asan \
  --output-junit "$results/asan/ctest.xml" -L '^(unit|pg|sync)$' -E '^pg_tests_shard_1$' "${ctest_args[@]}"
asan=$!
in_background asan_pg "${asan_env[@]}" GTEST_OUTPUT="json:$results/asan-pg/" ctest --test-dir build-asan \
  --output-junit "$results/asan-pg/ctest.xml" -L '^pg$' -R '^pg_tests_shard_1$' "${ctest_args[@]}"
asan_pg=$!
# After build-asan/ rather than before: on a fresh machine (no tidy cache)
# the full pass takes about 15 minutes, which the suites need not wait for.
step "clang-tidy, in the background"
in_background tidy scripts/check_tidy.sh
tidy=$!

status=0
step fuzz
scripts/fuzz.sh --seconds "${SANDBOXCTL_FUZZ_SECONDS:-15}" || status=1
step "waiting for clang-tidy and the suites"
wait $tidy || status=1
echo "-- clang-tidy"; cat "$logs/tidy"
wait $plain || status=1
echo "-- build/ (unit, fault, app, manifests)"; cat "$logs/plain"
wait $asan || status=1
echo "-- build-asan/ (unit, pg first half, sync under ASan+UBSan)"; cat "$logs/asan"
wait $asan_pg || status=1
echo "-- build-asan/ (pg second half under ASan+UBSan)"; cat "$logs/asan_pg"
step "waiting for PostgreSQL 18 and the image"
wait $newest || status=1
echo "-- PostgreSQL 18 and the image (scripts/debian.sh forky, image.sh, test_image.sh)"; cat "$logs/newest"
step "tests of every suite and version (build/ and build-asan/ on 15, forky on 18)"
scripts/test_totals.py "$results/plain" "$results/asan" "$results/asan-pg" build/forky/root/build/test-results ||
  status=1
[[ $status -eq 0 ]] || { echo "test: a suite failed (see above)" >&2; exit 1; }
step "all passed"
