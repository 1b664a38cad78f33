#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dataplane_pcap: the DPDK dataplane translates exactly as the replay does,
under both profiles.

Usage: dataplane_pcap.py NATGW

The dataplane and `natgw replay` run the same worker code (lib/worker). Traffic
from 40 inside hosts (TCP, UDP, ICMP echo, plus a bad IPv4 checksum, a TTL of 1,
a source outside the inside networks and a TCP ACK with no session) goes
through:

1. `natgw replay` (the reference);
2. the dataplane with one worker, on net_pcap vdevs (the capture as the inside
   port's rx, the outputs as the ports' tx): every frame sent out of each port
   is, from the IP header on, byte for byte the replay's, in the same order;
   frames leave with the port's MAC as source and --eth-dest as destination;
   every checksum is right (summed here from scratch); the CloudWatch metrics
   and drops by reason equal the replay's;
3. the dataplane with two workers (two lcores on one CPU, the capture split
   over two inside queues so that hosts arrive at the worker that does not own
   them): packets are handed to their owner (handoff counters agree, nothing
   lost), every host's flows use public ports of one worker's slice, and the
   per-flow accounting (packets and bytes of every flow) and the metrics equal
   the one-worker run's.

Needs root (DPDK's runtime directory and vdevs); skipped (77) otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw  # noqa: E402

INSIDE = "10.0.0.0/16"
HOST_MAC = "02:00:00:00:00:01"
GW_MAC = "02:00:00:00:00:fe"
NEXT_HOP = "02:00:00:00:00:99"
PORT_LO, PORT_HI = 1024, 65535


def frames():
    """40 hosts, each: a TCP connection's opening and data, UDP, a ping."""
    out = []
    eth = Ether(src=HOST_MAC, dst=GW_MAC)
    for h in range(40):
        src = "10.0.%d.%d" % (h // 10, 10 + h % 10)
        dst = "198.51.100.%d" % (1 + h % 7)
        sport = 40000 + h
        out.append(eth / IP(src=src, dst=dst, id=h) / TCP(sport=sport, dport=443, flags="S",
                                                          seq=1000))
        for k in range(3):
            out.append(eth / IP(src=src, dst=dst, id=100 + k) /
                       TCP(sport=sport, dport=443, flags="PA", seq=1001 + 10 * k, ack=1) /
                       Raw(b"x" * (10 + h)))
        for k in range(3):
            out.append(eth / IP(src=src, dst="198.51.100.53", id=200 + k) /
                       UDP(sport=sport, dport=53) / Raw(b"q" * (20 + k)))
        for k in range(2):
            out.append(eth / IP(src=src, dst=dst, id=300 + k) / ICMP(id=h + 1, seq=k) /
                       Raw(b"ping"))
    bad = eth / IP(src="10.0.0.10", dst="198.51.100.1", chksum=0x1234) / UDP(sport=1, dport=2)
    out.append(bad)
    out.append(eth / IP(src="10.0.0.11", dst="198.51.100.1", ttl=1) / UDP(sport=1, dport=2))
    out.append(eth / IP(src="192.0.2.1", dst="198.51.100.1") / UDP(sport=1, dport=2))
    out.append(eth / IP(src="10.0.0.12", dst="198.51.100.1") /
               TCP(sport=5555, dport=80, flags="A", seq=1, ack=1))
    return [bytes(f) for f in out]


def l3(frame):
    return frame[14:]


def run_dp(exe, workdir, tag, vdevs, extra, lcores=("-l", "0,1")):
    """natgw on vdevs; the report. workdir's name (the profile) tags the run."""
    report = os.path.join(workdir, tag + ".json")
    cmd = [exe, *lcores, "--no-pci", "--file-prefix", "natgw-dp-%s-%d" % (os.path.basename(workdir) + tag, os.getpid()),
           "--log-level", "lib.eal:error"]
    for v in vdevs:
        cmd += ["--vdev", v]
    cmd += ["--", "--inside", "0", "--outside", "1", "--inside-net", INSIDE,
            "--public-ip", nc.PUBLIC_IP, "--eth-dest", "1," + NEXT_HOP,
            "--duration", "3", "--flow-log", "--report", report, "-q", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit("FAIL: %s: natgw exited %d:\n%s%s" % (tag, p.returncode, p.stdout,
                                                               p.stderr))
    with open(report) as f:
        return json.load(f)


def pcap_frames(path):
    return [f.data for f in nc.read_capture(path)]


def mac(b):
    return ":".join("%02x" % x for x in b)


def checksums_ok(frame):
    ip = nc.ipv4_of(nc.Frame(0, frame, len(frame), 1))
    return ip is not None and not nc.bad_sums(nc.checksum_sums(ip))


def flows_by_key(rep):
    d = {}
    for f in rep["flows"]:
        k = (f["proto"], f["inside_ip"], f["inside_port"], f["destination_ip"],
             f["destination_port"])
        assert k not in d, "flow %r twice" % (k,)
        d[k] = f
    return d


def one_profile(exe, wd, fr, inp, empty, profile, check):
    """Steps 1 to 3 under one behaviour profile."""
    wd = os.path.join(wd, profile)
    os.mkdir(wd)
    opt = ["--profile", profile]
    # 1. the reference. The replay sets aside a frame whose source is not
    # inside (it did not pass through the NAT); the dataplane counts it as
    # a drop: the reference is made without it and the difference added.
    stray = [x for x in fr if l3(x)[12:16] == bytes([192, 0, 2, 1])]
    refin = os.path.join(wd, "ref.pcap")
    nc.write_pcap(refin, [x for x in fr if x not in stray])
    ref = os.path.join(wd, "ref")
    nc.run([exe, "replay", refin, "-i", INSIDE, "-p", nc.PUBLIC_IP, "-o", ref, "-q"] + opt)
    ref_out = pcap_frames(os.path.join(ref, "outside.pcap"))
    ref_in = pcap_frames(os.path.join(ref, "inside.pcap"))
    with open(os.path.join(ref, "report.json")) as f:
        ref_rep = json.load(f)
    ref_rep["drops"]["src_not_inside"] += 1
    ref_rep["metrics"]["PacketsDropCount"] += 1
    ref_rep["metrics"]["PacketsInFromSource"] += 1
    ref_rep["metrics"]["BytesInFromSource"] += len(l3(stray[0]))

    # 2. one worker
    o_in, o_out = os.path.join(wd, "dp_in.pcap"), os.path.join(wd, "dp_out.pcap")
    rep1 = run_dp(exe, wd, "one", [
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, o_in),
        "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (empty, o_out)], opt)
    dp_out, dp_in = pcap_frames(o_out), pcap_frames(o_in)
    check(rep1["config"]["profile"] == profile and ref_rep["config"]["profile"] == profile,
          "one worker: the dataplane and the replay ran the %s profile" % profile)
    check(len(dp_out) == len(ref_out) and len(ref_out) == 40 * 9,
          "one worker: %d frames out of the outside port, the replay wrote %d (expected %d)"
          % (len(dp_out), len(ref_out), 40 * 9))
    check([l3(x) for x in dp_out] == [l3(x) for x in ref_out],
          "one worker: outside frames equal the replay's from the IP header on, in order")
    check([l3(x) for x in dp_in] == [l3(x) for x in ref_in] and
          len(dp_in) == (1 if profile == "aws" else 0),
          "one worker: what went back inside (aws: an RST for the stale ACK) equals the "
          "replay's")
    port1_mac = rep1["dataplane"]["ports"][1]["mac"].lower()
    check(all(mac(x[0:6]) == NEXT_HOP and mac(x[6:12]) == port1_mac for x in dp_out),
          "one worker: frames leave from the outside port's MAC %s to --eth-dest %s"
          % (port1_mac, NEXT_HOP))
    check(all(checksums_ok(x) for x in dp_out + dp_in),
          "one worker: every IPv4 and transport checksum is right")
    check(rep1["metrics"] == ref_rep["metrics"],
          "one worker: CloudWatch metrics equal the replay's")
    check(rep1["drops"] == ref_rep["drops"],
          "one worker: drops by reason equal the replay's (%s)"
          % {k: v for k, v in rep1["drops"].items() if v})
    w = rep1["dataplane"]["workers"]
    check(len(w) == 1 and w[0]["rx"]["inside"] == len(fr) and
          w[0]["tx"]["outside"] == len(dp_out),
          "one worker: the dataplane section counts %d received, %d sent"
          % (len(fr), len(dp_out)))

    # 3. two workers, hosts split so that each queue carries the other's
    a = [x for i, x in enumerate(fr) if (i // 9) % 2 == 0]
    b = [x for i, x in enumerate(fr) if (i // 9) % 2 == 1]
    ia, ib = os.path.join(wd, "in_a.pcap"), os.path.join(wd, "in_b.pcap")
    nc.write_pcap(ia, a)
    nc.write_pcap(ib, b)
    outs = [os.path.join(wd, "o%d.pcap" % i) for i in range(4)]
    rep2 = run_dp(exe, wd, "two", [
        "net_pcap0,rx_pcap=%s,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s" % (ia, ib, outs[0], outs[1]),
        "net_pcap1,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s" % (empty, outs[2], outs[3])],
        ["--config", "(0,0,1),(0,1,2),(1,0,1)"] + opt, lcores=("--lcores", "0@0,1@1,2@1"))
    w = rep2["dataplane"]["workers"]
    hout = sum(x["handoff_out"] for x in w)
    hin = sum(x["handoff_in"] for x in w)
    hdrop = sum(x["handoff_drop"] for x in w)
    check(len(w) == 2 and hout > 0 and hout == hin and hdrop == 0,
          "two workers: %d packets handed to their owner, %d taken, %d lost"
          % (hout, hin, hdrop))
    two_out = pcap_frames(outs[2]) + pcap_frames(outs[3])
    check(sorted(len(x) for x in two_out) == sorted(len(x) for x in dp_out) and
          all(checksums_ok(x) for x in two_out),
          "two workers: %d frames out, all checksums right" % len(two_out))
    span = (PORT_HI - PORT_LO + 1) // 2
    slices = {}
    for f in rep2["flows"]:
        slices.setdefault(f["inside_ip"], set()).add((f["public_port"] - PORT_LO) // span)
    check(len(slices) == 40 and all(len(s) == 1 for s in slices.values()) and
          {min(s) for s in slices.values()} == {0, 1},
          "two workers: each host's flows use one worker's port slice, both workers used")
    f1, f2 = flows_by_key(rep1), flows_by_key(rep2)
    same = set(f1) == set(f2) and all(
        (f1[k]["packets_out"], f1[k]["bytes_out"], f1[k]["packets_in"], f1[k]["bytes_in"]) ==
        (f2[k]["packets_out"], f2[k]["bytes_out"], f2[k]["packets_in"], f2[k]["bytes_in"])
        for k in f1)
    check(same and len(f1) == 40 * 3,
          "two workers: per-flow accounting of all %d flows equals the one-worker run's"
          % len(f1))
    m1 = dict(rep1["metrics"])
    m2 = dict(rep2["metrics"])
    # Each worker's peak came at its own moment: the sum bounds the peak.
    p1, p2 = m1.pop("ActiveConnectionCount"), m2.pop("ActiveConnectionCount")
    check(m1 == m2 and p2 >= p1 and rep1["drops"] == rep2["drops"],
          "two workers: metrics and drops equal the one-worker run's")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    exe = sys.argv[1]
    if os.geteuid() != 0:
        print("SKIP: the DPDK dataplane's vdevs need root")
        sys.exit(77)
    failures = []

    def check(ok, what):
        print("%s: %s: %s" % ("PASS" if ok else "FAIL", check.profile, what))
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as wd:
        fr = frames()
        inp = os.path.join(wd, "in.pcap")
        nc.write_pcap(inp, fr)
        empty = os.path.join(wd, "empty.pcap")
        nc.write_pcap(empty, [])

        for profile in ("aws", "rfc"):
            check.profile = profile
            one_profile(exe, wd, fr, inp, empty, profile, check)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
