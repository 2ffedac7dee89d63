#!/usr/bin/env bash
# Installs the Debian packages sandboxctl needs to build and test (and, with
# --bench, to run the benchmarks). Installs only what is missing; as root it
# uses apt-get, otherwise sudo if available, otherwise it names the packages.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libpq-dev postgresql-15 postgresql-client-15 curl
  libcli11-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev libgtest-dev
  libzstd-dev libssl-dev libarchive-dev
  openssh-server openssh-client util-linux procps bsdutils
  clang libclang-rt-14-dev clang-format clang-tidy ccache
  # The Dolibarr application tests run the real application (tests/app).
  php8.2-cli php8.2-pgsql php8.2-xml php8.2-mbstring php8.2-intl php8.2-gd php8.2-curl php8.2-zip
  # scripts/check_manifests.py parses the rendered Kubernetes manifests.
  python3 python3-yaml
  # The Debian 13 / PostgreSQL 17 suite builds its root file system (scripts/debian13.sh).
  mmdebstrap
  # The container image (scripts/image.sh): umoci assembles the OCI image from
  # the layers, skopeo writes it as the docker-archive that docker and podman load.
  umoci skopeo
)
# kubectl: renders the Kubernetes manifests (kubectl kustomize, offline), and
# the [kubernetes] tests run it against a stand-in API server. Debian's
# kubernetes-client only when no kubectl is on PATH: Debian 12's is 1.20, which
# renders the manifests but lacks --subresource (sandboxctl needs 1.24+, and
# those tests skip, saying so); a newer one may already be there.
if ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(pgcopydb time rsync bc jq python3)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
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
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
