#!/usr/bin/env python3
"""Adds up the tests of every suite and version scripts/test.sh ran.

usage: scripts/test_totals.py DIR...

Reads, under each DIR, the reports the runs left:
  *.json  GoogleTest's (GTEST_OUTPUT=json:DIR/): one per test binary run,
          every test in it counted;
  *.xml   ctest's JUnit (--output-junit): only the ctest tests no GoogleTest
          report covers (the Kubernetes manifest checks, the prerequisite
          rule), so that each test is counted once.
Prints one line per report directory and the total, in the form
"N passed, N failed, N skipped". Exits 1 when a test failed or no report
was found, 0 otherwise.
"""

import json
import pathlib
import sys
import xml.etree.ElementTree as ElementTree


class Totals:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def __str__(self):
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def read_gtest(path, totals, covered):
    """Counts a GoogleTest JSON report; remembers which names it covers."""
    report = json.loads(path.read_text())
    # unit_tests_3.json: the third run of unit_tests in that directory.
    covered.add(path.stem.rstrip("0123456789").rstrip("_"))
    for suite in report.get("testsuites", []):
        for test in suite.get("testsuite", []):
            if test.get("status") != "RUN":
                continue  # DISABLED_ ones: never run, not counted
            covered.add(f"{suite['name']}.{test['name']}")
            if test.get("failures"):
                totals.failed += 1
            elif test.get("result") == "SKIPPED":
                totals.skipped += 1
            else:
                totals.passed += 1


def read_junit(path, totals, covered):
    """Counts the ctest tests of a JUnit report that no GoogleTest report covers."""
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        if name in covered:
            continue
        status = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None or status == "fail":
            totals.failed += 1
        elif case.find("skipped") is not None or status in ("notrun", "disabled"):
            totals.skipped += 1
        else:
            totals.passed += 1


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    total, reports = Totals(), 0
    for directory in map(pathlib.Path, sys.argv[1:]):
        here, covered = Totals(), set()
        gtest = sorted(directory.rglob("*.json"))
        for path in gtest:
            read_gtest(path, here, covered)
        junit = sorted(directory.rglob("*.xml"))
        for path in junit:
            read_junit(path, here, covered)
        reports += len(gtest) + len(junit)
        if gtest or junit:
            print(f"   {directory.name}: {here}")
        total.add(here)
    print(f"{total}")
    if reports == 0:
        print("test_totals: no test report found", file=sys.stderr)
        return 1
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main())
