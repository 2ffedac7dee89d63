#!/usr/bin/env bash
# Configures and builds sandboxctl, its tests and the demo.
# BUILD_TYPE (default RelWithDebInfo) and BUILD_DIR (default build/) choose
# the configuration and where it goes; the benchmarks use build-release/.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
