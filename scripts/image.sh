#!/usr/bin/env bash
# Builds the sandboxctl container image from Debian packages only, without a
# container runtime and without pulling a base image:
#
#   build/image/sandboxctl-image.tar    a docker-archive: `docker load -i` and
#                                       `podman load -i` accept it (tags
#                                       sandboxctl:VERSION and sandboxctl:latest)
#
# 1. sandboxctl is built on Debian testing (forky) by scripts/debian.sh forky
#    --build (incremental: its build tree and ccache stay in build/forky/root).
# 2. The image's root file system is built with mmdebstrap from forky's
#    packages: the essential set (no apt), the packages that own the shared
#    libraries the binary loads (ldd, then dpkg -S, in the forky root),
#    and the tools sandboxctl runs. It is cached in build/image/root, rebuilt
#    when that package list (or anything else that shapes it) changes.
# 3. Two layers (the Debian root, then the stripped /usr/bin/sandboxctl) are
#    written with GNU tar, assembled into an OCI image with umoci and
#    converted into the docker-archive with skopeo.
#
# What is in the image, and how to run it: docs/image.md. Its test, without a
# container runtime: scripts/test_image.sh. Needs root (mmdebstrap, chroot),
# mmdebstrap, umoci and skopeo (scripts/setup.sh), and access to
# deb.debian.org the first time.
#
# usage: scripts/image.sh
# SANDBOXCTL_DEBIAN_MIRROR picks another Debian mirror; SOURCE_DATE_EPOCH
# (default: the time of the last commit) dates the files and the image.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
script_name=image
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

# The image's user: the uid and gid the Kubernetes manifests run as
# (deploy/kubernetes/base/cronjob.yaml: runAsUser, runAsGroup, fsGroup).
uid=10001
# The volume for everything written: the state directory and the snapshot
# store (the manifests mount their PersistentVolumeClaim here).
volume=/var/lib/sandboxctl

# Run by mmdebstrap once the packages are installed, with the new root as $1.
# Part of the root's cache key (declare -f), like finish_root below: a
# change to either rebuilds the root.
customize_root() {
  local root=$1
  # Written as useradd would: forky's essential set has no passwd package
  # (groupadd, useradd), and the image needs none. The account is locked.
  if grep -q "^sandboxctl:" "$root/etc/passwd" "$root/etc/group"; then
    echo "image: the root already has a sandboxctl user or group" >&2
    return 1
  fi
  echo "sandboxctl:x:$uid:" >>"$root/etc/group"
  echo "sandboxctl:x:$uid:$uid:sandboxctl:$volume:/usr/sbin/nologin" >>"$root/etc/passwd"
  if [[ -f $root/etc/shadow ]]; then echo "sandboxctl:!:::::::" >>"$root/etc/shadow"; fi
  if [[ -f $root/etc/gshadow ]]; then echo "sandboxctl:!::" >>"$root/etc/gshadow"; fi
  # The mount point of the volume, owned by the user: Docker and Podman copy
  # a new named volume's ownership from it, so it starts out writable.
  install -d -o "$uid" -g "$uid" -m 0750 "$root$volume"
  # The mount point of the libpq service files (PGSYSCONFDIR) and the config.
  install -d -m 0755 "$root/etc/sandboxctl"
}
# Run on the new root once mmdebstrap is done: its own cleanup leaves apt's
# directories and logs behind, and copies the build host's resolv.conf and
# hostname.
finish_root() {
  local root=$1
  # No package manager's caches, lists or logs; apt itself is not installed
  # (the essential set has none). dpkg's database stays, so that image
  # scanners can tell which package versions are inside.
  rm -rf "$root/var/cache/apt" "$root/var/lib/apt" "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
  find "$root/var/log" -mindepth 1 -delete
  # The container runtime provides these.
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  install -m 0644 /dev/null "$root/etc/resolv.conf"
  echo sandboxctl | install -m 0644 /dev/stdin "$root/etc/hostname"
}
if [[ "${1:-}" == "--customize-root" ]]; then
  customize_root "$2"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || fail "must run as root (mmdebstrap, chroot)" "sudo scripts/image.sh"
  exec sudo --preserve-env=CI,SANDBOXCTL_DEBIAN_MIRROR,SOURCE_DATE_EPOCH "$0" "$@"
fi
for tool in mmdebstrap umoci skopeo; do
  command -v "$tool" >/dev/null || fail "$tool is not installed" "scripts/setup.sh installs it"
done

out=$repo/build/image
newest=$repo/build/forky/root
mkdir -p "$out"

step "building sandboxctl on Debian testing (forky)"
"$repo/scripts/debian.sh" forky --build
binary=$newest/build/sandboxctl
[[ -x $binary ]] || fail "scripts/debian.sh forky --build left no $binary"
version=$(chroot "$newest" /build/sandboxctl --version) || fail "could not run sandboxctl --version in $newest"
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || fail "unexpected version \"$version\" from sandboxctl --version"

# The packages that own the shared libraries the binary loads, as forky
# names them (the t64 renames). Their dependencies come with them.
libraries=$(chroot "$newest" ldd /build/sandboxctl | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[[ -n $libraries ]] || fail "ldd found no shared library of sandboxctl"
runtime=()
for library in $libraries; do
  owner=$(chroot "$newest" dpkg-query --search "$(chroot "$newest" readlink -f "$library")" 2>/dev/null ||
    chroot "$newest" dpkg-query --search "$library" 2>/dev/null) ||
    fail "no Debian package owns $library, which sandboxctl loads" "is it a library built by hand in $newest?"
  runtime+=("${owner%%:*}")
done
mapfile -t runtime < <(printf '%s\n' "${runtime[@]}" | sort -u)

# What sandboxctl runs: pg_dump and pg_restore 18 (the newest server they may
# meet), ssh and kubectl for the file sync (kubectl also for [kubernetes];
# forky's is 1.36, sandboxctl needs 1.24+), the CA certificates for
# sslmode=verify-full, and the time zones for log times and TZ.
tools=(postgresql-client-18 openssh-client kubectl ca-certificates tzdata)
mapfile -t packages < <(printf '%s\n' "${runtime[@]}" "${tools[@]}" | sort -u)

mirror=$(debian_mirror)
# Debian testing: no security suite on the mirror, and its Release file may be
# past its Valid-Until date there (as for scripts/debian.sh forky).
sources="deb $mirror forky main"
# No manual pages, documentation (but the copyright files: the licences of
# what is shipped), translations or lintian overrides: nobody reads them in a
# container. C.UTF-8 needs none of them: libc-bin carries it.
dpkg_options=(
  'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*'
  'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright'
  'path-exclude=/usr/share/locale/*' 'path-include=/usr/share/locale/locale.alias'
  'path-exclude=/usr/share/lintian/*' 'path-exclude=/usr/share/doc-base/*'
)
key=$(printf '%s\n' "${packages[@]}" "$sources" "${dpkg_options[@]}" "$(declare -f customize_root finish_root)" "$uid" "$volume" |
  sha256sum | cut -c1-16)
root=$out/root

if [[ "$(cat "$out/root.key" 2>/dev/null)" != "$key" ]]; then
  step "building the image's root file system (${#packages[@]} packages and their dependencies)"
  rm -rf "$root" "$root.new" "$out/root.key"
  # Into root.new, then renamed, and the key written last: an interrupted
  # build never looks complete.
  mmdebstrap_args=(--quiet --variant=essential --aptopt='Acquire::Check-Valid-Until "false"' --include="$(IFS=,; echo "${packages[*]}")")
  for option in "${dpkg_options[@]}"; do mmdebstrap_args+=(--dpkgopt="$option"); done
  mmdebstrap "${mmdebstrap_args[@]}" --customize-hook="\"$repo/scripts/image.sh\" --customize-root \"\$1\"" \
    forky "$root.new" "$sources" || fail "mmdebstrap could not build the image's root file system" \
    "check access to $mirror (SANDBOXCTL_DEBIAN_MIRROR picks another)"
  finish_root "$root.new"
  mv "$root.new" "$root"
  echo "$key" >"$out/root.key"
fi

# Reproducible dates: every file and the image carry the time of the last
# commit, unless SOURCE_DATE_EPOCH says otherwise.
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
fi
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)

step "writing the layers"
work=$out/work
rm -rf "$work"
mkdir -p "$work/bin/usr/bin"
# Stripped by forky's own binutils, in its root: the build has no debug
# information (scripts/debian.sh), strip drops the symbol table too.
chroot "$newest" strip --strip-all -o /tmp/sandboxctl.image /build/sandboxctl
mv "$newest/tmp/sandboxctl.image" "$work/bin/usr/bin/sandboxctl"
chmod 0755 "$work/bin/usr/bin/sandboxctl"
# Sorted names, numeric owners and one date for every file (whole seconds:
# no per-file time stamps in extended headers): the same files give the same
# layer, whenever the root was built. /dev's device nodes stay out: the
# runtime mounts its own /dev.
layer() {
  tar --create --file="$1" --directory="$2" --sort=name --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$SOURCE_DATE_EPOCH" --exclude='./dev/?*' --exclude='./proc/?*' \
    --exclude='./sys/?*' --exclude='./tmp/?*' .
}
layer "$work/base.tar" "$root"
layer "$work/sandboxctl.tar" "$work/bin"

step "assembling the image"
oci=$work/oci
umoci init --layout "$oci"
umoci new --image "$oci:sandboxctl"
umoci raw add-layer --image "$oci:sandboxctl" --history.created="$created" \
  --history.created_by="mmdebstrap --variant=essential forky: ${packages[*]}" "$work/base.tar"
umoci raw add-layer --image "$oci:sandboxctl" --history.created="$created" \
  --history.created_by="sandboxctl $version (scripts/debian.sh forky --build, stripped)" "$work/sandboxctl.tar"
# PATH: pg_dump and pg_restore 18 themselves first, not Debian's wrapper,
# which picks a version by what else is installed. XDG_STATE_HOME: the state
# directory is $XDG_STATE_HOME/sandboxctl, the volume, and the snapshot store
# its snapshots/. PGSYSCONFDIR: a pg_service.conf mounted in /etc/sandboxctl
# defines the services (--source service=prod); the manifests point it at
# their own Secret. Labels: https://github.com/opencontainers/image-spec/blob/main/annotations.md
umoci config --image "$oci:sandboxctl" --created="$created" --author=sandboxctl \
  --history.created="$created" --history.created_by="scripts/image.sh: user, entrypoint, environment" \
  --config.user="$uid:$uid" --config.workingdir="$volume" --config.volume="$volume" \
  --config.entrypoint=/usr/bin/sandboxctl --config.cmd=--help \
  --config.env=PATH=/usr/lib/postgresql/18/bin:/usr/local/bin:/usr/bin:/bin \
  --config.env=LANG=C.UTF-8 \
  --config.env=XDG_STATE_HOME=/var/lib \
  --config.env=PGSYSCONFDIR=/etc/sandboxctl \
  --config.label=org.opencontainers.image.title=sandboxctl \
  --config.label="org.opencontainers.image.description=Keeps a sandbox copy of a production PostgreSQL database fresh, safe and resettable" \
  --config.label=org.opencontainers.image.version="$version" \
  --config.label=org.opencontainers.image.revision="$revision" \
  --config.label=org.opencontainers.image.created="$created"
umoci gc --layout "$oci"

# A docker-archive, the format both `docker load` and `podman load` read.
# No signature policy applies to a local copy: --insecure-policy spares the
# need for /etc/containers/policy.json on the build host.
rm -f "$out/sandboxctl-image.tar.new"
skopeo --insecure-policy copy --quiet "oci:$oci:sandboxctl" \
  "docker-archive:$out/sandboxctl-image.tar.new:sandboxctl:$version" --additional-tag sandboxctl:latest ||
  fail "skopeo could not write the docker-archive"
mv "$out/sandboxctl-image.tar.new" "$out/sandboxctl-image.tar"
rm -rf "$work"
size=$(du -m --apparent-size "$out/sandboxctl-image.tar" | cut -f1)
step "built build/image/sandboxctl-image.tar: sandboxctl:$version and sandboxctl:latest, $size MB"
