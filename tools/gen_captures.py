#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate natgw's replay captures, deterministically.

Usage: gen_captures.py {ecs-sample|conformance} OUTFILE [--check-ranges aws-ip-ranges.json]

ecs-sample: the built-in default run, an ECS host's view of a task launch
(~2 minutes). conformance: every case the replay acceptance test needs, for
--inside-net 10.0.0.0/16 --public-ip 203.0.113.10.

Both are what tcpdump on the private hosts would have seen: private addresses,
both directions, so the replay has to re-address inbound packets itself.

Output is byte-identical from run to run: fixed timestamps, seeded random, and the
pcap is written by hand (nanosecond magic) so timestamps are exact integers.
"""

import argparse
import ipaddress
import json
import os
import random
import struct
import sys

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest,
                                ICMPv6ND_NS, IPv6)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

ROUTER_MAC = "02:00:00:00:00:01"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
MS = 1_000_000
US = 1_000

# Remote addresses of the ECS sample. Each is checked against AWS's published
# ranges by --check-ranges, so the sample stays honest if someone edits it.
# name -> (address, [(prefix, service)] it must be listed under, region)
AWS_ENDPOINTS = {
    "ecs.us-east-1.amazonaws.com":
        ("52.94.133.131", [("52.94.132.0/22", "AMAZON")]),
    "api.ecr.us-east-1.amazonaws.com":
        ("52.46.145.20", [("52.46.128.0/19", "AMAZON")]),
    "123456789012.dkr.ecr.us-east-1.amazonaws.com":
        ("44.213.79.104", [("44.192.0.0/11", "EC2"), ("44.213.78.0/23", "AMAZON")]),
    "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com":
        ("52.217.84.12", [("52.216.0.0/15", "S3")]),
    "s3.us-east-1.amazonaws.com":
        ("16.182.65.41", [("16.182.0.0/16", "S3")]),
    "dynamodb.us-east-1.amazonaws.com":
        ("3.218.182.10", [("3.218.180.0/22", "DYNAMODB")]),
    "logs.us-east-1.amazonaws.com":
        ("52.94.229.7", [("52.94.224.0/20", "AMAZON")]),
}
# Not AWS: --check-ranges asserts these are in no AWS prefix.
NON_AWS = {"api.github.com": "140.82.112.6", "dns.google": "8.8.8.8",
           "metrics.example.net": "198.51.100.77"}


class Host:
    """An endpoint as the capture sees it: its MAC on the wire, the TTL its
    packets arrive with, and a per-source IP ID counter."""

    def __init__(self, ip, mac, ttl, rng):
        self.ip = ip
        self.mac = mac
        self.ttl = ttl
        self.next_id = rng.randrange(1, 65536)

    def take_id(self):
        i = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFF
        return i


class Event:
    __slots__ = ("ts", "order", "pkt", "builder", "src", "final", "pad")

    def __init__(self, ts, order, pkt, builder, src, pad):
        self.ts = ts
        self.order = order
        self.pkt = pkt
        self.builder = builder
        self.src = src
        self.final = None
        self.pad = pad


class Capture:
    """Collects frames out of time order; IP IDs are handed out only once the
    frames are sorted, so every host's IDs increase with time even though the
    conversations are generated one after another."""

    def __init__(self):
        self.events = []

    def add(self, ts, pkt, src=None, pad=False, builder=None):
        """src: Host whose IP ID counter numbers this packet (None: keep id).
        pad: the frame was received by the capturing host, so a short one
        carries the Ethernet minimum-size padding the NIC delivered."""
        ev = Event(int(ts), len(self.events), pkt, builder, src, pad)
        self.events.append(ev)
        return ev

    def write(self, path):
        self.events.sort(key=lambda e: (e.ts, e.order))
        with open(path, "wb") as f:
            # Classic pcap, nanosecond magic, snaplen 262144, Ethernet.
            f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
            for ev in self.events:
                pkt = ev.builder() if ev.builder else ev.pkt
                if ev.src is not None:
                    l3 = pkt[IP]
                    l3.id = ev.src.take_id()
                ev.final = pkt
                data = bytes(pkt)
                if ev.pad and len(data) < 60:
                    data += b"\x00" * (60 - len(data))
                sec, nsec = divmod(ev.ts, 1_000_000_000)
                f.write(struct.pack("<IIII", sec, nsec, len(data), len(data)))
                f.write(data)


# ---------------------------------------------------------------- TLS bytes

def _u8(n):
    return struct.pack("!B", n)


def _u16(n):
    return struct.pack("!H", n)


def _u24(n):
    return struct.pack("!I", n)[1:]


def _ext(etype, body):
    return _u16(etype) + _u16(len(body)) + body


def tls_client_hello(sni, rng):
    """A TLS 1.3-capable ClientHello record, shaped like OpenSSL's, with
    server_name set to sni."""
    name = sni.encode()
    ciphers = [0x1302, 0x1303, 0x1301, 0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8,
               0xCCAA, 0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028, 0x006B, 0xC023,
               0xC027, 0x0067, 0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033,
               0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F, 0x00FF]
    sni_list = _u8(0) + _u16(len(name)) + name
    exts = b"".join([
        _ext(0x0000, _u16(len(sni_list)) + sni_list),           # server_name
        _ext(0x000B, _u8(3) + b"\x00\x01\x02"),                 # ec_point_formats
        _ext(0x000A, _u16(8) + b"\x00\x1d\x00\x17\x00\x1e\x00\x19"),  # groups
        _ext(0x0023, b""),                                      # session_ticket
        _ext(0x0010, _u16(12) + b"\x02h2\x08http/1.1"),         # ALPN
        _ext(0x0016, b""),                                      # encrypt_then_mac
        _ext(0x0017, b""),                                      # extended_master_secret
        _ext(0x000D, _u16(20) + b"\x04\x03\x05\x03\x06\x03\x08\x07\x08\x08"
             b"\x08\x09\x08\x0a\x08\x0b\x08\x04\x08\x05"),      # signature_algorithms
        _ext(0x002B, _u8(4) + b"\x03\x04\x03\x03"),             # supported_versions
        _ext(0x002D, _u8(1) + b"\x01"),                         # psk_key_exchange_modes
        _ext(0x0033, _u16(36) + b"\x00\x1d" + _u16(32) + rng.randbytes(32)),  # key_share
    ])
    body = (b"\x03\x03" + rng.randbytes(32) + _u8(32) + rng.randbytes(32)
            + _u16(2 * len(ciphers)) + b"".join(_u16(c) for c in ciphers)
            + b"\x01\x00" + _u16(len(exts)) + exts)
    hs = b"\x01" + _u24(len(body)) + body
    # Record version 0x0301 in the first ClientHello, as OpenSSL sends it.
    return b"\x16\x03\x01" + _u16(len(hs)) + hs


def tls_server_flight(rng, size):
    """ServerHello, ChangeCipherSpec, then the encrypted rest of the server's
    first flight (certificate chain etc.) as opaque records, ~size bytes."""
    exts = (_ext(0x002B, b"\x03\x04")
            + _ext(0x0033, b"\x00\x1d" + _u16(32) + rng.randbytes(32)))
    body = (b"\x03\x03" + rng.randbytes(32) + _u8(32) + rng.randbytes(32)
            + b"\x13\x02\x00" + _u16(len(exts)) + exts)
    hs = b"\x02" + _u24(len(body)) + body
    out = b"\x16\x03\x03" + _u16(len(hs)) + hs + b"\x14\x03\x03\x00\x01\x01"
    return out + tls_app_data(rng, max(size - len(out), 64))


def tls_client_finish(rng):
    return b"\x14\x03\x03\x00\x01\x01" + tls_app_data(rng, 74)


def tls_app_data(rng, size):
    """Opaque TLS application_data records totalling exactly size bytes."""
    out = []
    left = size
    while left > 0:
        n = min(left - 5, 16401)
        if n <= 0:  # too small for another header: pad the previous record out
            break
        out.append(b"\x17\x03\x03" + _u16(n) + rng.randbytes(n))
        left -= n + 5
    data = b"".join(out)
    return data + rng.randbytes(size - len(data))


# ---------------------------------------------------------------- TCP model

class Tcp:
    """One TCP connection seen from the client host's capture point: client
    packets are stamped when they leave, server packets when they arrive.
    Linux-like: SYN options MSS/SACK/TS/WScale, timestamps on every segment,
    an ACK for every second full segment, slow start on bulk transfers."""

    def __init__(self, cap, rng, client, server, cport, sport, rtt_ns,
                 cmss=8961, smss=1460, vlan=None):
        self.cap = cap
        self.rng = rng
        self.c = client
        self.s = server
        self.cport = cport
        self.sport = sport
        self.rtt = rtt_ns
        self.cmss = cmss
        self.smss = smss
        self.vlan = vlan
        self.cseq = rng.randrange(1 << 32)
        self.sseq = rng.randrange(1 << 32)
        self.c_ts0 = rng.randrange(1 << 31)
        self.s_ts0 = rng.randrange(1 << 31)
        self.c_last_ts = 0
        self.s_last_ts = 0
        self.cwin = 502   # << 7
        self.swin = 235   # << 9
        self.srecv = 0
        self.t = 0

    def _l2(self, from_client):
        if from_client:
            e = Ether(src=self.c.mac, dst=ROUTER_MAC)
        else:
            e = Ether(src=ROUTER_MAC, dst=self.c.mac)
        if self.vlan is not None:
            return e / Dot1Q(vlan=self.vlan)
        return e

    def _ts(self, base, t):
        return (base + t // MS) & 0xFFFFFFFF

    def _seg(self, t, from_client, flags, payload=b"", syn_opts=None):
        if from_client:
            src, dst, sp, dp = self.c, self.s, self.cport, self.sport
            seq, ack = self.cseq, self.sseq
            tsv = self._ts(self.c_ts0, t)
            tse = self.s_last_ts
            self.c_last_ts = tsv
            win = self.cwin
        else:
            src, dst, sp, dp = self.s, self.c, self.sport, self.cport
            seq, ack = self.sseq, self.cseq
            tsv = self._ts(self.s_ts0, t)
            tse = self.c_last_ts
            self.s_last_ts = tsv
            win = self.swin
        if syn_opts is not None:
            opts = [("MSS", syn_opts[0]), ("SAckOK", b""), ("Timestamp", (tsv, tse)),
                    ("NOP", None), ("WScale", syn_opts[1])]
            win = syn_opts[2]
        else:
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (tsv, tse))]
        if "A" not in flags:
            ack = 0
        p = (self._l2(from_client)
             / IP(src=src.ip, dst=dst.ip, ttl=src.ttl, flags="DF")
             / TCP(sport=sp, dport=dp, seq=seq, ack=ack, flags=flags, window=win,
                   options=opts))
        if payload:
            p = p / Raw(payload)
        self.cap.add(t, p, src=src, pad=not from_client)
        n = len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
        if from_client:
            self.cseq = (self.cseq + n) & 0xFFFFFFFF
        else:
            self.sseq = (self.sseq + n) & 0xFFFFFFFF

    def connect(self, t):
        self._seg(t, True, "S", syn_opts=(self.cmss, 7, 62727))
        t += self.rtt
        self._seg(t, False, "SA", syn_opts=(self.smss, 9, 65535))
        t += 20 * US
        self._seg(t, True, "A")
        self.t = t
        return t

    def client_write(self, t, data):
        """Client sends data (back to back); the server ACKs every second
        segment one RTT later. Returns when the last ACK arrives."""
        mss = self.smss - 12
        segs = [data[i:i + mss] for i in range(0, len(data), mss)]
        last_ack = t
        for i, s in enumerate(segs):
            ts = t + i * 12 * US
            self._seg(ts, True, "PA" if i == len(segs) - 1 else "A", s)
            if i % 2 == 1 or i == len(segs) - 1:
                last_ack = ts + self.rtt
                pending = (last_ack, self.cseq)
                self._ack_later(pending)
        return last_ack

    def _ack_later(self, pending):
        # The server's ACK arrives after an RTT, but other client segments may
        # be generated before it; stamp the ACK with the ack number it carries.
        ts, ackno = pending
        save = self.cseq
        self.cseq = ackno
        self._seg(ts, False, "A")
        self.cseq = save

    def server_write(self, t, data, rate_bps=400_000_000):
        """Server data arriving from t, in slow-start rounds paced at rate_bps;
        the client ACKs every second segment. Returns the last client ACK."""
        mss = min(self.cmss, self.smss) - 12
        segs = [data[i:i + mss] for i in range(0, len(data), mss)]
        gap = max(int((mss + 66) * 8 * 1e9 / rate_bps), 1 * US)
        cwnd = 10
        i = 0
        round_start = t
        last = t
        while i < len(segs):
            n = min(cwnd, len(segs) - i)
            for k in range(n):
                arr = round_start + k * gap
                last_seg = i == len(segs) - 1
                self._seg(arr, False, "PA" if last_seg else "A", segs[i])
                self.srecv += len(segs[i])
                if i % 2 == 1 or last_seg:
                    # Receive window opens as Linux autotunes the buffer.
                    self.cwin = min(502 + self.srecv // 2048, 24576)
                    last = arr + 25 * US
                    self._seg(last, True, "A")
                i += 1
            round_start = max(round_start + self.rtt, round_start + n * gap)
            cwnd *= 2
        return last

    def close_client_first(self, t):
        self._seg(t, True, "FA")
        t += self.rtt
        self._seg(t, False, "FA")
        t += 20 * US
        self._seg(t, True, "A")
        return t

    def close_server_first(self, t):
        self._seg(t, False, "FA")
        t += 60 * US
        self._seg(t, True, "FA")
        t += self.rtt
        self._seg(t, False, "A")
        return t

    def https_exchange(self, t, sni, request, response, think_ns=0, rate_bps=400_000_000):
        """Handshake already done: ClientHello, server flight, client finish +
        request, response. Returns the time the exchange ends."""
        t = self.client_write(t, tls_client_hello(sni, self.rng))
        t = self.server_write(t + 200 * US, tls_server_flight(self.rng, 4200), rate_bps)
        t = self.client_write(t + 300 * US,
                              tls_client_finish(self.rng) + tls_app_data(self.rng, request))
        return self.server_write(t + think_ns, tls_app_data(self.rng, response), rate_bps)

    def request(self, t, request, response, think_ns=0, rate_bps=400_000_000):
        """A further request/response on an established TLS connection."""
        t = self.client_write(t, tls_app_data(self.rng, request))
        return self.server_write(t + think_ns, tls_app_data(self.rng, response), rate_bps)


# ---------------------------------------------------------------- other packets

def udp_frame(src, dst, sport, dport, payload, from_host, vlan=None, host=None):
    """Ether/[VLAN]/IP/UDP between a host and the router. host: the capturing
    host (for the MACs) when src is the remote."""
    if from_host:
        e = Ether(src=src.mac, dst=ROUTER_MAC)
    else:
        e = Ether(src=ROUTER_MAC, dst=host.mac)
    if vlan is not None:
        e = e / Dot1Q(vlan=vlan)
    return e / IP(src=src.ip, dst=dst.ip, ttl=src.ttl) / UDP(sport=sport, dport=dport) / payload


def dns_pair(cap, rng, t, host, resolver, qname, answers, rtt, qtype="A", vlan=None,
             sport=None):
    """A query from host and the resolver's answer one rtt later. answers:
    list of (name, type, rdata, ttl). Returns the answer time."""
    sport = sport if sport is not None else rng.randrange(32768, 61000)
    qid = rng.randrange(65536)
    q = DNS(id=qid, rd=1, qd=DNSQR(qname=qname, qtype=qtype))
    rr = None
    for name, rtype, rdata, ttl in answers:
        r = DNSRR(rrname=name, type=rtype, rdata=rdata, ttl=ttl)
        rr = r if rr is None else rr / r
    a = DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=qname, qtype=qtype), an=rr)
    # Real resolvers compress names in answers; scapy leaves them expanded.
    a = DNS(bytes(a)).compress()
    cap.add(t, udp_frame(host, resolver, sport, 53, q, True, vlan=vlan), src=host)
    t += rtt
    cap.add(t, udp_frame(resolver, host, 53, sport, a, False, vlan=vlan, host=host),
            src=resolver, pad=True)
    return t


def arp_pair(cap, t, host, gw_ip):
    cap.add(t, Ether(src=host.mac, dst=BCAST_MAC)
            / ARP(op=1, hwsrc=host.mac, psrc=host.ip, hwdst="00:00:00:00:00:00", pdst=gw_ip))
    cap.add(t + 80 * US, Ether(src=ROUTER_MAC, dst=host.mac)
            / ARP(op=2, hwsrc=ROUTER_MAC, psrc=gw_ip, hwdst=host.mac, pdst=host.ip), pad=True)


def host_mac(ip):
    return "02:00:00:00:01:%02x" % int(ip.split(".")[-1])


# ---------------------------------------------------------------- ecs-sample

def gen_ecs_sample(path):
    rng = random.Random(0xEC5)
    cap = Capture()
    T0 = 1787413200 * 1_000_000_000  # 2026-08-22 15:40:00 UTC

    def h(ip):
        return Host(ip, host_mac(ip), 64, rng)

    agent = h("10.0.1.10")     # ECS agent host pulling and starting a task
    app = h("10.0.1.11")       # task shipping logs, calling GitHub
    worker = h("10.0.2.20")    # task using DynamoDB and S3
    vpc_dns = Host("10.0.0.2", ROUTER_MAC, 64, rng)
    gdns = Host("8.8.8.8", ROUTER_MAC, 119, rng)

    def remote(name, ttl):
        ip = AWS_ENDPOINTS[name][0] if name in AWS_ENDPOINTS else NON_AWS[name]
        return Host(ip, ROUTER_MAC, ttl, rng)

    ecs = remote("ecs.us-east-1.amazonaws.com", 236)
    ecr = remote("api.ecr.us-east-1.amazonaws.com", 236)
    dkr = remote("123456789012.dkr.ecr.us-east-1.amazonaws.com", 232)
    s3 = remote("prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com", 240)
    s3b = remote("s3.us-east-1.amazonaws.com", 240)
    ddb = remote("dynamodb.us-east-1.amazonaws.com", 233)
    logs = remote("logs.us-east-1.amazonaws.com", 236)
    gh = remote("api.github.com", 50)

    def a_answer(name, ttl=60):
        return [(name, "A", AWS_ENDPOINTS[name][0], ttl)]

    def ms(x):
        return T0 + int(x * MS)

    def port():
        return rng.randrange(32768, 61000)

    # Boot-ish noise the NAT must drop: ARP for the subnet router, IPv6 ND.
    arp_pair(cap, ms(0), agent, "10.0.1.1")
    arp_pair(cap, ms(3), app, "10.0.1.1")
    arp_pair(cap, ms(7), worker, "10.0.2.1")
    cap.add(ms(20500), Ether(src=app.mac, dst="33:33:ff:00:00:01")
            / IPv6(src="fe80::ff:fe00:10b", dst="ff02::1:ff00:1", hlim=255)
            / ICMPv6ND_NS(tgt="fe80::1"))

    # Intra-VPC: the Route 53 resolver at the VPC base +2. Must not be NATed.
    dns_pair(cap, rng, ms(10), agent, vpc_dns, "ecs.us-east-1.amazonaws.com",
             a_answer("ecs.us-east-1.amazonaws.com", 5), 400 * US)
    dns_pair(cap, rng, ms(4100), app, vpc_dns, "logs.us-east-1.amazonaws.com",
             a_answer("logs.us-east-1.amazonaws.com", 5), 380 * US)
    dns_pair(cap, rng, ms(9000), worker, vpc_dns, "ip-10-0-1-11.ec2.internal",
             [("ip-10-0-1-11.ec2.internal", "A", "10.0.1.11", 60)], 350 * US)

    # ECS agent control channel: long-lived, a small message every ~15 s.
    c = Tcp(cap, rng, agent, ecs, port(), 443, 1100 * US)
    t = c.connect(ms(15))
    t = c.https_exchange(t + 100 * US, "ecs.us-east-1.amazonaws.com", 900, 1200)
    for k in range(1, 7):
        c.request(ms(15 + k * 15000), 180 + 37 * k, 420 + 53 * k, think_ns=2 * MS)
    c.close_client_first(ms(110200))

    # Public resolver through the NAT for the image pull and the tasks' names.
    dns_pair(cap, rng, ms(400), agent, gdns, "api.ecr.us-east-1.amazonaws.com",
             a_answer("api.ecr.us-east-1.amazonaws.com"), 1600 * US)
    dns_pair(cap, rng, ms(400) + 30 * US, agent, gdns, "api.ecr.us-east-1.amazonaws.com",
             [], 1650 * US, qtype="AAAA")
    c = Tcp(cap, rng, agent, ecr, port(), 443, 1000 * US)
    t = c.connect(ms(405))
    t = c.https_exchange(t, "api.ecr.us-east-1.amazonaws.com", 1150, 2480, think_ns=18 * MS)
    c.close_client_first(t + 5 * MS)

    dns_pair(cap, rng, ms(1250), agent, gdns, "123456789012.dkr.ecr.us-east-1.amazonaws.com",
             a_answer("123456789012.dkr.ecr.us-east-1.amazonaws.com"), 1500 * US)
    c = Tcp(cap, rng, agent, dkr, port(), 443, 1200 * US)
    t = c.connect(ms(1255))
    t = c.https_exchange(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com", 620, 3900,
                         think_ns=9 * MS)
    # Blob fetch: a 307 to the layer bucket.
    t = c.request(t + 2 * MS, 640, 1480, think_ns=11 * MS)
    c.close_client_first(t + 3 * MS)

    s3name = "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"
    t = dns_pair(cap, rng, ms(1290), agent, gdns, s3name,
                 [(s3name, "CNAME", "s3-r-w.us-east-1.amazonaws.com", 60),
                  ("s3-r-w.us-east-1.amazonaws.com", "A", s3.ip, 5)], 1700 * US)
    c = Tcp(cap, rng, agent, s3, port(), 443, 900 * US)
    t = c.connect(ms(1300))
    t = c.https_exchange(t, s3name, 1320, 520, think_ns=6 * MS)
    # The layer itself.
    t = c.request(t + 400 * US, 90, 1_600_000, think_ns=4 * MS, rate_bps=450_000_000)
    c.close_client_first(t + 2 * MS)

    # Log shipping: PutLogEvents every 5 s on one keep-alive connection.
    dns_pair(cap, rng, ms(4990), app, gdns, "logs.us-east-1.amazonaws.com",
             a_answer("logs.us-east-1.amazonaws.com"), 1550 * US)
    c = Tcp(cap, rng, app, logs, port(), 443, 1050 * US)
    t = c.connect(ms(5000))
    t = c.https_exchange(t, "logs.us-east-1.amazonaws.com", 1400, 230, think_ns=7 * MS)
    for k in range(1, 23):
        c.request(ms(5000 + k * 5000), 700 + rng.randrange(900), 180 + rng.randrange(60),
                  think_ns=(5 + rng.randrange(10)) * MS)
    c.close_client_first(ms(117500))

    # DynamoDB: small queries both ways on one connection.
    dns_pair(cap, rng, ms(9990), worker, gdns, "dynamodb.us-east-1.amazonaws.com",
             a_answer("dynamodb.us-east-1.amazonaws.com"), 1450 * US)
    c = Tcp(cap, rng, worker, ddb, port(), 443, 800 * US)
    t = c.connect(ms(10000))
    t = c.https_exchange(t, "dynamodb.us-east-1.amazonaws.com", 380, 610, think_ns=4 * MS)
    for k in range(1, 13):
        c.request(ms(10000 + k * 7000 + rng.randrange(900)), 300 + rng.randrange(300),
                  400 + rng.randrange(1600), think_ns=(3 + rng.randrange(6)) * MS)
    c.close_client_first(ms(101000))

    # A smaller S3 object through the regional endpoint.
    dns_pair(cap, rng, ms(59980), worker, gdns, "s3.us-east-1.amazonaws.com",
             [("s3.us-east-1.amazonaws.com", "CNAME", "s3-1-w.amazonaws.com", 60),
              ("s3-1-w.amazonaws.com", "A", s3b.ip, 5)], 1500 * US)
    c = Tcp(cap, rng, worker, s3b, port(), 443, 950 * US)
    t = c.connect(ms(60000))
    t = c.https_exchange(t, "s3.us-east-1.amazonaws.com", 980, 96_000, think_ns=8 * MS)
    c.close_client_first(t + 1 * MS)

    # An internet site; the server closes the idle keep-alive connection.
    dns_pair(cap, rng, ms(29990), app, gdns, "api.github.com",
             [("api.github.com", "A", gh.ip, 60)], 1800 * US)
    c = Tcp(cap, rng, app, gh, port(), 443, 12 * MS)
    t = c.connect(ms(30000))
    t = c.https_exchange(t, "api.github.com", 760, 24_500, think_ns=35 * MS,
                         rate_bps=80_000_000)
    c.close_server_first(t + 5000 * MS)

    # A burst that meets the gateway's ceiling: a task flushes 2 MB of
    # metrics over UDP to an internet collector within a millisecond (16 Gbps),
    # above the 5 Gbps the AWS gateway starts at: a millisecond's budget goes
    # through, the rest is dropped as bandwidth_ceiling (docs/scaling.md).
    coll = remote("metrics.example.net", 52)
    dns_pair(cap, rng, ms(44990), app, gdns, "metrics.example.net",
             [("metrics.example.net", "A", coll.ip, 300)], 1700 * US)
    sport = port()
    blob = bytes(rng.randrange(256) for _ in range(1400))
    for k in range(1500):
        cap.add(ms(45000) + k * 700, udp_frame(app, coll, sport, 8125, blob, True))

    cap.write(path)
    return len(cap.events)


# ---------------------------------------------------------------- conformance

def gen_conformance(path):
    rng = random.Random(0xC0F)
    cap = Capture()
    T0 = 1787414000 * 1_000_000_000

    def ms(x):
        return T0 + int(x * MS)

    A = Host("10.0.1.10", host_mac("10.0.1.10"), 64, rng)
    B = Host("10.0.1.11", host_mac("10.0.1.11"), 64, rng)
    C = Host("10.0.1.12", host_mac("10.0.1.12"), 64, rng)
    gdns = Host("8.8.8.8", ROUTER_MAC, 119, rng)
    web = Host("198.51.100.7", ROUTER_MAC, 52, rng)
    tls = Host("198.51.100.20", ROUTER_MAC, 52, rng)
    closed = Host("198.51.100.8", ROUTER_MAC, 52, rng)
    router = Host("192.0.2.1", ROUTER_MAC, 254, rng)
    scanner = Host("192.0.2.66", ROUTER_MAC, 47, rng)
    scanner2 = Host("192.0.2.67", ROUTER_MAC, 47, rng)
    other = Host("198.51.100.99", ROUTER_MAC, 52, rng)
    rtt = 20 * MS

    # ARP: not IP, dropped and counted as not_ip.
    arp_pair(cap, ms(0), A, "10.0.1.1")

    # DNS over UDP through the NAT.
    dns_pair(cap, rng, ms(10), A, gdns, "www.example.com",
             [("www.example.com", "A", web.ip, 300)], 15 * MS, sport=53001)

    # TCP 1: plain HTTP, client closes.
    c = Tcp(cap, rng, A, web, 50000, 80, rtt, cmss=1460)
    t = c.connect(ms(100))
    t = c.client_write(t, b"GET / HTTP/1.1\r\nHost: www.example.com\r\n"
                          b"User-Agent: natgw-conformance\r\nAccept: */*\r\n\r\n")
    body = bytes(rng.randrange(32, 127) for _ in range(2900))
    t = c.server_write(t + 2 * MS, b"HTTP/1.1 200 OK\r\nContent-Length: 2900\r\n\r\n" + body)
    c.close_client_first(t + 1 * MS)

    # TCP 2: TLS, server closes first.
    c = Tcp(cap, rng, B, tls, 50001, 443, rtt, cmss=1460)
    t = c.connect(ms(300))
    t = c.https_exchange(t, "tls.example.net", 300, 1800)
    c.close_server_first(t + 50 * MS)

    # ICMP echo, three of them.
    for k in range(3):
        t = ms(600 + 100 * k)
        data = bytes(range(16, 64))
        cap.add(t, Ether(src=A.mac, dst=ROUTER_MAC) / IP(src=A.ip, dst=web.ip, ttl=64, flags="DF")
                / ICMP(type=8, id=0x1234, seq=k + 1) / Raw(data), src=A)
        cap.add(t + rtt, Ether(src=ROUTER_MAC, dst=A.mac) / IP(src=web.ip, dst=A.ip, ttl=52)
                / ICMP(type=0, id=0x1234, seq=k + 1) / Raw(data), src=web, pad=True)

    # UDP to a closed port: the destination answers port unreachable, quoting
    # the probe as the capture sees it (private source).
    probe = cap.add(ms(1000), udp_frame(A, closed, 45000, 9999, Raw(b"natgw-probe-" * 3), True),
                    src=A)

    def port_unreach():
        q = probe.final[IP]
        quoted = IP(bytes(q))
        quoted.ttl = 52  # as it arrived at the destination
        quoted.chksum = None
        return (Ether(src=ROUTER_MAC, dst=A.mac) / IP(src=closed.ip, dst=A.ip, ttl=52)
                / ICMP(type=3, code=3) / Raw(bytes(quoted)))
    cap.add(ms(1000) + rtt, None, src=closed, builder=port_unreach)

    # Traceroute-style probe: sent with TTL 2 so the NAT's own decrement leaves
    # 1, and the next router (not the destination) answers time exceeded,
    # quoting the probe with TTL 1 as it reached it.
    tprobe = cap.add(ms(1100), Ether(src=A.mac, dst=ROUTER_MAC)
                     / IP(src=A.ip, dst="198.51.100.30", ttl=2)
                     / UDP(sport=45001, dport=33435) / Raw(b"\x00" * 24), src=A)

    def time_exceeded():
        quoted = IP(bytes(tprobe.final[IP]))
        quoted.ttl = 1
        quoted.chksum = None
        # Routers quote the header plus the first 8 payload bytes (RFC 792).
        qb = bytes(quoted)[:28]
        return (Ether(src=ROUTER_MAC, dst=A.mac) / IP(src=router.ip, dst=A.ip, ttl=254)
                / ICMP(type=11, code=0) / Raw(qb))
    cap.add(ms(1100) + 3 * MS, None, src=router, builder=time_exceeded)

    # Three hosts, same source port, same destination, overlapping in time:
    # an endpoint-dependent NAT must give them three different public ports.
    for k, host in enumerate((A, B, C)):
        c = Tcp(cap, rng, host, web, 40000, 443, rtt, cmss=1460)
        t = c.connect(ms(1500 + 2 * k))
        t = c.https_exchange(t, "www.example.com", 200 + 10 * k, 1500 + 100 * k)
        c.close_client_first(t + (30 + 5 * k) * MS)
    # A different remote aims at the port 10.0.1.10:40000 is using: an
    # endpoint-dependent filter drops it.
    cap.add(ms(1560), Ether(src=ROUTER_MAC, dst=A.mac) / IP(src=other.ip, dst=A.ip, ttl=52, flags="DF")
            / TCP(sport=443, dport=40000, flags="PA", seq=777000, ack=888000, window=501)
            / Raw(b"not-for-you"), src=other)

    # Unsolicited inbound: nothing from the inside came first.
    cap.add(ms(2500), Ether(src=ROUTER_MAC, dst=A.mac) / IP(src=scanner.ip, dst=A.ip, ttl=47)
            / TCP(sport=51515, dport=22, flags="S", seq=1234567, window=1024,
                  options=[("MSS", 1460)]), src=scanner, pad=True)
    cap.add(ms(2510), Ether(src=ROUTER_MAC, dst=B.mac) / IP(src=scanner2.ip, dst=B.ip, ttl=47)
            / TCP(sport=51516, dport=3389, flags="S", seq=7654321, window=1024),
            src=scanner2, pad=True)
    cap.add(ms(2520), Ether(src=ROUTER_MAC, dst=C.mac) / IP(src=scanner.ip, dst=C.ip, ttl=47)
            / UDP(sport=51517, dport=161) / Raw(b"\x30\x26\x02\x01\x01\x04\x06public"),
            src=scanner, pad=True)

    # IPv6: the NAT is IPv4-only, drops and counts these.
    a6, r6 = "2001:db8:10::a", "2001:db8::1"
    cap.add(ms(3000), Ether(src=A.mac, dst=ROUTER_MAC) / IPv6(src=a6, dst=r6, hlim=64)
            / ICMPv6EchoRequest(id=0x77, seq=1, data=b"v6ping"))
    cap.add(ms(3000) + rtt, Ether(src=ROUTER_MAC, dst=A.mac) / IPv6(src=r6, dst=a6, hlim=57)
            / ICMPv6EchoReply(id=0x77, seq=1, data=b"v6ping"))
    cap.add(ms(3050), Ether(src=A.mac, dst=ROUTER_MAC) / IPv6(src=a6, dst="2001:db8::7", hlim=64)
            / TCP(sport=50100, dport=443, flags="S", seq=99, window=64800,
                  options=[("MSS", 1440)]))

    # A stale segment: ACK only, no session. The aws profile answers it with
    # an RST (seq = this ACK number) towards the inside.
    cap.add(ms(3200), Ether(src=A.mac, dst=ROUTER_MAC)
            / IP(src=A.ip, dst="198.51.100.9", ttl=64, flags="DF")
            / TCP(sport=45678, dport=443, flags="A", seq=1000000, ack=2000000, window=501),
            src=A)

    # DNS on a VLAN-tagged frame: the tag must come out unchanged both ways.
    dns_pair(cap, rng, ms(3300), C, gdns, "vlan.example.org",
             [("vlan.example.org", "A", "198.51.100.40", 300)], 15 * MS, vlan=100)

    cap.write(path)
    return len(cap.events)


# ---------------------------------------------------------------- checks

def check_ranges(path):
    """Assert the sample's AWS endpoints are where ip-ranges.json says."""
    with open(path) as f:
        d = json.load(f)
    listed = {}
    for p in d["prefixes"]:
        listed.setdefault((p["ip_prefix"], p["service"]), set()).add(p["region"])
    ok = True
    for name, (ip, wants) in AWS_ENDPOINTS.items():
        for prefix, svc in wants:
            regions = listed.get((prefix, svc), set())
            inside = ipaddress.ip_address(ip) in ipaddress.ip_network(prefix)
            good = "us-east-1" in regions and inside
            ok &= good
            print("%-66s %-15s %-18s %-8s %s" % (name, ip, prefix, svc,
                                                 "ok" if good else "NOT LISTED"))
    nets = [ipaddress.ip_network(p["ip_prefix"]) for p in d["prefixes"]]
    for name, ip in NON_AWS.items():
        a = ipaddress.ip_address(ip)
        good = not any(a in n for n in nets)
        ok &= good
        print("%-66s %-15s %s" % (name, ip, "not AWS: ok" if good else "IS IN AWS RANGES"))
    return ok


GENERATORS = {"ecs-sample": gen_ecs_sample, "conformance": gen_conformance}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture", choices=sorted(GENERATORS))
    ap.add_argument("outfile")
    ap.add_argument("--check-ranges", metavar="JSON",
                    help="verify the sample's addresses against AWS ip-ranges.json")
    a = ap.parse_args()
    if a.check_ranges and not check_ranges(a.check_ranges):
        sys.exit(1)
    # Write beside the target and rename: a build never sees half a capture.
    tmp = a.outfile + ".part"
    n = GENERATORS[a.capture](tmp)
    os.replace(tmp, a.outfile)
    print("%s: %d frames, %d bytes" % (a.outfile, n, os.path.getsize(a.outfile)))


if __name__ == "__main__":
    main()
