#!/usr/bin/env bash
# Sets up, builds, and runs every test (CI runs exactly this, via .ci/run):
#  1. the checks that keep the code clean: format (.clang-format), layers
#     (ARCHITECTURE.md), documentation links and the man page;
#  2. two builds, both with warnings as errors: build/ (the tool as shipped)
#     and build-asan/ (clang, AddressSanitizer + UndefinedBehaviorSanitizer);
#  3. clang-tidy (.clang-tidy) over src/;
#  4. the suites, two at a time: the unit, fault and Dolibarr application
#     suites and the Kubernetes manifest checks on build/, and the unit,
#     PostgreSQL and sync suites on build-asan/ (each suite starts its own
#     throwaway PostgreSQL cluster; the application suite skips, saying why,
#     without ../shared/apps);
#  5. a short libFuzzer run of each parser (scripts/fuzz.sh for the long one);
#  6. from the start, beside 1-5: sandboxctl built on Debian 13 and its
#     PostgreSQL suite on PostgreSQL 17, and from a prod on 15
#     (scripts/debian13.sh, as root); then the container image built
#     (scripts/image.sh) and tested (scripts/test_image.sh).
# Extra arguments go to both ctest runs of step 4 (e.g. -R Reset).
# SANDBOXCTL_LONG_TESTS=1 makes the fault suite break every table, not two.
# docs/tests.md has more.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { echo "== $* ($((SECONDS - started)) s)"; }
logs=$(mktemp -d)
debian13=
# A failed step ends the background job too (its own process group).
trap '[[ -n $debian13 ]] && kill -- -"$debian13" 2>/dev/null; rm -rf "$logs"' EXIT

step setup
scripts/setup.sh
# Debian 13 first: its root file system is mostly downloads, and its build and
# suite then share the two cores with the steps below instead of adding to them.
step "Debian 13 / PostgreSQL 17, in the background"
setsid bash -c 'scripts/debian13.sh && scripts/image.sh && scripts/test_image.sh' >"$logs/debian13" 2>&1 &
debian13=$!

step "format, layers, docs"
scripts/check_format.sh
scripts/check_layers.py
scripts/check_docs.sh
step "build (warnings are errors)"
# Not pg_tests: it runs under the sanitizers (build-asan/) and on Debian 13,
# whose g++ 14 checks its warnings.
scripts/build.sh -DSANDBOXCTL_WERROR=ON sandboxctl sandboxctl-demo sandboxctl-app-demo \
  unit_tests fault_tests app_tests sync_tests
scripts/man_page.sh --check
step "clang-tidy"
scripts/check_tidy.sh
step "build with AddressSanitizer and UndefinedBehaviorSanitizer"
# clang: a sanitized build with it takes a quarter of GCC's time (and a second
# compiler's warnings are errors too).
CC=clang CXX=clang++ BUILD_DIR=build-asan scripts/build.sh -DSANDBOXCTL_WERROR=ON -DSANDBOXCTL_SANITIZE=ON \
  sandboxctl unit_tests pg_tests sync_tests

step "test suites"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir build --output-on-failure --timeout 2400 -L '^(unit|fault|app|manifests)$' "$@" >"$logs/plain" 2>&1 &
plain=$!
ctest --test-dir build-asan --output-on-failure --timeout 2400 -L '^(unit|pg|sync)$' "$@" >"$logs/asan" 2>&1 &
asan=$!
status=0
wait $plain || status=1
wait $asan || status=1
echo "-- build/ (unit, fault, app, manifests)"; cat "$logs/plain"
echo "-- build-asan/ (unit, pg, sync under ASan+UBSan)"; cat "$logs/asan"
if [[ $status -eq 0 ]]; then
  step fuzz
  scripts/fuzz.sh --seconds "${SANDBOXCTL_FUZZ_SECONDS:-15}" || status=1
fi
step "waiting for Debian 13 / PostgreSQL 17 and the image"
wait $debian13 || status=1
debian13=
echo "-- Debian 13 / PostgreSQL 17 and the image (scripts/debian13.sh, image.sh, test_image.sh)"; cat "$logs/debian13"
[[ $status -eq 0 ]] || { echo "test: a suite failed (see above)" >&2; exit 1; }
step "all passed"
