#!/usr/bin/env bash
# Installs the Debian packages sandboxctl needs to build and test (with
# --demo, only what the demo needs; with --bench, also what the benchmarks
# run). Installs only what is missing; as root it
# uses apt-get, otherwise sudo if available, otherwise it names the packages.
set -euo pipefail

# What the demo needs (scripts/demo.sh runs `setup.sh --demo`): the build,
# PostgreSQL 15 for its throwaway cluster, and PHP for the Dolibarr demo.
packages=(
  build-essential cmake pkg-config git ccache
  libpq-dev postgresql-15 postgresql-client-15
  libcli11-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev libgtest-dev
  libzstd-dev libssl-dev libarchive-dev
  util-linux procps bsdutils
  # The Dolibarr application (tests/app, demo/app_demo.cpp) runs under PHP;
  # the harness talks HTTP to it with curl.
  curl php8.2-cli php8.2-pgsql php8.2-xml php8.2-mbstring php8.2-intl php8.2-gd php8.2-curl php8.2-zip
)
# What the tests need on top (scripts/test.sh).
test_packages=(
  openssh-server openssh-client
  clang libclang-rt-14-dev clang-format
  # clang-tidy 19 (Debian 12 ships it beside its default 14): the same checks
  # in about 60 % of the time, and its analyzer knows more (unix.Stream).
  clang-tidy-19
  # scripts/check_manifests.py parses the rendered Kubernetes manifests;
  # scripts/test_totals.py adds up the suites' reports.
  python3 python3-yaml
  # The PostgreSQL 17 and 18 suites build their root file systems (scripts/debian.sh).
  mmdebstrap
  # The container image (scripts/image.sh): umoci assembles the OCI image from
  # the layers, skopeo writes it as the docker-archive that docker and podman load.
  umoci skopeo
)
# kubectl: renders the Kubernetes manifests (kubectl kustomize, offline), and
# the [kubernetes] tests run it against a stand-in API server. Debian's
# kubernetes-client only when no kubectl is on PATH: Debian 12's is 1.20, which
# renders the manifests but lacks --subresource (sandboxctl needs 1.24+: the
# [kubernetes] tests run in the Debian roots of scripts/debian.sh, whose
# kubectl is newer); a newer one may already be there.
if ! command -v kubectl >/dev/null 2>&1; then
  test_packages+=(kubernetes-client)
fi
case "${1:-}" in
  --demo) ;;
  --bench) packages+=("${test_packages[@]}" pgcopydb time rsync bc jq python3) ;;
  "") packages+=("${test_packages[@]}") ;;
  *)
    echo "setup: unknown option \"$1\"" >&2
    echo "HINT: scripts/setup.sh [--demo|--bench]" >&2
    exit 2
    ;;
esac

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $EUID -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: these Debian packages are missing: ${missing[*]}" >&2
  echo "HINT: run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi

# Tests and the demo start their own throwaway clusters: do not let the
# postgresql package create and start a system-wide one.
if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
  "${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/sandboxctl.conf >/dev/null
fi
# apt's output goes to a log, not the terminal: a line says what is
# installed, and the log is shown only when apt fails.
log=$(cd "$(dirname "$0")/.." && pwd)/build/setup.log
mkdir -p "$(dirname "$log")"
echo "setup: installing ${#missing[@]} Debian packages (${missing[*]:0:6}${missing[6]:+ ...}); log: build/setup.log"
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
  >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "setup: apt-get could not install the packages (the whole log: $log)" >&2
  exit 1
fi
echo "setup: installed $(grep -c '^Setting up ' "$log") packages with their dependencies"
