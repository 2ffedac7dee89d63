#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy over every source file of
# src/, using the compile commands of a configured build (BUILD_DIR, default
# build/). Any finding fails; the list names file, line and check.
#
# usage: scripts/check_tidy.sh [FILE ...]   (no FILE: all of src/)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
  echo "tidy: $build_dir/compile_commands.json is missing" >&2
  echo "HINT: run scripts/build.sh first" >&2
  exit 2
fi
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp')
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! run-clang-tidy -quiet -p "$build_dir" -j "$(nproc)" "${files[@]/#/$PWD/}" >"$log" 2>&1; then
  grep -E "(warning|error):" "$log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u >&2 || cat "$log" >&2
  echo "tidy: clang-tidy found the problems above (checks: .clang-tidy)" >&2
  echo "HINT: fix them; for a deliberate exception, add NOLINT(check-name) with a reason on that line" >&2
  exit 1
fi
echo "tidy: ${#files[@]} files clean"
