#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""conformance_doc: every row of docs/conformance.md cites tests that exist.

Usage: conformance_doc.py ROOT

Each table row of the requirement tables must cite at least one test in
backquotes: `SUITE:test_name` (a Check function registered with tcase_add_*
in tests/unit/test_SUITE.c) or the name of a meson test (a tests/integration
script or a tests/live one registered in its meson.build). A citation of a
test that does not exist, or a row without one, fails. That the cited tests
pass is the rest of the test suite's business: this one keeps the page honest
when tests are renamed or removed.
"""

import os
import re
import sys

UNIT_RE = re.compile(r"`([a-z]+):(test_[a-z0-9_]+)`")
NAME_RE = re.compile(r"`([a-z_]+)`")


def registered(root):
    """The Check functions per suite, and the meson test names."""
    unit = {}
    udir = os.path.join(root, "tests", "unit")
    for f in os.listdir(udir):
        m = re.fullmatch(r"test_([a-z]+)\.c", f)
        if m:
            src = open(os.path.join(udir, f)).read()
            unit[m.group(1)] = set(re.findall(r"tcase_add_(?:loop_)?test\(\w+, (test_\w+)", src))
    names = set(unit)
    for d in ("integration", "live"):
        mb = open(os.path.join(root, "tests", d, "meson.build")).read()
        names |= set(re.findall(r"^\s*'([a-z_]+)': \[", mb, re.M))
        names |= set(re.findall(r"^test\('([a-z_]+)'", mb, re.M))
    return unit, names


def main():
    root = sys.argv[1]
    unit, names = registered(root)
    doc = open(os.path.join(root, "docs", "conformance.md")).read()
    rows = fails = cites = 0
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) < 3 or set(cells[0]) <= set("- "):
            continue
        if cells[0] in ("req", "section", "behaviour"):
            continue
        rows += 1
        tests = cells[-1]
        found = 0
        for suite, fn in UNIT_RE.findall(tests):
            cites += 1
            if fn in unit.get(suite, set()):
                found += 1
            else:
                fails += 1
                print("FAIL: row '%s' cites %s:%s, which tests/unit/test_%s.c does not register"
                      % (cells[0], suite, fn, suite))
        for name in NAME_RE.findall(UNIT_RE.sub("", tests)):
            if name in names:
                found += 1
                cites += 1
        if not found:
            fails += 1
            print("FAIL: row '%s' (%s) cites no test" % (cells[0], cells[1][:60]))
    ok = rows - fails
    print("conformance_doc: %d rows, %d citations checked" % (rows, cites))
    print("%d passed, %d failed" % (max(ok, 0), fails))
    return 1 if fails or rows < 50 else 0


if __name__ == "__main__":
    sys.exit(main())
