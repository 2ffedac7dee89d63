#!/usr/bin/env bash
# Tests the image scripts/image.sh built, for real but without a container
# runtime (none can run here: crun cannot set rlimits on this machine):
#
# 1. The docker-archive is unpacked the way a runtime does it: manifest.json
#    names the config and the layers, which are extracted in order, each
#    layer's whiteouts removing what the layers below it left.
# 2. The config: user 10001, entrypoint /usr/bin/sandboxctl, the version label.
#    The contents: the user in /etc/passwd and /etc/group, the tools, no
#    compiler, no apt lists or caches.
# 3. In a private mount namespace (the mounts vanish with it, whatever the
#    exit), the unpacked root is mounted read-only, with a tmpfs on /tmp and a
#    writable directory on the volume /var/lib/sandboxctl, and everything runs
#    in it under chroot as uid and gid 10001 with the image's environment, as
#    a container would: sandboxctl --version, then refresh, verify, snapshot
#    create golden, a change in the sandbox, reset, verify again; then a
#    refresh as the Kubernetes CronJob runs it (its configuration, its paths
#    and its environment, less [kubernetes]).
# 4. The PostgreSQL 18 server they talk to runs from the forky root
#    (build/forky/root, scripts/debian.sh forky --root) under chroot as its
#    postgres user, on a free loopback port; it holds the test suite's
#    privilege model (tests/sql/roles.sql, provisioner.sql, adversarial.sql,
#    as tests/harness/model.cpp builds it). The credentials reach sandboxctl
#    in libpq service files on a read-only mount, never on a command line.
#
# Ends with "N passed, N failed"; exits 1 at the first failure, saying what
# failed. Needs root (chroot, mounts, unshare) and python3.
#
# usage: scripts/test_image.sh [ARCHIVE]   (default: build/image/sandboxctl-image.tar)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
script_name="image test"
# start_cluster; this script's own fail (below) replaces the library's.
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"
uid=10001
volume=/var/lib/sandboxctl
# Inside the forky root: where the server's directory is mounted.
pg_mount=/run/sandboxctl-image-test

passed=0
ok() {
  passed=$((passed + 1))
  echo "ok: $*"
}
# The second stage hands its count to the first, which prints the total.
fail() {
  echo "image test: $1" >&2
  if [[ -n "${2:-}" ]]; then echo "HINT: $2" >&2; fi
  if [[ -n ${in_namespace:-} ]]; then
    echo "$passed" >"$TEST_IMAGE_DIR/failed"
  else
    echo "$passed passed, 1 failed"
  fi
  exit 1
}

if [[ "${1:-}" == "--in-namespace" ]]; then
  # The second stage, in its own mount namespace: TEST_IMAGE_DIR holds the
  # unpacked root (rootfs), the volume, /etc/sandboxctl's files and the
  # server's directory.
  in_namespace=yes
  dir=$TEST_IMAGE_DIR
  img=$dir/rootfs
  newest=$repo/build/forky/root
  IFS=$'\n' read -r -d '' -a image_env <"$dir/env" || true

  # The forky root, for the server and psql.
  mount -t proc proc "$newest/proc"
  mount --rbind /dev "$newest/dev"
  mkdir -p "$newest$pg_mount"
  mount --bind "$dir/pg" "$newest$pg_mount"
  # The image: read-only as a whole, then what a runtime and the manifests
  # mount on it, writable where they are.
  mount --bind "$img" "$img"
  mount -o remount,bind,ro "$img"
  mount -t proc proc "$img/proc"
  mount --rbind /dev "$img/dev"
  mount -t tmpfs -o mode=1777,size=512m tmpfs "$img/tmp"
  mount --bind "$dir/volume" "$img$volume"
  mount --bind -o ro "$dir/etc" "$img/etc/sandboxctl"

  pg() { chroot "$newest" runuser -u postgres -- "/usr/lib/postgresql/18/bin/$1" "${@:2}"; }
  psql_as_postgres() {
    pg psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$pg_mount/socket" -p "$port" -d "$1" "${@:2}"
  }
  # shellcheck disable=SC2317  # run by the trap
  stop_server() {
    if [[ -f $dir/pg/data/postmaster.pid ]]; then
      pg pg_ctl --pgdata="$pg_mount/data" --mode=fast --wait stop >/dev/null 2>&1 || true
    fi
  }
  trap stop_server EXIT
  # An interrupt ends the run through the EXIT trap.
  trap 'exit 1' INT TERM HUP

  # As a container runs: uid and gid 10001 and no other group, the image's
  # environment and nothing else, in its working directory. HOME as a
  # runtime sets it from /etc/passwd; $extra_env adds what a run adds.
  extra_env=()
  in_image() {
    chroot --userspec="$uid:$uid" --groups="$uid" "$img" /usr/bin/env -i -C "$volume" \
      "${image_env[@]}" HOME="$volume" "${extra_env[@]}" "$@"
  }
  # Runs a command in the image, checks its exit status, shows its output.
  expect() {
    local want=$1 what=$2 got=0
    shift 2
    in_image "$@" >"$dir/out" 2>&1 || got=$?
    sed 's/^/    /' "$dir/out"
    [[ $got -eq $want ]] || fail "$what: exit status $got, expected $want" "the output is above"
    ok "$what"
  }

  echo "-- inside the image, as a container would run it"
  [[ "$(in_image id -u):$(in_image id -g):$(in_image id -G)" == "$uid:$uid:$uid" ]] ||
    fail "the processes do not run as $uid:$uid: $(in_image id)"
  ok "runs as uid $uid, gid $uid, no other group"
  if in_image touch /written-by-the-test 2>/dev/null || in_image touch /usr/bin/written-by-the-test 2>/dev/null; then
    fail "the root file system is writable"
  fi
  # Not even root: the mount itself is read-only.
  if chroot "$img" /usr/bin/touch /written-by-root 2>/dev/null; then fail "the root file system is writable by root"; fi
  ok "the root file system is read-only"
  in_image touch "$volume/written-by-the-test" /tmp/written-by-the-test || fail "the volume or /tmp is not writable"
  in_image rm "$volume/written-by-the-test"
  ok "the volume and /tmp are writable"

  version=$(in_image sandboxctl --version) || fail "sandboxctl --version failed"
  [[ $version == "$(cat "$dir/version")" ]] || fail "sandboxctl --version says $version, the label $(cat "$dir/version")"
  ok "sandboxctl --version: $version, as the label says"
  pg_dump=$(in_image sh -c 'command -v pg_dump') || true
  [[ $pg_dump == /usr/lib/postgresql/18/bin/pg_dump ]] || fail "pg_dump on PATH is \"$pg_dump\", not PostgreSQL 18's"
  in_image pg_restore --version | grep -q '(PostgreSQL) 18\.' || fail "pg_restore is not version 18"
  ok "pg_dump and pg_restore 18 first on PATH: $(in_image pg_dump --version)"
  kubectl=$(in_image kubectl version --client 2>&1) || fail "kubectl does not run: $kubectl"
  kubectl=${kubectl%%$'\n'*}
  [[ $kubectl =~ v1\.([0-9]+) && ${BASH_REMATCH[1]} -ge 24 ]] ||
    fail "kubectl is \"$kubectl\", sandboxctl needs 1.24 or later"
  ok "kubectl: $kubectl"
  ssh=$(in_image ssh -V 2>&1) || fail "ssh does not run: $ssh"
  ok "ssh: $ssh"
  [[ "$(in_image env TZ=Europe/Paris date -d 2024-07-01T12:00Z +%Z)" == CEST ]] || fail "no time zone data"
  ok "time zones (tzdata)"

  # The server: forky's PostgreSQL 18, run as the root's postgres user.
  echo "-- starting PostgreSQL 18 from the forky root"
  postgres_id=$(chroot "$newest" id -u postgres):$(chroot "$newest" id -g postgres)
  mkdir -p "$dir/pg/data" "$dir/pg/socket"
  chown "$postgres_id" "$dir/pg/data" "$dir/pg/socket"
  start_cluster pg "$pg_mount/data" "$pg_mount/socket" "$dir/pg/data" "PostgreSQL 18"
  port=$cluster_port
  ok "PostgreSQL $(psql_as_postgres postgres -c 'SHOW server_version') on 127.0.0.1:$port"

  # The privilege model, as tests/harness/model.cpp builds it: the roles,
  # prod owned by the app role, the sandbox by its NOLOGIN owner, the
  # provisioner's objects and the adversarial schema in prod.
  psql_as_postgres postgres <"$repo/tests/sql/roles.sql"
  psql_as_postgres postgres -c 'CREATE DATABASE image_prod OWNER sbx_app'
  psql_as_postgres postgres -c 'CREATE DATABASE image_sandbox OWNER sbx_sandbox_owner'
  psql_as_postgres image_prod <"$repo/tests/sql/provisioner.sql"
  ok "the privilege model (tests/sql/roles.sql, provisioner.sql)"

  # The logins' passwords, from roles.sql itself, into service files only.
  password_of() {
    sed -n "s/.*ROLE $1 LOGIN PASSWORD '\([^']*\)'.*/\1/p" "$repo/tests/sql/roles.sql"
  }
  # One service of a libpq service file: NAME DATABASE USER PASSWORD.
  service_entry() {
    printf '[%s]\nhost=127.0.0.1\nport=%s\ndbname=%s\nuser=%s\npassword=%s\n' "$1" "$port" "$2" "$3" "$4"
  }
  dump_password=$(password_of sbx_dump)
  sandbox_password=$(password_of sbx_sandbox_login)
  [[ -n $dump_password && -n $sandbox_password ]] || fail "no password for sbx_dump or sbx_sandbox_login in roles.sql"
  prod_service=$(service_entry prod image_prod sbx_dump "$dump_password")
  sandbox_service=$(service_entry sandbox image_sandbox sbx_sandbox_login "$sandbox_password")
  # docker run -v ./pg_service.conf:/etc/sandboxctl/pg_service.conf:ro: both
  # services in the file the image's PGSYSCONFDIR names. The Kubernetes
  # layout: one file per Secret, 0440, root's and group 10001's.
  printf '%s\n\n%s\n' "$prod_service" "$sandbox_service" >"$dir/etc/pg_service.conf"
  printf '%s\n' "$prod_service" >"$dir/etc/prod/pg_service.conf"
  printf '%s\n' "$sandbox_service" >"$dir/etc/sandbox/pg_service.conf"
  chown "0:$uid" "$dir/etc/pg_service.conf" "$dir/etc/prod/pg_service.conf" "$dir/etc/sandbox/pg_service.conf"
  chmod 0440 "$dir/etc/pg_service.conf" "$dir/etc/prod/pg_service.conf" "$dir/etc/sandbox/pg_service.conf"

  echo "-- the lifecycle, with the image's defaults (state and snapshots on the volume)"
  connections=(--source service=prod --target service=sandbox)
  # On the reference model, as tests/pg/test_commands.cpp runs it (the
  # adversarial schema grants PUBLIC writes that doctor rightly fails): with
  # the services, and with a passfile on the volume, libpq's other way.
  expect 0 "doctor on the reference model (the service file)" sandboxctl doctor "${connections[@]}"
  install -o "$uid" -g "$uid" -m 0600 /dev/null "$dir/volume/pgpass"
  printf '127.0.0.1:%s:image_prod:sbx_dump:%s\n127.0.0.1:%s:*:sbx_sandbox_login:%s\n' \
    "$port" "$dump_password" "$port" "$sandbox_password" >"$dir/volume/pgpass"
  extra_env=(PGPASSFILE="$volume/pgpass")
  expect 0 "doctor on the reference model (a passfile on the volume)" sandboxctl -q doctor \
    --source "host=127.0.0.1 port=$port dbname=image_prod user=sbx_dump" \
    --target "host=127.0.0.1 port=$port dbname=image_sandbox user=sbx_sandbox_login"
  extra_env=()
  rm "$dir/volume/pgpass"
  psql_as_postgres image_prod <"$repo/tests/sql/adversarial.sql" >/dev/null
  ok "the adversarial prod (tests/sql/adversarial.sql)"
  expect 0 "refresh" sandboxctl refresh "${connections[@]}"
  expect 0 "verify after the refresh" sandboxctl verify "${connections[@]}"
  expect 0 "snapshot create golden" sandboxctl snapshot create golden --target service=sandbox
  [[ -f $dir/volume/snapshots/golden/manifest.json || -d $dir/volume/snapshots/golden ]] ||
    fail "no snapshot golden in the volume's snapshots/"
  owner=$(find "$dir/volume" ! -uid "$uid" -print -quit)
  [[ -z $owner ]] || fail "$owner on the volume is not the user's"
  ok "the state and the snapshot store are on the volume, the user's: $(cd "$dir/volume" && echo *)"

  # A test scenario writes to the sandbox, as its application would.
  psql_as_postgres image_sandbox -c "SET ROLE sbx_sandbox_owner;
    UPDATE kitchen_sink SET label = 'changed by the test' WHERE label = 'plain';
    DELETE FROM measurements WHERE id % 10 = 0;
    INSERT INTO toasted VALUES (2, 'new', NULL);"
  expect 4 "verify sees the change (exit 4)" sandboxctl verify "${connections[@]}"
  expect 0 "status" sandboxctl status --target service=sandbox
  expect 0 "reset" sandboxctl reset --target service=sandbox
  expect 0 "verify after the reset: the sandbox equals golden and prod" sandboxctl verify "${connections[@]}"
  expect 0 "snapshot verify golden" sandboxctl snapshot verify golden

  # The CronJob's run: its configuration (less [kubernetes], which needs an
  # API server), its environment, /bin/mkdir as its init container runs it.
  echo "-- the refresh as deploy/kubernetes/base/cronjob.yaml runs it"
  sed '/^\[kubernetes\]/,$d' "$repo/deploy/kubernetes/base/sandboxctl.toml" >"$dir/etc/config/sandboxctl.toml"
  expect 0 "the init container: /bin/mkdir -p $volume/reports" /bin/mkdir -p "$volume/reports"
  extra_env=(SANDBOXCTL_CONFIG=/etc/sandboxctl/config/sandboxctl.toml
    PGSERVICEFILE=/etc/sandboxctl/prod/pg_service.conf PGSYSCONFDIR=/etc/sandboxctl/sandbox
    TMPDIR=/tmp HOME=/tmp POD_NAME=sandboxctl-nightly-test)
  expect 0 "refresh --snapshot golden --json (the CronJob's arguments)" \
    sandboxctl refresh --snapshot golden --json "$volume/reports/sandboxctl-nightly-test.json"
  [[ -s $dir/volume/reports/sandboxctl-nightly-test.json && -d $dir/volume/state && -d $dir/volume/snapshots/golden ]] ||
    fail "the CronJob's run left no report, state/ or snapshots/golden on the volume"
  ok "the report, state/ and snapshots/ where the manifests put them"
  expect 0 "verify with the CronJob's configuration" sandboxctl verify
  echo "$passed" >"$dir/inner"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || fail "must run as root (chroot, mounts)" "sudo scripts/test_image.sh"
  exec sudo "$0" "$@"
fi
started=$SECONDS
archive=$(realpath "${1:-build/image/sandboxctl-image.tar}")
[[ -f $archive ]] || fail "no image archive at $archive" "scripts/image.sh builds it"
[[ -x $repo/build/forky/root/usr/lib/postgresql/18/bin/postgres ]] ||
  fail "no PostgreSQL 18 in build/forky/root" "scripts/debian.sh forky --root builds that root"
command -v python3 >/dev/null || fail "python3 is not installed" "scripts/setup.sh installs it"

dir=$(mktemp -d /tmp/sandboxctl-image-test.XXXXXX)
export TEST_IMAGE_DIR=$dir
# Whatever the exit: a server the second stage could not stop (it was
# killed) is stopped by its pid, then the directory goes. Its mounts went
# with the namespace.
cleanup() {
  local pid
  if [[ -f $dir/pg/data/postmaster.pid ]]; then
    pid=$(head -1 "$dir/pg/data/postmaster.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -QUIT "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "-- unpacking $archive"
img=$dir/rootfs
mkdir -p "$dir/archive" "$img" "$dir/volume" "$dir/pg" "$dir/etc/config" "$dir/etc/prod" "$dir/etc/sandbox"
chown "$uid:$uid" "$dir/volume"
chmod 0750 "$dir/volume"
tar -xf "$archive" -C "$dir/archive" || fail "could not unpack $archive"
# manifest.json: one image, its config file, its layers bottom first.
python3 - "$dir/archive" >"$dir/layout" <<'EOF' || fail "$archive is not a docker-archive of one image"
import json, os, sys
manifest = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
if len(manifest) != 1:
    sys.exit("expected one image, found %d" % len(manifest))
print(manifest[0]["Config"])
print(" ".join(manifest[0]["RepoTags"]))
for layer in manifest[0]["Layers"]:
    print(layer)
EOF
mapfile -t layout <"$dir/layout"
config=$dir/archive/${layout[0]}
echo "tags: ${layout[1]}"
for layer in "${layout[@]:2}"; do
  layer=$dir/archive/$layer
  # Whiteouts first: .wh.NAME removes NAME from the layers below, and
  # .wh..wh..opq everything below in its directory; then the layer itself.
  while IFS= read -r entry; do
    entry=${entry#./}
    [[ /$entry/ != */../* ]] || fail "layer $layer has a path with ..: $entry"
    parent=$(dirname "$entry")
    name=$(basename "$entry")
    if [[ $name == .wh..wh..opq ]]; then
      [[ -d $img/$parent ]] && find "$img/$parent" -mindepth 1 -delete
    else
      rm -rf "${img:?}/$parent/${name#.wh.}"
    fi
  done < <(tar -tf "$layer" | grep -E '(^|/)\.wh\.[^/]+$' || true)
  tar -xf "$layer" -C "$img" --numeric-owner --same-owner --same-permissions --exclude='.wh.*' ||
    fail "could not extract layer $layer"
done
ok "unpacked the $((${#layout[@]} - 2)) layers in order"

# The config, as a runtime reads it.
python3 - "$config" "$uid" >"$dir/config" <<'EOF' || fail "the image config is not what the image should run"
import json, sys
config = json.load(open(sys.argv[1]))["config"]
uid = sys.argv[2]
problems = []
if config.get("User") not in (uid, uid + ":" + uid, "sandboxctl", "sandboxctl:sandboxctl"):
    problems.append("User is %r, not %s" % (config.get("User"), uid))
if config.get("Entrypoint") != ["/usr/bin/sandboxctl"]:
    problems.append("Entrypoint is %r" % config.get("Entrypoint"))
env = dict(item.split("=", 1) for item in config.get("Env", []))
for name in ("PATH", "XDG_STATE_HOME"):
    if name not in env:
        problems.append("no %s in Env" % name)
labels = config.get("Labels") or {}
if "org.opencontainers.image.version" not in labels:
    problems.append("no org.opencontainers.image.version label")
if problems:
    sys.exit("; ".join(problems))
print(labels["org.opencontainers.image.version"])
print("User=%s Entrypoint=%s Cmd=%s WorkingDir=%s" % (config["User"], config["Entrypoint"], config.get("Cmd"),
                                                      config.get("WorkingDir")))
print("\n".join(config["Env"]))
EOF
mapfile -t config_lines <"$dir/config"
echo "${config_lines[0]}" >"$dir/version"
printf '%s\n' "${config_lines[@]:2}" >"$dir/env"
ok "config: ${config_lines[1]}"
ok "config env: ${config_lines[*]:2}"

grep -qx "sandboxctl:x:$uid:$uid:[^:]*:$volume:/usr/sbin/nologin" "$img/etc/passwd" ||
  fail "no user sandboxctl ($uid, home $volume) in the image's /etc/passwd"
grep -q "^sandboxctl:x:$uid:" "$img/etc/group" || fail "no group sandboxctl ($uid) in the image's /etc/group"
[[ "$(stat -c %u:%g "$img$volume")" == "$uid:$uid" ]] || fail "$volume in the image is not the user's"
ok "user and group sandboxctl ($uid), $volume theirs"
for tool in gcc cc g++ c++ cpp clang as ld make; do
  if [[ -e $img/usr/bin/$tool || -e $img/usr/local/bin/$tool ]]; then fail "the image holds a compiler tool: $tool"; fi
done
# shellcheck disable=SC2016  # dpkg-query's format, not the shell's
if compilers=$(chroot "$img" dpkg-query -W -f='${Package}\n' | grep -E '^(gcc-[0-9]+|g\+\+|cpp|clang|binutils|libc6-dev)($|-)' |
  grep -v -- '-base$'); then
  fail "the image holds compiler packages: $compilers"
fi
ok "no compiler"
for cache in var/lib/apt/lists var/cache/apt; do
  if [[ -n "$(find "$img/$cache" -mindepth 1 2>/dev/null | head -1)" ]]; then fail "/$cache is not empty"; fi
done
[[ ! -e $img/usr/bin/apt-get ]] || fail "the image holds apt"
ok "no apt, no package lists or caches"
[[ -s $img/etc/ssl/certs/ca-certificates.crt ]] || fail "no CA certificates in /etc/ssl/certs"
ok "CA certificates"
archive_mb=$(du -m --apparent-size "$archive" | cut -f1)
unpacked_mb=$(du -sm "$img" | cut -f1)
echo "size: archive $archive_mb MB, unpacked $unpacked_mb MB"

status=0
unshare --mount --propagation private -- "$repo/scripts/test_image.sh" --in-namespace || status=$?
if [[ -f $dir/inner ]]; then
  passed=$((passed + $(cat "$dir/inner")))
elif [[ -f $dir/failed ]]; then
  passed=$((passed + $(cat "$dir/failed")))
fi
if [[ $status -ne 0 ]]; then
  echo "image test: failed after $((SECONDS - started)) s" >&2
  echo "$passed passed, 1 failed"
  exit 1
fi
echo "image test: passed in $((SECONDS - started)) s (archive $archive_mb MB, unpacked $unpacked_mb MB)"
echo "$passed passed, 0 failed"
