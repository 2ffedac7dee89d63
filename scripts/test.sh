#!/usr/bin/env bash
# Sets up, builds, and runs every test: unit tests, the suites that start
# their own PostgreSQL cluster (pg_tests, fault_tests, sync_tests), then a
# short libFuzzer run of each parser (scripts/fuzz.sh for the long one).
# SANDBOXCTL_LONG_TESTS=1 makes the fault suite break every table, not two.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 2400 "$@"
scripts/fuzz.sh --seconds "${SANDBOXCTL_FUZZ_SECONDS:-15}"
