#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Make the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/seed-*).

From the project's captures (tests/data/pcaps, copies of ../shared/pcaps; the
conformance and ECS sample captures tools/gen_captures.py makes) and data/.
Deterministic: rerunning it rewrites the same files. Inputs found by fuzzing
(crash-*, regress-*) are kept beside the seeds and never touched here.

    tests/fuzz/seed.py
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

from scapy.all import IP, TCP, UDP, Raw, rdpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PCAPS = os.path.join(ROOT, "tests", "data", "pcaps")
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def nat_records(pkts, aim, conf):
    """fuzz_nat's input: a configuration byte, then [ctl][len][frame] records.
    The capture's first sender is the inside; with @aim each frame is aimed
    at the seeded session of its protocol, checksums recomputed."""
    out = bytearray([conf])
    client = None
    for p in pkts:
        raw = bytes(p)
        if IP not in p:
            out += bytes([0]) + struct.pack(">H", len(raw)) + raw
            continue
        if client is None:
            client = p[IP].src
        side = 0 if p[IP].src == client else 1
        ctl = side
        if aim:
            k = {6: 0, 17: 1, 1: 2}.get(p[IP].proto)
            if k is not None:
                ctl |= 2 | 4 | k << 4
        out += bytes([ctl]) + struct.pack(">H", len(raw)) + raw
    return bytes(out)


def ether_only(pkts):
    from scapy.all import Ether
    return [p for p in pkts if p.haslayer(Ether)]


def seed_pcap_and_nat(captures):
    for path in captures:
        base = os.path.basename(path)
        with open(path, "rb") as f:
            data = f.read()
        if len(data) <= 20000:
            put("pcap", base, data)
        if not base.endswith(".pcap"):
            continue
        try:
            pkts = ether_only(rdpcap(path))
        except Exception:  # a malformed capture scapy itself refuses
            continue
        for i in range(0, min(len(pkts), 64), 16):
            chunk = pkts[i:i + 16]
            stem = "%s-%d" % (base, i)
            put("nat", stem + "-raw", nat_records(chunk, False, 0x00))
            put("nat", stem + "-aimed-aws", nat_records(chunk, True, 0x00))
            put("nat", stem + "-aimed-rfc", nat_records(chunk, True, 0x01))


def seed_learn(captures):
    n = 0
    for path in captures:
        if not path.endswith(".pcap"):
            continue
        try:
            pkts = rdpcap(path)
        except Exception:
            continue
        for p in pkts:
            if UDP in p and p[UDP].sport == 53 and n < 40:
                put("learn", "dns-%s-%d" % (os.path.basename(path), n),
                    b"\x00" + bytes(p[UDP].payload))
                n += 1
            elif TCP in p and Raw in p and bytes(p[Raw])[:1] == b"\x16" and n < 40:
                put("learn", "tls-%s-%d" % (os.path.basename(path), n),
                    b"\x01" + bytes(p[Raw]))
                n += 1


def seed_config():
    with open(os.path.join(ROOT, "data", "policy-example.json"), "rb") as f:
        put("policy", "policy-example.json", f.read())
    put("policy", "globs.json", json.dumps({
        "default": "allow",
        "rules": [{"action": "deny", "host": ["*.example.com", "a?.b[cd].net"],
                   "class": "internet", "cidr": ["192.0.2.0/24"], "port": [22, 23],
                   "proto": "tcp"}]}).encode())
    with open(os.path.join(ROOT, "data", "prices-us-east-1.json"), "rb") as f:
        put("prices", "prices-us-east-1.json", f.read())
    put("prices", "overrides", b"=nat_gateway.per_gb=0.052\ninternet_out.free_gb=0\n"
        b"internet_out.per_gb_tiers.1.price=0.08\n")
    for i, s in enumerate([
            b"bps_start=1G,bps_max=45G,bps_step=5G", b"pps_start=250k,pps_max=2Mpps",
            b"up_frac=90%,down_frac=0.2,up_after=60s,down_after=2m",
            b"window=1s,epoch=500us,gap=1m,bps_floor=2G,pps_floor=0",
            b"bps_start=5Gbps,epoch=1ms"]):
        put("scale", "spec-%d" % i, s)
    with open(os.path.join(ROOT, "data", "aws-ip-ranges.json")) as f:
        ranges = json.load(f)
    small = dict(ranges)
    small["prefixes"] = ranges["prefixes"][:12] + [
        p for p in ranges["prefixes"] if p["service"] in ("S3", "DYNAMODB")][:4]
    small["ipv6_prefixes"] = ranges.get("ipv6_prefixes", [])[:2]
    put("ranges", "aws-ip-ranges-16.json", json.dumps(small, indent=1).encode())
    for i, s in enumerate([
            b"seed=7,hosts=4,tasks=8,duration=10m,launch=30s",
            b"image=200MB,layers=5,ecs_every=30s,ddb_every=2s,ddb_req=1200,ddb_resp=4k",
            b"internet=0.5,github_every=10s,github_resp=20k,pings=3",
            b"burst=1GB,burst_rate=16Gbps,burst_at=45s,net=10.1.0.0/16,resolver=10.1.0.2,start=1787413200s",
            b"retries=3,rto_min=200ms,max_flows=100000,logs_every=5s,logs_req=2k"]):
        put("synth", "spec-%d" % i, s)


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    captures = sorted(os.path.join(PCAPS, f) for f in os.listdir(PCAPS)
                      if f.endswith((".pcap", ".pcapng")))
    with tempfile.TemporaryDirectory() as tmp:
        for gen in ("conformance", "ecs-sample"):
            out = os.path.join(tmp, gen + ".pcap")
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_captures.py"),
                            gen, out], check=True, stdout=subprocess.DEVNULL)
            captures.append(out)
        seed_pcap_and_nat(captures)
        seed_learn(captures)
    seed_config()


if __name__ == "__main__":
    main()
