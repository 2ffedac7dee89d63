#!/usr/bin/env bash
# Sets up, builds, and runs the demo lifecycle against a throwaway PostgreSQL;
# then, when ../shared/apps holds Dolibarr and php is installed, the same
# lifecycle with the real application (build/sandboxctl-app-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --demo
# Only what the demo runs: the tool and the two demo programs.
scripts/build.sh sandboxctl sandboxctl-demo sandboxctl-app-demo
build/sandboxctl-demo
if [[ -f ../shared/apps/dolibarr-23.0.0-beta.tar.xz ]] && command -v php >/dev/null 2>&1; then
  exec build/sandboxctl-app-demo
fi
echo "Dolibarr demo skipped: ../shared/apps/dolibarr-23.0.0-beta.tar.xz or php is missing"
