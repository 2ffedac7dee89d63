#!/usr/bin/env python3
"""Renders the Kubernetes manifests and checks what they would grant and expose.

usage: scripts/check_manifests.py [--kubectl PATH] [DIR...]
       scripts/check_manifests.py --self-test [--kubectl PATH]

Each DIR (default: deploy/kubernetes/base and deploy/kubernetes/overlays/example)
is rendered with `kubectl kustomize DIR`, offline: nothing is applied, no API
server is needed. Every rendered object is then checked; each finding is printed
on a line of its own and makes the exit code 1. The findings:

- kinds: a ServiceAccount, Role, RoleBinding, PersistentVolumeClaim, CronJob or
  ConfigMap missing from the rendering;
- RBAC: a ClusterRole or ClusterRoleBinding at all; a RoleBinding to a
  ClusterRole; a "*" anywhere in a rule's verbs, resources, apiGroups or
  resourceNames; a rule on Secrets or on a scale subresource without
  resourceNames, or one on Secrets with another verb than get;
- secrets: an environment variable from a Secret (valueFrom.secretKeyRef,
  envFrom.secretRef) or named like a password or token; a Secret volume mounted
  without readOnly: true; "password=" or a password in a URI in a container's
  command, args or env values, or in a ConfigMap; a Secret object in the
  manifests (credentials are created beforehand, never kept in the repository);
- security context: a pod without runAsNonRoot: true, running as uid 0, or
  sharing the host's network, PID or IPC namespace; a container or init
  container without runAsNonRoot: true, allowPrivilegeEscalation: false,
  capabilities.drop [ALL] (and no capabilities.add), readOnlyRootFilesystem:
  true, privileged other than false, or without CPU and memory in both
  resources.requests and resources.limits.

--self-test proves that each rule can fail: the documents of every fixture in
tests/manifests/ (each breaks one rule; its "# expect: TEXT" lines name the
findings it must produce, no more, no fewer) and mutations of the real
rendering (each required kind removed, each required field deleted from the
CronJob's pod) must each be caught.

Exit codes: 0 clean, 1 findings (or a failed self-test case), 2 usage or a
rendering that failed, 77 kubectl missing (skip; under CI=true it is 1).
"""

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    print("check_manifests: Python's yaml module is missing (Debian package python3-yaml; scripts/setup.sh installs it)",
          file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = ["deploy/kubernetes/base", "deploy/kubernetes/overlays/example"]
FIXTURES = ROOT / "tests" / "manifests"
REQUIRED_KINDS = ("ServiceAccount", "Role", "RoleBinding", "PersistentVolumeClaim", "CronJob", "ConfigMap")
SKIP = 77

# A password where it stands as a value: a conninfo or environment assignment,
# or the password part of a URI (scheme://user:PASSWORD@host).
SECRET_TEXT = [
    (re.compile(r"password\s*=", re.IGNORECASE), '"password="'),
    (re.compile(r"://[^/\s:@]+:[^/\s@]*@"), "a password in a URI"),
]
SECRET_ENV_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY", re.IGNORECASE)


class RenderError(Exception):
    pass


def label(doc):
    metadata = doc.get("metadata") or {}
    return f"{doc.get('kind', '?')}/{metadata.get('name', '?')}"


def secret_text(text):
    """The description of the first secret-looking pattern in text, or None."""
    for pattern, what in SECRET_TEXT:
        if pattern.search(text):
            return what
    return None


# ---------------------------------------------------------------------------
# The rules


def check_kinds(docs):
    present = {doc.get("kind") for doc in docs}
    return [f"missing kind {kind}: the manifests must define one" for kind in REQUIRED_KINDS if kind not in present]


def check_rbac(doc):
    kind = doc.get("kind")
    where = label(doc)
    if kind in ("ClusterRole", "ClusterRoleBinding"):
        return [f"{where}: a {kind} grants rights in every namespace; use a Role and a RoleBinding"]
    if kind == "RoleBinding":
        ref = doc.get("roleRef") or {}
        if ref.get("kind") != "Role":
            return [f"{where}: binds {ref.get('kind')}/{ref.get('name')}; bind a Role of these manifests, not a ClusterRole"]
        return []
    if kind != "Role":
        return []
    findings = []
    for index, rule in enumerate(doc.get("rules") or []):
        for field in ("verbs", "resources", "apiGroups", "resourceNames"):
            for value in rule.get(field) or []:
                if "*" in str(value):
                    findings.append(f"{where}: rule {index}: wildcard \"{value}\" in {field}")
        resources = [str(r) for r in rule.get("resources") or []]
        names = rule.get("resourceNames") or []
        if "secrets" in resources:
            if not names:
                findings.append(f"{where}: rule {index}: Secrets without resourceNames: name the Secrets")
            other = [v for v in rule.get("verbs") or [] if v != "get"]
            if other:
                findings.append(f"{where}: rule {index}: verbs {other} on Secrets: list and watch ignore "
                                "resourceNames and reveal every Secret; only get")
        if any(r.endswith("/scale") for r in resources) and not names:
            findings.append(f"{where}: rule {index}: a scale subresource without resourceNames: name the one workload")
    return findings


def pod_specs(doc):
    """(where, pod spec) of every pod template in doc."""
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        yield label(doc), spec
    elif kind in ("Job", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        yield label(doc), (spec.get("template") or {}).get("spec") or {}
    elif kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        yield label(doc), (job.get("template") or {}).get("spec") or {}


def secret_volumes(pod):
    names = set()
    for volume in pod.get("volumes") or []:
        if "secret" in volume:
            names.add(volume.get("name"))
        projected = volume.get("projected") or {}
        if any("secret" in source for source in projected.get("sources") or []):
            names.add(volume.get("name"))
    return names


def non_root_findings(prefix, context):
    """A pod's or a container's securityContext must say it never runs as root."""
    findings = []
    if context.get("runAsNonRoot") is not True:
        findings.append(f"{prefix}.runAsNonRoot is not true")
    if context.get("runAsUser") == 0:
        findings.append(f"{prefix}.runAsUser is 0 (root)")
    return findings


def check_container(where, container, secrets):
    findings = []
    context = container.get("securityContext") or {}
    findings += non_root_findings(f"{where}: securityContext", context)
    if context.get("allowPrivilegeEscalation") is not False:
        findings.append(f"{where}: securityContext.allowPrivilegeEscalation is not false")
    if context.get("privileged", False) is not False:
        findings.append(f"{where}: securityContext.privileged is not false")
    capabilities = context.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        findings.append(f"{where}: securityContext.capabilities.drop does not hold ALL")
    if capabilities.get("add"):
        findings.append(f"{where}: securityContext.capabilities.add gives {capabilities['add']}")
    if context.get("readOnlyRootFilesystem") is not True:
        findings.append(f"{where}: securityContext.readOnlyRootFilesystem is not true")
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        missing = [r for r in ("cpu", "memory") if r not in (resources.get(part) or {})]
        if missing:
            findings.append(f"{where}: resources.{part} has no {' and no '.join(missing)}")

    for env in container.get("env") or []:
        name = env.get("name", "?")
        source = env.get("valueFrom") or {}
        if "secretKeyRef" in source:
            findings.append(f"{where}: environment variable {name} comes from a Secret (secretKeyRef); "
                            "mount the Secret as a read-only file instead")
        elif SECRET_ENV_NAME.search(name) and ("value" in env or source):
            findings.append(f"{where}: environment variable {name} looks like a secret; "
                            "mount the Secret as a read-only file instead")
        what = secret_text(str(env.get("value", "")))
        if what:
            findings.append(f"{where}: environment variable {name} holds {what}")
    for source in container.get("envFrom") or []:
        if "secretRef" in source:
            findings.append(f"{where}: envFrom puts Secret {(source['secretRef'] or {}).get('name')} "
                            "in the environment; mount it as a read-only file instead")
    for mount in container.get("volumeMounts") or []:
        if mount.get("name") in secrets and mount.get("readOnly") is not True:
            findings.append(f"{where}: Secret volume {mount.get('name')} is mounted without readOnly: true")
    for field in ("command", "args"):
        for argument in container.get(field) or []:
            what = secret_text(str(argument))
            if what:
                findings.append(f"{where}: {field} holds {what}: a command line is readable by every "
                                "process of the node")
    return findings


def check_pod(where, pod):
    findings = []
    context = pod.get("securityContext") or {}
    findings += non_root_findings(f"{where}: pod securityContext", context)
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(host):
            findings.append(f"{where}: {host} shares the node's namespace")
    secrets = secret_volumes(pod)
    for field, what in (("initContainers", "init container"), ("containers", "container")):
        for container in pod.get(field) or []:
            findings += check_container(f"{where}: {what} {container.get('name', '?')}", container, secrets)
    return findings


def check_document(doc):
    findings = check_rbac(doc)
    for where, pod in pod_specs(doc):
        findings += check_pod(where, pod)
    kind = doc.get("kind")
    if kind == "ConfigMap":
        for key, value in (doc.get("data") or {}).items():
            what = secret_text(str(value))
            if what:
                findings.append(f"{label(doc)}: {key} holds {what}; keep credentials in Secrets")
    if kind == "Secret":
        findings.append(f"{label(doc)}: a Secret in the manifests; create it beforehand (docs/kubernetes.md), "
                        "never keep credentials in the repository")
    return findings


def check_documents(docs, require_kinds=True):
    findings = check_kinds(docs) if require_kinds else []
    for doc in docs:
        findings += check_document(doc)
    return findings


# ---------------------------------------------------------------------------
# Rendering


def find_kubectl(explicit):
    """The kubectl to run, or None when there is none (or the one named is not executable)."""
    return shutil.which(explicit or os.environ.get("KUBECTL") or "kubectl")


def render(kubectl, directory):
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RenderError(f"`{kubectl} kustomize {directory}` failed (exit {result.returncode}):\n"
                          f"{result.stderr.strip()}")
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    if not docs:
        raise RenderError(f"`{kubectl} kustomize {directory}` rendered nothing")
    return docs


def missing_kubectl():
    print("check_manifests: no kubectl (none on PATH, or the one --kubectl or KUBECTL names is not executable; "
          "scripts/setup.sh installs Debian's kubernetes-client)", file=sys.stderr)
    # The harness's rule (tests/harness/prerequisite.hpp): CI set to anything
    # but "", "0", "false" or "no".
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        print("check_manifests: under CI the check must run: failing", file=sys.stderr)
        return 1
    print("check_manifests: skipped", file=sys.stderr)
    return SKIP


def check_dirs(kubectl, dirs):
    total = 0
    for directory in dirs:
        path = Path(directory)
        if not path.is_absolute():
            path = ROOT / path
        shown = os.path.relpath(path, ROOT)
        try:
            docs = render(kubectl, path)
        except RenderError as error:
            print(f"check_manifests: {shown}: {error}", file=sys.stderr)
            return 2
        findings = check_documents(docs)
        for finding in findings:
            print(f"check_manifests: {shown}: {finding}")
        kinds = sorted({doc.get("kind") for doc in docs})
        status = f"{len(findings)} finding(s)" if findings else "clean"
        print(f"check_manifests: {shown}: {len(docs)} objects ({', '.join(kinds)}): {status}")
        total += len(findings)
    return 1 if total else 0


# ---------------------------------------------------------------------------
# Self-test


def read_fixture(path):
    text = path.read_text()
    expects = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("# expect:")]
    require_kinds = any(line.strip() == "# require-kinds" for line in text.splitlines())
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    return docs, expects, require_kinds


def matches(findings, expects):
    """Whether each expected text is in a finding of its own, and no finding is left over."""
    if len(findings) != len(expects):
        return False
    left = list(findings)
    for expect in expects:
        hit = next((f for f in left if expect in f), None)
        if hit is None:
            return False
        left.remove(hit)
    return True


def mutations(docs):
    """(name, mutated documents, expected finding texts) for the real rendering."""
    for kind in REQUIRED_KINDS:
        yield f"{kind} removed", [d for d in docs if d.get("kind") != kind], [f"missing kind {kind}"]

    def cronjob_pod(mutated):
        job = next(d for d in mutated if d.get("kind") == "CronJob")
        return job["spec"]["jobTemplate"]["spec"]["template"]["spec"]

    def main_container(pod):
        return next(c for c in pod["containers"] if c["name"] == "sandboxctl")

    def variant(name, change, expects):
        mutated = copy.deepcopy(docs)
        change(cronjob_pod(mutated))
        return name, mutated, expects

    yield variant("pod runAsNonRoot deleted", lambda p: p["securityContext"].pop("runAsNonRoot"),
                  ["pod securityContext.runAsNonRoot"])
    for field in ("runAsNonRoot", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities"):
        yield variant(f"container {field} deleted",
                      lambda p, f=field: main_container(p)["securityContext"].pop(f),
                      [f"container sandboxctl: securityContext.{field}"])
    for part in ("requests", "limits"):
        yield variant(f"container resources.{part} deleted",
                      lambda p, part=part: main_container(p)["resources"].pop(part),
                      [f"container sandboxctl: resources.{part}"])
    yield variant("init container readOnlyRootFilesystem deleted",
                  lambda p: p["initContainers"][0]["securityContext"].pop("readOnlyRootFilesystem"),
                  ["init container prepare-volume: securityContext.readOnlyRootFilesystem"])

    def unprotect(pod):
        for mount in main_container(pod)["volumeMounts"]:
            if mount["name"] == "prod-db":
                mount.pop("readOnly")

    yield variant("prod Secret mounted read-write", unprotect, ["Secret volume prod-db is mounted without readOnly"])
    yield variant("password in the environment",
                  lambda p: main_container(p)["env"].append(
                      {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "prod", "key": "password"}}}),
                  ["environment variable PGPASSWORD comes from a Secret"])

    def widen(mutated):
        role = next(d for d in mutated if d.get("kind") == "Role")
        role["rules"][0]["verbs"].append("*")

    mutated = copy.deepcopy(docs)
    widen(mutated)
    yield "Role verb widened to *", mutated, ['wildcard "*" in verbs']


def self_test(kubectl):
    failed = 0
    passed = 0

    def report(name, findings, expects):
        nonlocal failed, passed
        if matches(findings, expects):
            passed += 1
            print(f"ok      {name}")
        else:
            failed += 1
            print(f"FAILED  {name}\n        expected: {expects}\n        found:    {findings}")

    fixtures = sorted(FIXTURES.glob("*.yaml"))
    if not fixtures:
        print(f"check_manifests: no fixture in {FIXTURES}", file=sys.stderr)
        return 1
    for path in fixtures:
        docs, expects, require_kinds = read_fixture(path)
        if not expects:
            failed += 1
            print(f"FAILED  {path.name}: no '# expect:' line (a fixture must break a rule)")
            continue
        report(f"fixture {path.name}", check_documents(docs, require_kinds), expects)

    skipped = False
    if not kubectl:
        code = missing_kubectl()
        if code != SKIP:
            return code
        skipped = True
    else:
        for directory in DEFAULT_DIRS:
            try:
                docs = render(kubectl, ROOT / directory)
            except RenderError as error:
                print(f"check_manifests: {error}", file=sys.stderr)
                return 2
            report(f"{directory} as rendered: no finding", check_documents(docs), [])
            for name, mutated, expects in mutations(docs):
                report(f"{directory}: {name}", check_documents(mutated), expects)

    print(f"self-test: {passed} passed, {failed} failed" + (" (mutations of the rendering skipped)" if skipped else ""))
    if failed:
        return 1
    return SKIP if skipped else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", metavar="DIR", help="kustomization directories (default: %(default)s)",
                        default=DEFAULT_DIRS)
    parser.add_argument("--kubectl", help="the kubectl to render with (default: $KUBECTL, else kubectl on PATH)")
    parser.add_argument("--self-test", action="store_true", help="prove that every rule catches what it should")
    options = parser.parse_args()
    kubectl = find_kubectl(options.kubectl)
    if options.self_test:
        return self_test(kubectl)
    if not kubectl:
        return missing_kubectl()
    return check_dirs(kubectl, options.dirs)


if __name__ == "__main__":
    sys.exit(main())
