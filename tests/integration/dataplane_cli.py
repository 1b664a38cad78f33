#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dataplane_cli: natgw's dataplane refuses what it must, in one line.

Usage: dataplane_cli.py NATGW DATAPLANE_C

- each bad option, or options that do not fit the ports and lcores: exit 2
  and one "natgw:" line on stderr naming the option or the port (besides the
  one-time note that the machine has no hugepages), nothing on stdout;
- `natgw -- --help` exits 0 without starting DPDK (works without root) and
  documents every long option of DATAPLANE_C's getopt table.

The runs that start DPDK need root; without it only the help is checked.
"""

import os
import re
import subprocess
import sys

GOOD = ["--inside", "0", "--outside", "1", "--inside-net", "10.0.0.0/16",
        "--public-ip", "203.0.113.10", "--duration", "1", "-q"]

# (what, application options, exit status, strings the error line must hold)
CASES = [
    ("no --outside", ["--inside", "0"], 2, ["--outside", "required"]),
    ("unknown option", GOOD + ["--bogus"], 2, ["--bogus"]),
    ("stray argument", GOOD + ["extra"], 2, ["extra"]),
    ("missing value", GOOD + ["--config"], 2, ["--config"]),
    ("same port twice", ["--inside", "0", "--outside", "0"] + GOOD[4:], 2, ["same port"]),
    ("no such port", ["--inside", "0", "--outside", "7"] + GOOD[4:], 2, ["port 7"]),
    ("no such port name", ["--inside", "net_null0", "--outside", "nope"] + GOOD[4:], 2,
     ["nope"]),
    ("config: the main lcore", GOOD + ["--config", "(0,0,0),(1,0,0)"], 2, ["main lcore"]),
    ("config: lcore not enabled", GOOD + ["--config", "(0,0,1),(1,0,5)"], 2, ["lcore 5"]),
    ("config: a queue twice", GOOD + ["--config", "(0,0,1),(0,0,1),(1,0,1)"], 2, ["twice"]),
    ("config: a queue without lcore", GOOD + ["--config", "(0,1,1),(1,0,1)"], 2,
     ["queue 0", "no lcore"]),
    ("config: outside not polled", GOOD + ["--config", "(0,0,1)"], 2, ["outside port 1"]),
    ("config: not a tuple list", GOOD + ["--config", "0,0,1"], 2, ["--config", "0,0,1"]),
    ("eth-dest: bad MAC", GOOD + ["--eth-dest", "1,zz:00"], 2, ["--eth-dest", "zz:00"]),
    ("eth-dest: another port", GOOD + ["--eth-dest", "3,02:00:00:00:00:01"], 2, ["port 3"]),
    ("bad public IP", GOOD + ["--public-ip", "10.0.0.5"], 2, ["--public-ip", "10.0.0.5"]),
    ("burst too big", GOOD + ["--burst", "65"], 2, ["--burst", "65"]),
    ("filtering under aws", GOOD + ["--filtering", "eif"], 2, ["--filtering"]),
    ("report where it cannot be written", GOOD + ["--report", "/nonexistent/dir/r.json"], 2,
     ["--report", "/nonexistent/dir/r.json", "No such file"]),
    ("more buffers than memory", GOOD + ["--mbufs", "60000000"], 1, ["packet buffers"]),
]


def run(exe, app, prefix):
    cmd = [exe, "-l", "0,1", "--no-pci", "--file-prefix", prefix,
           "--vdev", "net_null0", "--vdev", "net_null1", "--"] + app
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def main():
    exe, src = sys.argv[1], sys.argv[2]
    fails = []

    def check(ok, what):
        print("%s: %s" % ("PASS" if ok else "FAIL", what))
        if not ok:
            fails.append(what)

    p = subprocess.run([exe, "--", "--help"], capture_output=True, text=True, timeout=30)
    with open(src) as f:
        table = re.search(r"static const struct option lo\[\] = \{(.*?)\};", f.read(), re.S)
    longs = re.findall(r'\{"([a-z-]+)",', table.group(1))
    missing = [o for o in longs if "--" + o not in p.stdout]
    check(p.returncode == 0 and not missing and len(longs) > 15,
          "natgw -- --help documents all %d long options%s" %
          (len(longs), " (missing %s)" % missing if missing else ""))
    if os.geteuid() != 0:
        print("SKIP: the rest starts DPDK, which needs root here")
        sys.exit(77 if fails == [] else 1)
    for i, (what, app, rc, words) in enumerate(CASES):
        r = run(exe, app, "natgw-cli-%d-%d" % (os.getpid(), i))
        lines = [x for x in r.stderr.splitlines() if "no free hugepages" not in x]
        ok = (r.returncode == rc and r.stdout == "" and len(lines) == 1 and
              lines[0].startswith("natgw: ") and all(w in lines[0] for w in words))
        check(ok, "%s: exit %d, one line %r" % (what, r.returncode, lines))
    if fails:
        print("%d check(s) failed" % len(fails))
        sys.exit(1)


if __name__ == "__main__":
    main()
