#!/usr/bin/env bash
# Configures and builds sandboxctl, its tests and the demo.
# BUILD_TYPE (default RelWithDebInfo) and BUILD_DIR (default build/) choose
# the configuration and where it goes; the benchmarks use build-release/.
#
# usage: scripts/build.sh [-DOPTION=VALUE ...] [TARGET ...]
#   e.g. BUILD_DIR=build-asan scripts/build.sh -DSANDBOXCTL_SANITIZE=ON unit_tests
#   (options: SANDBOXCTL_WERROR, SANDBOXCTL_SANITIZE, SANDBOXCTL_BUILD_TESTS;
#    no TARGET builds everything)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
options=()
targets=()
for arg in "$@"; do
  case $arg in
    -D*) options+=("$arg") ;;
    *) targets+=(--target "$arg") ;;
  esac
done
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${options[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
