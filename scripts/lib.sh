# shellcheck shell=bash
# Sourced by the root-file-system scripts (debian13.sh, image.sh): a progress
# line with the seconds since the script started, and an error worded like
# PostgreSQL's tools ("NAME: what failed", then "HINT: what to do").
# The sourcing script sets script_name first.
started=$SECONDS
step() { echo "== ${script_name:?}: $* ($((SECONDS - started)) s)"; }
fail() {
  echo "${script_name:?}: $1" >&2
  if [[ -n "${2:-}" ]]; then echo "HINT: $2" >&2; fi
  exit 1
}
