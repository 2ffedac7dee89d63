#!/usr/bin/env bash
# Sets up, builds, and runs every test (unit tests, then the suites that start
# their own PostgreSQL cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 1800 "$@"
