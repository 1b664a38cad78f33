#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Make a capture of many TCP flows from inside a VPC to the internet, for the
dataplane benchmark (tests/bench/dataplane).

usage: gen_flows.py OUT.pcap --flows N [--ack-rounds K]
       gen_flows.py --check OUT.pcap [--flows N] [--ack-rounds K]

Flow i goes from 10.x.y.z (inside 10.0.0.0/8) to one of 1,024 public
destinations (251 addresses in 198.51.100.0/24 times 4 ports), each 5-tuple
distinct. The capture is N SYNs, one a flow, that open the flows, then K rounds
of one ACK a flow (the established flows' traffic); with K = 0 it is just the
N SYNs, each opening a session of its own.

Every frame is 60 bytes in the capture (Ethernet, IPv4, TCP without options,
padded to the Ethernet minimum), 64 bytes on the wire with the FCS. The records
are written directly with struct (the checksums are summed by hand), so a
million packets take seconds; --check reads the first SYN and the first ACK back
with scapy and compares every field and both checksums with what scapy computes."""

import argparse
import struct
import sys

SNAPLEN = 65535
FRAME = 60                          # 14 + 20 + 20 + 6 bytes of Ethernet padding
SRC_MAC = bytes.fromhex("02000a000001")
DST_MAC = bytes.fromhex("02000a0000fe")
DST_NET = (198 << 24) | (51 << 16) | (100 << 8)
DST_PORTS = (443, 80, 8080, 22)
SYN, ACK = 0x02, 0x10

ETH = struct.Struct("!6s6sH")
# IPv4 header from the total length on, then the TCP header, then the padding.
IPTCP = struct.Struct("!BBHHHBBHIIHHIIBBHHH6x")
REC = struct.Struct("<IIII")


def flow(i):
    """Flow i's (src_ip, src_port, dst_ip, dst_port): the source takes 16 ports
    of one address, so (src_ip, src_port) alone is distinct for 2**28 flows."""
    src_ip = (10 << 24) + 1 + (i >> 4)
    src_port = 10000 + (i & 15)
    d = i % 1024
    return src_ip, src_port, DST_NET + 1 + d % 251, DST_PORTS[d // 251 % 4]


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def frame(i, flags):
    """Flow i's frame with these TCP flags: bytes, checksums filled in."""
    sip, sport, dip, dport = flow(i)
    seq = (i * 2654435761) & 0xFFFFFFFF
    ack = 0
    if flags != SYN:
        seq = (seq + 1) & 0xFFFFFFFF
        ack = (i * 40503 + 7) & 0xFFFFFFFF
    ip_id = i & 0xFFFF
    words = (sip >> 16) + (sip & 0xFFFF) + (dip >> 16) + (dip & 0xFFFF)
    ip_sum = 0x4500 + 40 + ip_id + 0x4000 + 0x4006 + words
    win = 64240
    tcp_sum = (words + 6 + 20 + sport + dport + (seq >> 16) + (seq & 0xFFFF) +
               (ack >> 16) + (ack & 0xFFFF) + (0x5000 | flags) + win)
    hdr = IPTCP.pack(0x45, 0, 40, ip_id, 0x4000, 64, 6, ~fold(ip_sum) & 0xFFFF,
                     sip, dip, sport, dport, seq, ack, 0x50, flags, win,
                     ~fold(tcp_sum) & 0xFFFF, 0)
    return ETH.pack(DST_MAC, SRC_MAC, 0x0800) + hdr


def write(path, flows, rounds):
    rec = REC.size + FRAME
    chunk = 65536
    with open(path, "wb") as f:
        # Classic little-endian pcap, microsecond stamps, Ethernet.
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, 1))
        n = 0
        for r in range(rounds + 1):
            flags = SYN if r == 0 else ACK
            for base in range(0, flows, chunk):
                cnt = min(chunk, flows - base)
                buf = bytearray(cnt * rec)
                for k in range(cnt):
                    off = k * rec
                    # One microsecond apart, from 1,700,000,000 s.
                    REC.pack_into(buf, off, 1700000000 + n // 1000000, n % 1000000,
                                  FRAME, FRAME)
                    buf[off + REC.size:off + rec] = frame(base + k, flags)
                    n += 1
                f.write(buf)
    return n


def check(path, flows, rounds):
    """Read the capture's first SYN and first ACK back with scapy."""
    from scapy.all import IP, TCP, PcapReader

    want = [(0, 0, SYN)]
    if rounds:
        want.append((flows, 0, ACK))
    with PcapReader(path) as rd:
        pkts = {}
        for idx, p in enumerate(rd):
            if idx in (w[0] for w in want):
                pkts[idx] = p
            if idx >= want[-1][0]:
                break
    for idx, i, flags in want:
        p = pkts.get(idx)
        if p is None:
            sys.exit("gen_flows: %s has no packet %d" % (path, idx))
        sip, sport, dip, dport = flow(i)
        ip, tcp = p[IP], p[TCP]
        got = (len(bytes(p)), ip.src, ip.dst, ip.len, tcp.sport, tcp.dport, int(tcp.flags))
        exp = (FRAME, "%d.%d.%d.%d" % tuple(sip.to_bytes(4, "big")),
               "%d.%d.%d.%d" % tuple(dip.to_bytes(4, "big")), 40, sport, dport, flags)
        if got != exp:
            sys.exit("gen_flows: %s packet %d is %s, not %s" % (path, idx, got, exp))
        ref = IP(bytes(ip)[:40])
        sums = (ref.chksum, ref[TCP].chksum)
        del ref.chksum
        del ref[TCP].chksum
        ref = IP(bytes(ref))
        if sums != (ref.chksum, ref[TCP].chksum):
            sys.exit("gen_flows: %s packet %d has checksums %s, scapy says %s" %
                     (path, idx, sums, (ref.chksum, ref[TCP].chksum)))
    print("%s: packets %s check with scapy" % (path, ", ".join(str(w[0]) for w in want)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--ack-rounds", type=int, default=0)
    ap.add_argument("--check", action="store_true",
                    help="check an existing capture instead of writing one")
    a = ap.parse_args()
    if not 1 <= a.flows <= 1 << 28 or a.ack_rounds < 0:
        sys.exit("gen_flows: --flows from 1 to 2**28, --ack-rounds from 0")
    if a.check:
        check(a.out, a.flows, a.ack_rounds)
        return
    n = write(a.out, a.flows, a.ack_rounds)
    print("%s: %d flows, %d packets" % (a.out, a.flows, n))


if __name__ == "__main__":
    main()
