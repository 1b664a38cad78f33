#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_exhaustion: ports and the session table run out under `natgw replay`.

Usage: replay_exhaustion.py NATGW

A capture made here, replayed through the `aws` profile with two public
addresses and --max-sessions 110,010 (--scale off: the ceiling is not what is
tested):

1. eight TCP connections open with their handshakes, four to 198.51.100.50:443
   and four to 198.51.100.60:443;
2. 109,996 SYNs from other hosts to 198.51.100.50:443 take every port of both
   addresses towards it (2 x 55,000 with the four connections);
3. five more SYNs to it: no port left;
4. six datagrams to 198.51.100.70:53 fill the table, five more find it full;
5. between and after those, data segments both ways on all eight connections.

The report must say: drops port_alloc 5 (ErrorPortAllocation 5) and
table_full 5, nothing else dropped; and each of the eight connections'
flow records count exactly the packets and IP bytes the capture sent each way.
"""

import os
import struct
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

PUBS = "203.0.113.10,203.0.113.11"
DST_FULL, DST_OTHER, DST_DNS = "198.51.100.50", "198.51.100.60", "198.51.100.70"
HOST = "10.0.9.1"
FILL = 110000 - 4
MAX_SESSIONS = 110010
SYN, ACK, PSH = 0x02, 0x10, 0x08
MAC_IN, MAC_GW = bytes.fromhex("02000a000901"), bytes.fromhex("02000a0000fe")


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def packet(src, dst, proto, l4):
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                               ip4(src), ip4(dst)))
    struct.pack_into("!H", ip, 10, ~nc.ones_sum(bytes(ip)) & 0xFFFF)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(l4))
    l4 = bytearray(l4)
    struct.pack_into("!H", l4, 16 if proto == 6 else 6, ~nc.ones_sum(pseudo, bytes(l4)) & 0xFFFF)
    inbound = src.startswith("198.")
    eth = (MAC_IN + MAC_GW if inbound else MAC_GW + MAC_IN) + b"\x08\x00"
    return eth + bytes(ip) + bytes(l4)


def tcp(src, sport, dst, dport, flags, seq, ack, data=b""):
    return packet(src, dst, 6, struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                                           65535, 0, 0) + data)


def udp(src, sport, dst, dport, data):
    return packet(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)


class Capture:
    def __init__(self):
        self.frames = []
        self.t = 1_787_413_200 * 10**9

    def add(self, data, step_ns=2000):
        self.t += step_ns
        self.frames.append(nc.Frame(self.t, data, len(data), 1))


def main(argv):
    exe = argv[1]
    ck = nc.Checker("replay_exhaustion")
    cap = Capture()
    conns = [(30000 + i, DST_FULL if i < 4 else DST_OTHER) for i in range(8)]
    sent = {c: [0, 0, 0, 0] for c in conns}  # packets out, bytes out, packets in, bytes in
    seq = {c: [1001, 9001] for c in conns}

    def count(c, inbound, data):
        ip_len = len(data) - 14
        s = sent[c]
        s[2 if inbound else 0] += 1
        s[3 if inbound else 1] += ip_len

    for c in conns:
        sport, dst = c
        for data, inbound in ((tcp(HOST, sport, dst, 443, SYN, 1000, 0), False),
                              (tcp(dst, 443, HOST, sport, SYN | ACK, 9000, 1001), True),
                              (tcp(HOST, sport, dst, 443, ACK, 1001, 9001), False)):
            cap.add(data)
            count(c, inbound, data)

    rounds = [0]

    def exchange():
        rounds[0] += 1
        n = 10 * rounds[0]
        for c in conns:
            sport, dst = c
            out = tcp(HOST, sport, dst, 443, ACK | PSH, seq[c][0], seq[c][1], b"q" * n)
            back = tcp(dst, 443, HOST, sport, ACK | PSH, seq[c][1], seq[c][0] + n, b"r" * 2 * n)
            seq[c][0] += n
            seq[c][1] += 2 * n
            for data, inbound in ((out, False), (back, True)):
                cap.add(data)
                count(c, inbound, data)

    for i in range(FILL):
        src = "10.0.%d.%d" % (1 + i // 50000 // 250, 1 + (i // 50000) % 250)
        cap.add(tcp(src, 10000 + i % 50000, DST_FULL, 443, SYN, 1, 0))
        if i % 20000 == 0:
            exchange()
    exchange()
    for i in range(5):
        cap.add(tcp("10.0.8.1", 20000 + i, DST_FULL, 443, SYN, 1, 0))
        exchange()
    for i in range(MAX_SESSIONS - FILL - 8):
        cap.add(udp("10.0.8.2", 20000 + i, DST_DNS, 53, b"fill"))
    for i in range(5):
        cap.add(udp("10.0.8.2", 30000 + i, DST_DNS, 53, b"full"))
        exchange()
    exchange()

    with tempfile.TemporaryDirectory() as wd:
        pcap = os.path.join(wd, "exhaustion.pcap")
        nc.write_pcap(pcap, cap.frames)
        r = nc.replay(exe, pcap, os.path.join(wd, "out"), inside="10.0.0.0/16", public=PUBS,
                      extra=["--max-sessions", str(MAX_SESSIONS), "--scale", "off", "-q",
                             "--no-plot"])
        if not ck.check(r.rc == 0, "replay exit 0 (%d): %s" % (r.rc, r.stderr.strip())):
            return ck.finish()
        rep = r.report
    d, m = rep["drops"], rep["metrics"]
    ck.eq(d["port_alloc"], 5, "drops port_alloc (no port left towards %s)" % DST_FULL)
    ck.eq(m["ErrorPortAllocation"], 5, "ErrorPortAllocation")
    ck.eq(d["table_full"], 5, "drops table_full")
    ck.eq(m["PacketsDropCount"], 10, "PacketsDropCount: those ten, nothing else")
    ck.eq(sum(d.values()), 10, "drops by reason add up to the ten")
    flows = {}
    for f in rep["flows"]:
        if f["proto"] in (6, "tcp") and f["inside_ip"] == HOST:
            flows[(f["inside_port"], f["destination_ip"])] = f
    for c in conns:
        f = flows.get(c)
        if not ck.check(f is not None, "a flow record for %s:%d -> %s:443" % (HOST, c[0], c[1])):
            continue
        got = [f["packets_out"], f["bytes_out"], f["packets_in"], f["bytes_in"]]
        ck.eq(got, sent[c], "connection %d -> %s: packets and bytes out, packets and bytes in"
              % (c[0], c[1]))
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
