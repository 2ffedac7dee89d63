#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy over every source file of
# src/, using the compile commands of a configured build (BUILD_DIR, default
# build/). Any finding fails; the list names file, line and check.
#
# A file found clean is remembered in BUILD_DIR/tidy-cache under a key made
# of its compile command, the contents of every file it includes (the
# build's dependency file lists them, system headers too), .clang-tidy and
# the clang-tidy version: the next run checks only the files whose key
# changed (an edited header sends every file that includes it). A fresh
# build directory has no cache: every file is checked.
#
# clang-tidy 19 (scripts/setup.sh installs it): Debian 12's default, 14,
# takes about 1.6 times as long over the same files.
#
# usage: scripts/check_tidy.sh [--all] [FILE ...]   (no FILE: all of src/;
#        --all: check even the files the cache knows clean)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
clang_tidy=clang-tidy-19
use_cache=yes
if [[ ${1:-} == --all ]]; then
  use_cache=
  shift
fi
if ! command -v "$clang_tidy" >/dev/null; then
  echo "tidy: $clang_tidy is not installed" >&2
  echo "HINT: scripts/setup.sh installs it (Debian package $clang_tidy)" >&2
  exit 2
fi
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
cache=$build_dir/tidy-cache
mkdir -p "$cache"

# "FILE KEY" for each file, KEY empty where it cannot be known (no
# dependency file yet: the file was never built).
keys() {
  python3 - "$build_dir" "$($clang_tidy --version)" "$@" <<'EOF'
import hashlib, json, os, re, sys
build_dir, version, files = sys.argv[1], sys.argv[2], sys.argv[3:]
commands = {os.path.realpath(e["file"]): e for e in json.load(open(os.path.join(build_dir, "compile_commands.json")))}
digests = {}
def digest(path):
    if path not in digests:
        try:
            with open(path, "rb") as f:
                digests[path] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            digests[path] = "missing"
    return digests[path]
for name in files:
    entry = commands.get(os.path.realpath(name))
    key = ""
    words = (entry.get("command", "").split() or entry.get("arguments", [])) if entry else []
    output = entry.get("output") if entry else None
    if not output and "-o" in words[:-1]:
        output = words[words.index("-o") + 1]
    if output:
        depfile = os.path.join(entry["directory"], output + ".d")
        if os.path.exists(depfile):
            text = open(depfile).read().replace("\\\n", " ").split(": ", 1)[1]
            # Make's escapes: "\ " is a space inside a name.
            deps = sorted({d.replace("\\ ", " ") for d in re.split(r"(?<!\\)\s+", text) if d})
            deps = [os.path.join(entry["directory"], d) for d in deps]
            h = hashlib.sha256()
            h.update((version + "\n" + entry.get("command", " ".join(entry.get("arguments", []))) + "\n").encode())
            h.update(digest(".clang-tidy").encode())
            for dep in deps:
                h.update((dep + " " + digest(dep) + "\n").encode())
            key = h.hexdigest()
    # run-clang-tidy takes its file arguments as regular expressions.
    print(name, key or "-", "^" + re.escape(os.path.realpath(name)) + "$")
EOF
}

todo=()
patterns=()
declare -A key_of
while read -r file key pattern; do
  [[ $key != - ]] || key=
  key_of[$file]=$key
  if [[ -z $use_cache || -z $key || ! -f $cache/$key ]]; then
    todo+=("$file")
    patterns+=("$pattern")
  fi
done < <(keys "${files[@]}")

if [[ ${#todo[@]} -gt 0 ]]; then
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! "run-$clang_tidy" -clang-tidy-binary "$clang_tidy" -quiet -p "$build_dir" -j "$(nproc)" "${patterns[@]}" >"$log" 2>&1; then
    grep -E "(warning|error):" "$log" | sed 's/\x1b\[[0-9;]*m//g' | sort -u >&2 || cat "$log" >&2
    echo "tidy: clang-tidy found the problems above (checks: .clang-tidy)" >&2
    echo "HINT: fix them; for a deliberate exception, add NOLINT(check-name) with a reason on that line" >&2
    exit 1
  fi
  for file in "${todo[@]}"; do
    if [[ -n ${key_of[$file]} ]]; then touch "$cache/${key_of[$file]}"; fi
  done
fi
echo "tidy: ${#files[@]} files clean (${#todo[@]} checked, $((${#files[@]} - ${#todo[@]})) unchanged since a clean check)"
