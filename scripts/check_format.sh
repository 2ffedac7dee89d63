#!/usr/bin/env bash
# Checks that every C++ file follows .clang-format; with --fix, rewrites them.
# CI runs the check (scripts/test.sh); clang-format comes from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! clang-format --dry-run --Werror "${files[@]}" 2>"$log"; then
  grep -E "^[^ ].*: (error|warning):" "$log" | cut -d: -f1 | sort -u | sed 's/^/  /' >&2
  echo "format: the files above do not follow .clang-format" >&2
  echo "HINT: run scripts/check_format.sh --fix" >&2
  exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
