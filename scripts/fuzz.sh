#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ and runs each for
# a while: the config loader, the pg_restore --list parser and the COPY text
# decoder. Seeds come from fuzz/corpus/TARGET/; the growing corpus and any
# crash input stay under build-fuzz/. A crash fails the script.
#
# usage: scripts/fuzz.sh [--seconds N] [TARGET...]
#        (default 300 s per target: the long run; scripts/test.sh runs 15 s)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_config fuzz_toc fuzz_copy_text)

CXX=clang++ CC=clang cmake -S . -B build-fuzz -DSANDBOXCTL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"

mkdir -p build-fuzz/crashes
for target in "${targets[@]}"; do
  name=${target#fuzz_}
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  echo "fuzzing $name for ${seconds}s..."
  if ! build-fuzz/fuzz/"$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/"$name"- >build-fuzz/"$name".log 2>&1; then
    tail -40 build-fuzz/"$name".log
    echo "fuzz: $target found a failing input in build-fuzz/crashes/ (see build-fuzz/$name.log)" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/"$name".log | tr '\n' ' '
  echo
done
