#!/usr/bin/env python3
"""Checks src/ against the layer table in ARCHITECTURE.md.

Fails on an include of a folder the table does not allow, on a folder of src/
the table does not list, and on a cycle between folders (in the table or in
the includes). CI runs it from scripts/test.sh.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|\s*`(\w+)`\s*\|.*\|\s*(.*?)\s*\|\s*$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"(\w+)/', re.M)


def read_table():
    allowed = {}
    for line in (ROOT / "ARCHITECTURE.md").read_text().splitlines():
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


def main():
    allowed = read_table()
    folders = sorted(p.name for p in (ROOT / "src").iterdir() if p.is_dir())
    problems = []
    for folder in folders:
        if folder not in allowed:
            problems.append(f"src/{folder}/ is not in the layer table of ARCHITECTURE.md")
    for folder in allowed:
        if folder not in folders:
            problems.append(f"ARCHITECTURE.md lists {folder}, which is not a folder of src/")

    actual = {folder: set() for folder in folders}
    for folder in folders:
        for source in sorted((ROOT / "src" / folder).glob("*.[ch]pp")):
            for number, line in enumerate(source.read_text().splitlines(), 1):
                match = INCLUDE.match(line)
                if not match or match.group(1) == folder or match.group(1) not in folders:
                    continue
                used = match.group(1)
                actual[folder].add(used)
                rule = allowed.get(folder, set())
                if rule != "*" and used not in rule:
                    problems.append(f"{source.relative_to(ROOT)}:{number}: {folder}/ may not include {used}/")

    declared = {f: (set(folders) - {f} if r == "*" else r) for f, r in allowed.items()}
    for name, graph in (("ARCHITECTURE.md's table", declared), ("the includes", actual)):
        cycle = find_cycle(graph)
        if cycle:
            problems.append(f"cycle in {name}: {' -> '.join(cycle)}")

    if problems:
        for problem in problems:
            print(f"layers: {problem}", file=sys.stderr)
        print("HINT: move the code to the layer that owns it, or change ARCHITECTURE.md's table with a reason",
              file=sys.stderr)
        return 1
    edges = sum(len(v) for v in actual.values())
    print(f"layers: {len(folders)} folders, {edges} folder dependencies, no cycle, all allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
