#!/usr/bin/env python3
"""Checks src/ against the layer table in ARCHITECTURE.md.

Fails on an include of a folder the table does not allow, on a folder of src/
the table does not list, and on a cycle between folders (in the table or in
the includes). A folder's subfolders belong to its layer.

Application knowledge lives in its profile: each subfolder of src/profiles/
is an application (dolibarr/). Fails too when a file outside src/profiles/
and src/cli/ names an application (in code or comment, in any case), and when
a file of src/profiles/ other than the registry includes an application's
folder from outside it, and when a file of src/core/ holds SQL (core knows
nothing of PostgreSQL: SQL lives with the layer that runs it). CI runs it from scripts/test.sh; --self-test (a ctest
test) proves on a copy of the tree that each rule fails what it must.
"""
import pathlib
import re
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|\s*`(\w+)`\s*\|.*\|\s*(.*?)\s*\|\s*$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"(\w+)/', re.M)
APP_INCLUDE = re.compile(r'^\s*#\s*include\s+"profiles/(\w+)/')
# The folders that may name an application: the profiles, and the command
# line, which documents them in its help.
NAMING_ALLOWED = {"profiles", "cli"}
REGISTRY = "src/profiles/registry.cpp"
# SQL's statement words, upper case as every statement of sandboxctl writes
# them, anywhere in a line (string literals, raw strings and comments alike).
SQL_WORD = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|GRANT|REVOKE|COMMIT|ROLLBACK|TRUNCATE|BEGIN)\b")


def read_table(root):
    allowed = {}
    for line in (root / "ARCHITECTURE.md").read_text().splitlines():
        match = ROW.match(line)
        if match:
            folder, cell = match.groups()
            allowed[folder] = "*" if cell == "every folder" else set(re.findall(r"`(\w+)`", cell))
    return allowed


def find_cycle(graph):
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt] if nxt in path else path + [nxt]
            if nxt not in state:
                cycle = visit(nxt, path + [nxt])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None


def application_problems(root):
    """Where application knowledge leaks out of its profile."""
    profiles = root / "src" / "profiles"
    applications = sorted(p.name for p in profiles.iterdir() if p.is_dir()) if profiles.is_dir() else []
    problems = []
    for source in sorted((root / "src").rglob("*.[ch]pp")):
        relative = source.relative_to(root)
        folder = relative.parts[1] if len(relative.parts) > 2 else ""
        own = relative.parts[2] if folder == "profiles" and len(relative.parts) > 3 else None
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if folder not in NAMING_ALLOWED:
                for application in applications:
                    if application in line.lower():
                        problems.append(f"{relative}:{number}: names the application \"{application}\", whose "
                                        f"knowledge belongs in src/profiles/{application}/")
            match = APP_INCLUDE.match(line)
            if folder == "profiles" and match and match.group(1) != own and str(relative) != REGISTRY:
                problems.append(f"{relative}:{number}: includes profiles/{match.group(1)}/; only {REGISTRY} "
                                "names the applications")
    return problems


def sql_in_core_problems(root):
    """SQL text in src/core/, which knows nothing of PostgreSQL."""
    problems = []
    for source in sorted((root / "src" / "core").rglob("*.[ch]pp")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            match = SQL_WORD.search(line)
            if match:
                problems.append(f"{source.relative_to(root)}:{number}: SQL in core (\"{match.group(1)}\"); it belongs "
                                "to the layer that runs it")
    return problems


def check(root):
    """The problems of the tree at root, and a summary when there are none."""
    allowed = read_table(root)
    folders = sorted(p.name for p in (root / "src").iterdir() if p.is_dir())
    problems = []
    for folder in folders:
        if folder not in allowed:
            problems.append(f"src/{folder}/ is not in the layer table of ARCHITECTURE.md")
    for folder in allowed:
        if folder not in folders:
            problems.append(f"ARCHITECTURE.md lists {folder}, which is not a folder of src/")

    actual = {folder: set() for folder in folders}
    for folder in folders:
        for source in sorted((root / "src" / folder).rglob("*.[ch]pp")):
            for number, line in enumerate(source.read_text().splitlines(), 1):
                match = INCLUDE.match(line)
                if not match or match.group(1) == folder or match.group(1) not in folders:
                    continue
                used = match.group(1)
                actual[folder].add(used)
                rule = allowed.get(folder, set())
                if rule != "*" and used not in rule:
                    problems.append(f"{source.relative_to(root)}:{number}: {folder}/ may not include {used}/")

    problems += application_problems(root)
    problems += sql_in_core_problems(root)

    declared = {f: (set(folders) - {f} if r == "*" else r) for f, r in allowed.items()}
    for name, graph in (("ARCHITECTURE.md's table", declared), ("the includes", actual)):
        cycle = find_cycle(graph)
        if cycle:
            problems.append(f"cycle in {name}: {' -> '.join(cycle)}")

    edges = sum(len(v) for v in actual.values())
    return problems, f"{len(folders)} folders, {edges} folder dependencies, no cycle, all allowed"


# Each case plants one file in a copy of the tree and names what the check
# must then say.
SELF_TESTS = [
    ("src/refresh/planted.cpp", "// Dolibarr's llx_const\n", "names the application \"dolibarr\""),
    ("src/snapshot/planted.hpp", '#include "profiles/dolibarr/profile.hpp"\n', "names the application"),
    ("src/core/planted.cpp", "int DOLIBARR = 1;\n", "names the application \"dolibarr\""),
    ("src/profiles/planted.cpp", '#include "profiles/dolibarr/channels.hpp"\n', "only src/profiles/registry.cpp"),
    ("src/core/planted.cpp", '#include "refresh/refresh.hpp"\n', "core/ may not include refresh/"),
    ("src/planted/planted.cpp", "\n", "src/planted/ is not in the layer table"),
    ("src/core/planted.cpp", 'auto q = R"(\nSELECT 1)";\n', "SQL in core (\"SELECT\")"),
]


def self_test():
    failures = []
    with tempfile.TemporaryDirectory() as work:
        base = pathlib.Path(work) / "tree"
        base.mkdir()
        shutil.copy(ROOT / "ARCHITECTURE.md", base)
        shutil.copytree(ROOT / "src", base / "src")
        problems, _ = check(base)
        if problems:
            failures.append(f"the unchanged tree fails: {problems}")
        for path, text, expected in SELF_TESTS:
            planted = base / path
            planted.parent.mkdir(parents=True, exist_ok=True)
            planted.write_text(text)
            problems, _ = check(base)
            if not any(expected in p for p in problems):
                failures.append(f"{path} with {text.strip()!r}: expected \"{expected}\", got {problems}")
            planted.unlink()
            if not any(planted.parent.iterdir()):
                planted.parent.rmdir()
    for failure in failures:
        print(f"layers self-test: {failure}", file=sys.stderr)
    print(f"layers self-test: {len(SELF_TESTS) - len(failures)} of {len(SELF_TESTS)} planted problems found")
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    problems, summary = check(ROOT)
    if problems:
        for problem in problems:
            print(f"layers: {problem}", file=sys.stderr)
        print("HINT: move the code to the layer that owns it, or change ARCHITECTURE.md's table with a reason",
              file=sys.stderr)
        return 1
    print(f"layers: {summary}")
    return 0




if __name__ == "__main__":
    sys.exit(main())
