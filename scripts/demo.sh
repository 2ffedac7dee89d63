#!/usr/bin/env bash
# Sets up, builds, and runs the demo lifecycle against a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/sandboxctl-demo
