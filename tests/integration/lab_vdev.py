#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lab_vdev: `natgw lab` on this machine's in-process ring ports.

Usage: lab_vdev.py NATGW LAB_C

- `natgw lab -- --help` exits 0 without DPDK and documents every long option
  of LAB_C's getopt table; bad options get one line and exit 2.
- The whole lab against natgw's own dataplane (the builtin device) with a
  4096-session table: the throughput search converges (NDR and PDR found, the
  NDR at most the PDR, in Gbps at L1 above L2), latency is measured in both
  directions at three loads (count > 0, min <= p50 <= p90 <= p99 <= max), the
  connection setup rate is found, and the table capacity comes out at exactly
  the table's size: 4096 sessions held at most, the search's bounds not above
  it (below it only by what a busy machine loses). No trial sees a frame mistranslated or remapped.
  trials.csv and latency.csv agree with lab.json.
- The synthetic ECS scenario through the builtin device in real time: every
  session it starts completes, nothing comes back malformed or unknown.
- The generator's own calibration (--dut none, its ports looped): frames come
  back untranslated and unharmed.

The runs need root (the EAL); without it only the help and option checks run.
"""

import csv
import json
import os
import re
import subprocess
import sys
import tempfile

EAL = ["-l", "0,1", "--no-pci"]

BAD = [
    ("unknown option", ["--bogus"], ["--bogus"]),
    ("bad test", ["--tests", "throughput,speed"], ["--tests", "speed"]),
    ("bad dut", ["--dut", "remote"], ["--dut", "remote"]),
    ("bad frame size", ["--frame-size", "40"], ["40"]),
    ("bad weight", ["--frame-size", "64:0"], ["weight"]),
    ("rates upside down", ["--rate-min", "2M", "--rate-max", "1M"], ["--rate-min"]),
    ("bad rate", ["--rate-max", "fast"], ["--rate-max", "fast"]),
    ("pdr below ndr", ["--ndr-loss", "1", "--pdr-loss", "0.5"], ["--pdr-loss"]),
    ("external without ports", ["--dut", "external"], ["--gen-ports"]),
    ("dut ports without gen ports", ["--dut-ports", "0,1"], ["--gen-ports"]),
    ("profile for an external device", ["--dut", "none", "--profile", "rfc"], ["builtin"]),
    ("no such port", ["--dut", "external", "--gen-ports", "nope,0"], ["nope"]),
    ("too many hosts", ["--hosts", "70000"], ["--hosts"]),
    ("missing value", ["--flows"], ["--flows"]),
]


def run(exe, app, out, timeout=600):
    prefix = "natgw-lab-test-%d" % os.getpid()
    cmd = [exe, "lab"] + EAL + ["--file-prefix", prefix, "--"] + app + ["-o", out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def help_documents_every_option(exe, src, fails):
    r = subprocess.run([exe, "lab", "--", "--help"], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        fails.append("lab --help exited %d" % r.returncode)
        return
    table = open(src).read()
    names = re.findall(r'\{"([a-z-]+)", (?:required|no)_argument', table)
    if len(names) < 30:
        fails.append("found only %d options in %s" % (len(names), src))
    for n in names:
        if "--" + n not in r.stdout:
            fails.append("lab --help does not document --" + n)


def bad_options(exe, tmp, fails):
    for what, app, want in BAD:
        r = run(exe, app, os.path.join(tmp, "bad"), timeout=60)
        lines = [l for l in r.stderr.splitlines() if "hugepages" not in l
                 and not l.startswith("EAL:")]
        if r.returncode != 2:
            fails.append("%s: exit %d, want 2 (%s)" % (what, r.returncode, r.stderr.strip()))
            continue
        if len(lines) != 1 or not lines[0].startswith("natgw lab: "):
            fails.append("%s: want one 'natgw lab:' line, got %r" % (what, lines))
            continue
        for w in want:
            if w not in lines[0]:
                fails.append("%s: %r does not name %r" % (what, lines[0], w))


def check_trials(j, key, fails, out):
    for i, t in enumerate(j[key]["trials"]):
        for k in ("mistranslated", "remapped", "foreign"):
            if t[k]:
                fails.append("%s trial %d: %d frames %s" % (key, i + 1, t[k], k))


def whole_lab(exe, tmp, fails):
    out = os.path.join(tmp, "lab")
    r = run(exe, ["--tests", "throughput,latency,cps,capacity", "--max-sessions", "4096", "--capacity-max", "8192", "--trial", "0.2",
                  "--cps-trial", "0.05", "--latency-trial", "0.2", "--precision", "0.05",
                  "--rate-max", "4M", "--cps-max", "1M", "--capacity-rate", "30k",
                  "--flows", "256"], out)
    if r.returncode != 0:
        fails.append("the lab failed (%d): %s" % (r.returncode, r.stderr.strip()[-800:]))
        return
    j = json.load(open(os.path.join(out, "lab.json")))
    tp = j["throughput"]
    ndr, pdr = tp["ndr"], tp["pdr"]
    if not (ndr["found"] and pdr["found"] and ndr["rate"] > 0):
        fails.append("throughput search did not converge: %s %s" % (ndr, pdr))
    if ndr["rate"] > pdr["rate"] * (1 + 1e-9):
        fails.append("NDR %.0f above PDR %.0f" % (ndr["rate"], pdr["rate"]))
    if not ndr["gbps_l1"] > ndr["gbps_l2"] > 0:
        fails.append("L1 rate %s not above L2 %s" % (ndr["gbps_l1"], ndr["gbps_l2"]))
    # 64-byte frames: L1 is 84/68 of L2 (preamble and gap on FCS-counted frames).
    if ndr["rate"] and abs(ndr["gbps_l1"] / ndr["gbps_l2"] - 84 / 64) > 1e-6:
        fails.append("L1/L2 ratio %f, want 84/64" % (ndr["gbps_l1"] / ndr["gbps_l2"]))
    check_trials(j, "throughput", fails, out)
    loads = [row["load_pct"] for row in j.get("latency", [])]
    if loads != [10, 50, 90]:
        fails.append("latency at loads %s, want 10, 50, 90" % loads)
    for row in j.get("latency", []):
        for d in ("out", "in"):
            h = row[d]
            seq = [h["min_ns"], h["p50_ns"], h["p90_ns"], h["p99_ns"], h["p99_9_ns"],
                   h["max_ns"]]
            if h["count"] <= 0 or seq != sorted(seq) or not h["min_ns"] <= h["avg_ns"] <= h["max_ns"]:
                fails.append("latency %s%% %s: %s" % (row["load_pct"], d, h))
    cps = j["cps"]
    if not (cps["ndr"]["rate"] > 0 and cps["pdr"]["found"]):
        fails.append("setup rate not found: %s" % cps["pdr"])
    check_trials(j, "cps", fails, out)
    cap = j["capacity"]
    if cap["held"] != 4096:
        fails.append("table capacity: %d sessions held at most, the table holds 4096"
                     % cap["held"])
    # A trial that loses a frame to a busy lcore lowers the zero-loss bound
    # (it is conservative); the 0.5% bound comes within the precision of the
    # table, and may pass 4096 by what 0.5% of loss allows.
    if not 0 < cap["ndr"]["rate"] <= 4096:
        fails.append("table capacity's zero-loss bound %.0f above the table's 4096"
                     % cap["ndr"]["rate"])
    # Bounds below the table only if a trial lost frames to a busy machine;
    # far below it, the trials measure something else.
    if not 4096 * 0.5 <= cap["pdr"]["rate"] <= 4096 / (1 - 0.005):
        fails.append("table capacity's 0.5%% bound %.0f, want near 4096"
                     % cap["pdr"]["rate"])
    check_trials(j, "capacity", fails, out)
    if j["dut"]["drops"]["table_full"] == 0:
        fails.append("capacity trials above 4096 never filled the table")
    with open(os.path.join(out, "trials.csv")) as f:
        rows = list(csv.DictReader(f))
    n = sum(len(j[k]["trials"]) for k in ("throughput", "cps", "capacity"))
    if len(rows) != n:
        fails.append("trials.csv has %d rows, lab.json %d trials" % (len(rows), n))
    with open(os.path.join(out, "latency.csv")) as f:
        lat = list(csv.DictReader(f))
    if len(lat) != 6:
        fails.append("latency.csv has %d rows, want 6" % len(lat))
    for word in ("throughput", "connection setup", "table capacity", "p99"):
        if word not in r.stdout:
            fails.append("the table has no %r" % word)


def scenario(exe, tmp, fails):
    """The synthetic ECS workload in real time through the builtin device:
    every session completes, and what one port sent the other received."""
    out = os.path.join(tmp, "scen")
    r = run(exe, ["--tests", "scenario", "--synth",
                  "hosts=4,tasks=8,duration=8s,launch=4s,image=4M,burst_at=2s"], out)
    if r.returncode != 0:
        fails.append("scenario failed (%d): %s" % (r.returncode, r.stderr.strip()[-500:]))
        return
    s = json.load(open(os.path.join(out, "lab.json")))["scenario"]
    st = s["stats"]
    if st["started"] < 8 * 4 or st["completed"] != st["started"] or st["failed"]:
        fails.append("scenario: %d sessions started, %d completed, %d failed"
                     % (st["started"], st["completed"], st["failed"]))
    if st["malformed"] or st["unknown"]:
        fails.append("scenario: %d malformed, %d unknown frames came back"
                     % (st["malformed"], st["unknown"]))
    if s["cut"]:
        fails.append("scenario: cut at its bound")
    if "scenario: 4 hosts, 8 tasks" not in r.stdout:
        fails.append("scenario: no summary line in %r" % r.stdout[:300])


def calibration(exe, tmp, fails):
    out = os.path.join(tmp, "cal")
    r = run(exe, ["--dut", "none", "--tests", "throughput", "--trial", "0.2",
                  "--rate-max", "2M", "--precision", "0.1"], out)
    if r.returncode != 0:
        fails.append("calibration failed (%d): %s" % (r.returncode, r.stderr.strip()[-500:]))
        return
    j = json.load(open(os.path.join(out, "lab.json")))
    if j["lab"]["dut"] != "none" or not j["throughput"]["pdr"]["rate"] > 0:
        fails.append("calibration: %s" % j["throughput"]["pdr"])
    check_trials(j, "throughput", fails, out)


def main():
    exe, src = sys.argv[1], sys.argv[2]
    fails = []
    help_documents_every_option(exe, src, fails)
    with tempfile.TemporaryDirectory() as tmp:
        if os.geteuid() == 0:
            bad_options(exe, tmp, fails)
            whole_lab(exe, tmp, fails)
            scenario(exe, tmp, fails)
            calibration(exe, tmp, fails)
        else:
            print("not root: the DPDK runs are skipped")
    for f in fails:
        print("FAIL:", f)
    print("lab_vdev: %s" % ("ok" if not fails else "%d failures" % len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
