#!/usr/bin/env python3
"""Adds up the tests of every suite and version scripts/test.sh ran.

usage: scripts/test_totals.py DIR...

Reads, under each DIR, the reports the runs left:
  *.json  GoogleTest's (GTEST_OUTPUT=json:DIR/): one per test binary run
          (NAME.json, NAME_1.json, ...), every test in it counted;
  *.xml   JUnit, from ctest (--output-junit) or from scripts/debian.sh: the
          tests no GoogleTest report covers (the Kubernetes manifest
          checks, the prerequisite rule) are counted from it; and a run it
          says failed whose GoogleTest report shows no failure (a crash or
          a sanitizer's report at exit, a failure in SetUpTestSuite) counts
          as one failed test more, so that no failure goes unseen.
Prints one line per report directory and the total, in the form
"N passed, N failed, N skipped". Exits 1 when a test failed, a directory
holds no report or a report cannot be read; 0 otherwise.
"""


import json
import pathlib
import re
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


def binary_name(path):
    """unit_tests_3.json: the third run of unit_tests in that directory."""
    return re.sub(r"_[0-9]+$", "", path.stem)


def run_name(ctest_name):
    """pg_tests_shard_1: a part of pg_tests (GoogleTest's sharding), whose
    report is pg_tests.json or pg_tests_N.json."""
    return re.sub(r"_shard_[0-9]+$", "", ctest_name)


def read_gtest(path, totals, covered, failing):
    """Counts a GoogleTest JSON report; remembers which names it covers and
    which runs it shows failing."""
    report = json.loads(path.read_text())
    covered.update((path.stem, binary_name(path)))
    for suite in report.get("testsuites", []):
        for test in suite.get("testsuite", []):
            if test.get("status") != "RUN":
                continue  # DISABLED_ ones: never run, not counted
            covered.add(f"{suite['name']}.{test['name']}")
            if test.get("failures"):
                totals.failed += 1
                failing.update((path.stem, binary_name(path)))
            elif test.get("result") == "SKIPPED":
                totals.skipped += 1
            else:
                totals.passed += 1


def read_junit(path, totals, covered, failing):
    """Counts the ctest tests of a JUnit report that no GoogleTest report
    covers, and the failed runs whose GoogleTest report shows no failure."""
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = run_name(case.get("name", ""))
        status = case.get("status", "")
        failed = case.find("failure") is not None or case.find("error") is not None or status == "fail"
        if name in covered:
            if failed and name not in failing:
                print(f"   {name}: the run failed, its report shows no failure (a crash, or a failure outside"
                      " any test): counted as one failed test", file=sys.stderr)
                totals.failed += 1
            continue
        if failed:
            totals.failed += 1
        elif case.find("skipped") is not None or status in ("notrun", "disabled"):
            totals.skipped += 1
        else:
            totals.passed += 1


def read_directory(directory):
    """The totals of one directory's reports, or None when it has none."""
    here, covered, failing = Totals(), set(), set()
    gtest, junit = sorted(directory.rglob("*.json")), sorted(directory.rglob("*.xml"))
    if not gtest and not junit:
        return None
    for path in gtest:
        try:
            read_gtest(path, here, covered, failing)
        except (ValueError, OSError) as e:
            print(f"test_totals: could not read {path}: {e}", file=sys.stderr)
            here.failed += 1
    for path in junit:
        try:
            read_junit(path, here, covered, failing)
        except (ElementTree.ParseError, OSError) as e:
            print(f"test_totals: could not read {path}: {e}", file=sys.stderr)
            here.failed += 1
    return here


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    total, missing = Totals(), 0
    for directory in map(pathlib.Path, sys.argv[1:]):
        here = read_directory(directory) if directory.is_dir() else None
        if here is None:
            print(f"test_totals: no test report in {directory}: its runs did not happen or left nothing",
                  file=sys.stderr)
            missing += 1
            continue
        print(f"   {directory}: {here}")
        total.add(here)
    print(f"{total}")
    return 1 if total.failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
