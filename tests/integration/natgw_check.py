#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by natgw's integration tests (imported, not run).

What every replay test needs, written once:
- run natgw and collect what a replay left behind (exit status, stdout, stderr,
  outside.pcap, inside.pcap, report.json);
- read pcap and pcapng files by hand, independently of the libpcap natgw uses;
- a model of what the replay does with each input frame before the NAT sees it
  (which side it enters, whether CloudWatch counts it, why it is set aside), so
  that report.json can be checked against the input as well as the outputs;
- checksums verified two independent ways: tshark's own validation and a one's
  complement sum computed here. An output checksum may only be wrong where the
  input's was wrong by exactly the same amount (a NAT carries a sender's error
  through; it neither fixes it nor makes a new one);
- report.json checked against the output captures: metrics, drops, replay
  counters, and every flow's packets and bytes each way.
"""

import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import defaultdict, namedtuple

PUBLIC_IP = "203.0.113.10"
OUTPUTS = ("outside.pcap", "inside.pcap", "report.json")

# The CloudWatch NAT gateway metrics, under their AWS names.
METRICS = (
    "ActiveConnectionCount", "BytesInFromDestination", "BytesInFromSource",
    "BytesOutToDestination", "BytesOutToSource", "ConnectionAttemptCount",
    "ConnectionEstablishedCount", "ErrorPortAllocation", "IdleTimeoutCount",
    "PacketsDropCount", "PacketsInFromDestination", "PacketsInFromSource",
    "PacketsOutToDestination", "PacketsOutToSource",
)
FLOW_FIELDS = (
    "proto", "inside_ip", "inside_port", "destination_ip", "destination_port",
    "public_ip", "public_port", "packets_out", "bytes_out", "packets_in",
    "bytes_in", "first_ns", "last_ns", "end",
)
# Drop reasons of frames that never were well-formed IPv4: CloudWatch does not
# count them (lib/pkt/natgw_pkt.h, `counted` 0). Every other reason is counted
# in PacketsIn* and PacketsDropCount.
UNCOUNTED_DROPS = (
    "eth_truncated", "not_ip", "ipv6", "ip_truncated", "ip_bad_version",
    "ip_bad_ihl", "ip_bad_total_length",
)
SKIP_REASONS = ("intra_vpc", "not_via_nat", "capture_truncated", "frame_too_large")
# One mbuf holds 65535 bytes less its 128-byte headroom.
MAX_FRAME = 65535 - 128
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}
ICMP_ERRORS = (3, 11, 12)
ICMP_REQUESTS = (8, 13)
ICMP_REPLIES = (0, 14)


# ------------------------------------------------------------------ verdicts

class Checker:
    """Counts checks, prints each failure as it happens, and turns the lot
    into an exit status."""

    MAX_SHOWN = 80

    def __init__(self, name, quiet=False):
        self.name = name
        self.quiet = quiet
        self.count = 0
        self.failures = []

    def check(self, ok, msg):
        self.count += 1
        if not ok:
            self.failures.append(msg)
            if not self.quiet and len(self.failures) <= self.MAX_SHOWN:
                print("FAIL: " + msg, flush=True)
        return bool(ok)

    def merge(self, other):
        """Take over the checks of a quiet checker (one per worker thread)."""
        for msg in other.failures:
            self.check(False, msg)
        self.count += other.count - len(other.failures)

    def eq(self, got, want, what):
        return self.check(got == want, "%s: got %r, expected %r" % (what, got, want))

    def finish(self):
        hidden = len(self.failures) - self.MAX_SHOWN
        if hidden > 0:
            print("... and %d more failures not shown" % hidden)
        if self.failures:
            print("%s: %d of %d checks FAILED" % (self.name, len(self.failures), self.count))
            return 1
        print("%s: all %d checks passed" % (self.name, self.count))
        return 0


def need_tools():
    """tshark is one of the two checksum verifiers: without it the tests cannot
    do what they claim, so its absence is a failure, not a skip."""
    if shutil.which("tshark") is None:
        print("FAIL: tshark is not installed; the integration tests need it")
        sys.exit(1)


# ------------------------------------------------------------------ running natgw

def run(cmd, timeout=120):
    return subprocess.run([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=timeout)


class Replay:
    """One `natgw replay` and what it left in its output directory."""

    def __init__(self, cmd, outdir, proc):
        self.cmd = cmd
        self.outdir = outdir
        self.proc = proc
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report = None
        self.outside = []
        self.inside = []
        if self.rc == 0:
            with open(self.path("report.json")) as f:
                self.report = json.load(f)
            self.outside = read_capture(self.path("outside.pcap"))
            self.inside = read_capture(self.path("inside.pcap"))

    def path(self, name):
        return os.path.join(self.outdir, name)

    def leftovers(self):
        """Files in the output directory (nothing, or no directory at all,
        after a failed run)."""
        if not os.path.isdir(self.outdir):
            return []
        return sorted(os.listdir(self.outdir))

    def describe(self):
        return " ".join(str(c) for c in self.cmd)


def replay(exe, capture, outdir, inside=None, public=PUBLIC_IP, extra=()):
    cmd = [exe, "replay"]
    if capture is not None:
        cmd.append(capture)
    if inside is not None:
        cmd += ["--inside-net", inside]
    if public is not None:
        cmd += ["--public-ip", public]
    cmd += ["--out", outdir] + list(extra)
    return Replay(cmd, outdir, run(cmd))


# ------------------------------------------------------------------ captures

Frame = namedtuple("Frame", "ts_ns data wirelen linktype")


class CaptureError(Exception):
    pass


_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1),
}


def read_capture(path):
    """Every frame of a pcap or pcapng file, timestamps in ns as libpcap's
    nanosecond mode gives them."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:4] == b"\x0a\x0d\x0d\x0a":
        return _read_pcapng(buf)
    return _read_pcap(buf)


def _read_pcap(buf):
    m = _PCAP_MAGIC.get(buf[:4])
    if m is None or len(buf) < 24:
        raise CaptureError("not a pcap or pcapng file")
    e, mult = m
    snaplen, linktype = struct.unpack_from(e + "II", buf, 16)
    linktype &= 0xFFFF
    frames = []
    off = 24
    while off < len(buf):
        if off + 16 > len(buf):
            raise CaptureError("record %d: header cut short" % (len(frames) + 1))
        sec, frac, incl, orig = struct.unpack_from(e + "IIII", buf, off)
        off += 16
        if incl > max(snaplen, 262144) or off + incl > len(buf):
            raise CaptureError("record %d: bad length %d" % (len(frames) + 1, incl))
        frames.append(Frame(sec * 10**9 + frac * mult, buf[off:off + incl], orig, linktype))
        off += incl
    return frames


def _read_pcapng(buf):
    frames = []
    ifaces = []
    e = "<"
    off = 0
    while off < len(buf):
        if off + 12 > len(buf):
            raise CaptureError("block at %d cut short" % off)
        if buf[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bom = buf[off + 8:off + 12]
            e = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}.get(bom)
            if e is None:
                raise CaptureError("bad byte-order magic")
            ifaces = []
        btype, blen = struct.unpack_from(e + "II", buf, off)
        if blen < 12 or blen % 4 or off + blen > len(buf):
            raise CaptureError("block at %d: bad length %d" % (off, blen))
        body = buf[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            lt, _, snap = struct.unpack_from(e + "HHI", body, 0)
            units, tsoff = 10**6, 0
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(e + "HH", body, o)
                if code == 0:
                    break
                val = body[o + 4:o + 4 + olen]
                if code == 9 and olen >= 1:
                    units = 2 ** (val[0] & 0x7F) if val[0] & 0x80 else 10 ** val[0]
                elif code == 14 and olen >= 8:
                    tsoff = struct.unpack(e + "q", val[:8])[0]
                o += 4 + (olen + 3) // 4 * 4
            ifaces.append((lt, snap, units, tsoff))
        elif btype in (6, 2):  # enhanced / obsolete packet
            if btype == 6:
                ifid, hi, lo, cap, orig = struct.unpack_from(e + "IIIII", body, 0)
                data = body[20:20 + cap]
            else:
                ifid, _, hi, lo, cap, orig = struct.unpack_from(e + "HHIIII", body, 0)
                data = body[20:20 + cap]
            lt, snap, units, tsoff = ifaces[ifid]
            ts = (hi << 32) | lo
            frames.append(Frame(ts * 10**9 // units + tsoff * 10**9, data, orig, lt))
        elif btype == 3:  # simple packet: no timestamp, interface 0
            orig = struct.unpack_from(e + "I", body, 0)[0]
            lt, snap, _, _ = ifaces[0]
            cap = min(orig, len(body) - 4, snap or orig)
            frames.append(Frame(0, body[4:4 + cap], orig, lt))
        off += blen
    return frames


def write_pcap(path, frames):
    """Frames (Frame or bytes) to an Ethernet, nanosecond pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for fr in frames:
            data, ts = (fr.data, fr.ts_ns) if isinstance(fr, Frame) else (fr, 0)
            sec, nsec = divmod(ts, 10**9)
            f.write(struct.pack("<IIII", sec, nsec, len(data), len(data)))
            f.write(data)


# ------------------------------------------------------------------ parsing

VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
L2 = namedtuple("L2", "ethertype off vlans hl")


def locate_l3(linktype, data):
    """The network layer of a frame as natgw's reader and parser find it:
    ethertype (None: Ethernet runt or more than two VLAN tags), its offset in the
    frame, the VLAN ids, and the link header length natgw replaces by
    Ethernet."""
    if linktype == 1:
        if len(data) < 14:
            return L2(None, 14, [], 0)
        et = int.from_bytes(data[12:14], "big")
        off, vlans = 14, []
        while et in VLAN_TYPES:
            if len(vlans) == 2 or len(data) < off + 4:
                return L2(None, off, vlans, 0)
            vlans.append(int.from_bytes(data[off:off + 2], "big") & 0xFFF)
            et = int.from_bytes(data[off + 2:off + 4], "big")
            off += 4
        return L2(et, off, vlans, 0)
    # A frame shorter than its cooked or loopback header becomes a runt
    # Ethernet frame of type 0 (not IP).
    if linktype == 113:  # Linux cooked
        return L2(int.from_bytes(data[14:16], "big") if len(data) >= 16 else 0, 16, [], 16)
    if linktype == 276:  # Linux cooked v2
        return L2(int.from_bytes(data[0:2], "big") if len(data) >= 20 else 0, 20, [], 20)
    if linktype in (12, 14, 101, 228):  # raw IP
        v = data[0] >> 4 if data else 0
        return L2(0x0800 if v == 4 else 0x86DD if v == 6 else 0, 0, [], 0)
    if linktype in (0, 108):  # BSD loopback
        if len(data) < 4:
            return L2(0, 4, [], 4)
        af = int.from_bytes(data[:4], "big" if linktype == 108 else "little")
        if linktype == 0 and af > 0xFFFF:
            af = int.from_bytes(data[:4], "big")
        return L2(0x0800 if af == 2 else 0x86DD if af in (10, 24, 28, 30) else 0, 4, [], 4)
    raise CaptureError("link type %d is not modelled by the tests" % linktype)


class IPv4:
    """A well-formed IPv4 header (by natgw's rules) and what follows it."""

    def __init__(self, data, off):
        self.data = data
        self.off = off
        self.ihl = (data[off] & 0x0F) * 4
        self.tot, self.id, self.frag = struct.unpack_from("!HHH", data, off + 2)
        self.ttl, self.proto = data[off + 8], data[off + 9]
        self.src_b, self.dst_b = data[off + 12:off + 16], data[off + 16:off + 20]
        self.src = str(ipaddress.IPv4Address(self.src_b))
        self.dst = str(ipaddress.IPv4Address(self.dst_b))
        self.l4 = off + self.ihl
        self.end = off + self.tot

    @property
    def fragment(self):
        return bool(self.frag & 0x3FFF)

    @property
    def first_fragment(self):
        return (self.frag & 0x1FFF) == 0

    def seg(self):
        return self.data[self.l4:self.end]

    def ports(self):
        """(source port, destination port), or for ICMP queries the
        identifier on the asker's side; None where there is none to read."""
        s = self.seg()
        if not self.first_fragment:
            return None
        if self.proto in (6, 17) and len(s) >= 4:
            return struct.unpack("!HH", s[:4])
        if self.proto == 1 and len(s) >= 8:
            ident = struct.unpack("!H", s[4:6])[0]
            if s[0] in ICMP_REQUESTS:
                return (ident, 0)
            if s[0] in ICMP_REPLIES:
                return (0, ident)
        return None

    def icmp_type(self):
        s = self.seg()
        return s[0] if self.proto == 1 and self.first_fragment and s else None

    def quote(self):
        """The IPv4 packet an ICMP error quotes, as far as it is there."""
        if self.icmp_type() not in ICMP_ERRORS or self.fragment:
            return None
        q = self.data[self.l4 + 8:self.end]
        if len(q) < 20 or q[0] >> 4 != 4:
            return None
        ihl = (q[0] & 0x0F) * 4
        if ihl < 20 or len(q) < ihl:
            return None
        return Quote(q, ihl)


class Quote:
    """An ICMP error's quoted packet: the header is complete, the rest may
    be cut."""

    def __init__(self, q, ihl):
        self.b = q
        self.ihl = ihl
        self.tot, self.id, self.frag = struct.unpack_from("!HHH", q, 2)
        self.proto = q[9]
        self.src = str(ipaddress.IPv4Address(q[12:16]))
        self.dst = str(ipaddress.IPv4Address(q[16:20]))
        s = q[ihl:]
        self.ports = None
        if not self.frag & 0x1FFF:
            if self.proto in (6, 17) and len(s) >= 4:
                self.ports = struct.unpack("!HH", s[:4])
            elif self.proto == 1 and len(s) >= 8:
                ident = struct.unpack("!H", s[4:6])[0]
                self.ports = (ident, 0) if s[0] in ICMP_REQUESTS else (0, ident)

    @property
    def complete(self):
        return self.ihl <= self.tot <= len(self.b) and not self.frag & 0x3FFF


def parse_ipv4(data, off):
    """(IPv4, None) for a header natgw accepts as IPv4, else (None, the drop
    reason natgw gives it). The header checksum is not judged here: a bad one
    is a counted drop, not a malformed frame."""
    if len(data) < off + 20:
        return None, "ip_truncated"
    if data[off] >> 4 != 4:
        return None, "ip_bad_version"
    ihl = (data[off] & 0x0F) * 4
    if ihl < 20 or off + ihl > len(data):
        return None, "ip_bad_ihl"
    tot = int.from_bytes(data[off + 2:off + 4], "big")
    if tot < ihl or off + tot > len(data):
        return None, "ip_bad_total_length"
    return IPv4(data, off), None


def ipv4_of(frame):
    """The IPv4 header of an output (Ethernet) frame, or None."""
    l2 = locate_l3(frame.linktype, frame.data)
    if l2.ethertype != 0x0800:
        return None
    ip, _ = parse_ipv4(frame.data, l2.off)
    return ip


class Nets:
    def __init__(self, spec):
        self.nets = [ipaddress.IPv4Network(n) for n in spec.split(",")]

    def __contains__(self, addr):
        a = ipaddress.IPv4Address(addr)
        return any(a in n for n in self.nets)


# ------------------------------------------------------------------ the replay's model

Entry = namedtuple("Entry", "index frame vts side counted ip reason")


def model_replay(frames, nets):
    """What natgw's replay does with each input frame before the NAT
    (drivers/pcap/replay.c): a skip reason, or the side it enters, whether
    CloudWatch counts it (well-formed IPv4) and, if not, the drop reason.
    vts is the virtual time the frame is processed at (and written with):
    capture time, never running backwards."""
    out = []
    now = 0
    for i, fr in enumerate(frames):
        now = max(now, fr.ts_ns)
        l2 = locate_l3(fr.linktype, fr.data)
        eth_len = len(fr.data) - l2.hl + 14 if fr.linktype != 1 else len(fr.data)
        if eth_len > MAX_FRAME:
            out.append(Entry(i, fr, now, None, False, None, "frame_too_large"))
            continue
        if len(fr.data) < fr.wirelen:
            out.append(Entry(i, fr, now, None, False, None, "capture_truncated"))
            continue
        if l2.ethertype is None:
            out.append(Entry(i, fr, now, "inside", False, None, "eth_truncated"))
            continue
        if l2.ethertype == 0x86DD:
            out.append(Entry(i, fr, now, "inside", False, None, "ipv6"))
            continue
        if l2.ethertype != 0x0800:
            out.append(Entry(i, fr, now, "inside", False, None, "not_ip"))
            continue
        ip, why = parse_ipv4(fr.data, l2.off)
        if ip is None:
            out.append(Entry(i, fr, now, "inside", False, None, why))
            continue
        s_in, d_in = ip.src in nets, ip.dst in nets
        if s_in and d_in:
            out.append(Entry(i, fr, now, None, False, ip, "intra_vpc"))
        elif s_in:
            out.append(Entry(i, fr, now, "inside", True, ip, None))
        elif d_in:
            out.append(Entry(i, fr, now, "outside", True, ip, None))
        else:
            out.append(Entry(i, fr, now, None, False, ip, "not_via_nat"))
    return out


# ------------------------------------------------------------------ checksums

def ones_sum(*chunks):
    """The folded one's complement sum of 16-bit words: 0xffff over a span
    that includes a correct checksum."""
    total = 0
    for c in chunks:
        if len(c) % 2:
            c = bytes(c) + b"\0"
        total += sum(struct.unpack("!%dH" % (len(c) // 2), c))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _l4_sum(proto, src, dst, seg):
    name = PROTO_NAMES.get(proto)
    if name is None:
        return None, None
    if proto == 6 and len(seg) < 20 or proto in (1, 17) and len(seg) < 8:
        return name, None
    if proto == 17 and seg[6:8] == b"\0\0":
        return name, None  # no checksum
    if proto == 1:
        return name, ones_sum(seg)
    return name, ones_sum(src, dst, struct.pack("!BBH", 0, proto, len(seg)), seg)


def checksum_sums(ip):
    """Every checksum this packet carries that can be verified, as
    {header: folded sum}; a header is correct when its sum is 0xffff. L4 of
    fragments is skipped (it covers the whole datagram); an ICMP error's
    quoted headers are included, the quoted transport checksum only when the
    quoted packet is complete."""
    d = ip.data
    sums = {"ip": ones_sum(d[ip.off:ip.off + ip.ihl])}
    if ip.fragment:
        return sums
    name, s = _l4_sum(ip.proto, ip.src_b, ip.dst_b, ip.seg())
    if s is not None:
        sums[name] = s
    q = ip.quote()
    if q is not None:
        sums["inner-ip"] = ones_sum(q.b[:q.ihl])
        if q.complete:
            name, s = _l4_sum(q.proto, q.b[12:16], q.b[16:20], q.b[q.ihl:q.tot])
            if s is not None:
                sums["inner-" + name] = s
    return sums


def bad_sums(sums):
    return {k: v for k, v in sums.items() if v != 0xFFFF}


def scapy_bad(data):
    """The checksums of an Ethernet frame that scapy disagrees with: each
    checksum field in turn is deleted and the frame rebuilt, and scapy's
    value compared with the one carried. Same header names as
    checksum_sums(). Returns None when scapy cannot rebuild the frame byte
    for byte (then its opinion is worth nothing)."""
    from scapy.layers.l2 import Ether
    from scapy.layers.inet import IP  # binds IP and its kin to Ether
    from scapy.packet import NoPayload

    if bytes(Ether(data)) != data:
        return None
    if IP not in Ether(data) and ipv4_of(Frame(0, data, len(data), 1)) is not None:
        return None
    ip = ipv4_of(Frame(0, data, len(data), 1))
    q = ip.quote() if ip is not None else None
    bad = set()
    layer, depth, seen_ip = Ether(data), 0, 0
    while not isinstance(layer, NoPayload):
        name = type(layer).__name__
        base = {"IP": "ip", "TCP": "tcp", "UDP": "udp", "ICMP": "icmp",
                "IPerror": "ip", "TCPerror": "tcp", "UDPerror": "udp",
                "ICMPerror": "icmp"}.get(name)
        inner = name.endswith("error")
        check = base is not None
        if base == "ip":
            seen_ip += 1
        elif check and inner:
            check = q is not None and q.complete
        elif check:
            check = ip is not None and not ip.fragment
        if check and base == "udp" and layer.chksum == 0:
            check = False
        if check:
            p = Ether(data)
            lay = p
            for _ in range(depth):
                lay = lay.payload
            want = lay.chksum
            del lay.chksum
            rebuilt = Ether(bytes(p))
            for _ in range(depth):
                rebuilt = rebuilt.payload
            if rebuilt.chksum != want:
                bad.add(("inner-" if inner else "") + base)
        layer = layer.payload
        depth += 1
    return bad


TSHARK_FIELDS = ("ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
                 "icmp.checksum.status")


def tshark_bad(frames, workdir):
    """tshark's verdict on every frame (written to one Ethernet pcap): per
    frame, the set of protocols ("ip", "tcp", "udp", "icmp") with a checksum
    tshark validated as bad, in the outer packet or an ICMP quote.
    Status 0 is bad, 1 good, 2 unverified."""
    fd, path = tempfile.mkstemp(suffix=".pcap", dir=workdir)
    os.close(fd)
    write_pcap(path, frames)
    cmd = ["tshark", "-n", "-r", path,
           "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
           "-e", "frame.number"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    p = run(cmd)
    os.unlink(path)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.strip()))
    res = [set() for _ in frames]
    for line in p.stdout.splitlines():
        cols = line.split("\t")
        n = int(cols[0]) - 1
        for field, val in zip(TSHARK_FIELDS, cols[1:]):
            if "0" in val.split(","):
                res[n].add(field.split(".")[0])
        if n >= len(frames):
            raise RuntimeError("tshark saw more frames than were written")
    return res


def output_frames(r):
    """(side name, index, frame) for both outputs of a replay, outside first."""
    return [("outside", i, f) for i, f in enumerate(r.outside)] + \
           [("inside", i, f) for i, f in enumerate(r.inside)]


def check_checksums(ck, label, r, model, workdir, strict=False, tsh=None):
    """Both outputs' checksums, by tshark and by the sums computed here. An
    output header may be wrong only where a matching input packet (same
    virtual time, IP ID, length, protocol) had the same header wrong by the
    same amount, which is what a NAT that updates checksums incrementally
    does; strict: no wrong checksum at all. tsh: tshark_bad() of
    output_frames(r), if already at hand. Returns the number of frames
    whose carried-through errors were accepted."""
    frames = output_frames(r)
    if tsh is None:
        tsh = tshark_bad([f for _, _, f in frames], workdir) if frames else []
    by_key = defaultdict(list)
    for e in model:
        if e.ip is not None and e.side is not None:
            by_key[(e.vts, e.ip.id, e.ip.tot, e.ip.proto)].append(e)
    input_tsh = None
    carried = 0
    for (side, i, fr), tbad in zip(frames, tsh):
        where = "%s: %s.pcap frame %d" % (label, side, i + 1)
        ip = ipv4_of(fr)
        if not ck.check(ip is not None, where + ": not an IPv4 packet"):
            continue
        pbad = bad_sums(checksum_sums(ip))
        if not pbad and not tbad:
            continue
        if strict:
            ck.check(False, "%s: bad checksums: python %s, tshark %s" %
                     (where, sorted(pbad), sorted(tbad)))
            continue
        cands = by_key.get((fr.ts_ns, ip.id, ip.tot, ip.proto), [])
        ck.check("ip" not in pbad, "%s: outer IP header checksum wrong (sum %#06x)" %
                 (where, pbad.get("ip", 0)))
        ok_py = False
        for e in cands:
            isums = checksum_sums(e.ip)
            if all(isums.get(k) == v for k, v in pbad.items()):
                ok_py = True
        ck.check(ok_py, "%s: checksum error %s not carried from the input (matching "
                 "input frames: %s)" % (where, {k: hex(v) for k, v in pbad.items()},
                                        [e.index + 1 for e in cands]))
        if tbad:
            if input_tsh is None:
                input_tsh = tshark_bad([e.frame if e.frame.linktype == 1 else
                                        Frame(e.frame.ts_ns, as_ethernet(e.frame),
                                              e.frame.wirelen, 1)
                                        for e in model], workdir)
            ok_t = any(tbad <= input_tsh[e.index] for e in cands)
            ck.check(ok_t, "%s: tshark finds bad %s checksums that the input did not have"
                     % (where, sorted(tbad)))
        carried += 1
    return carried


def as_ethernet(fr):
    """A frame of another link type as natgw turns it into Ethernet (MACs
    zero), for tools that want one link type."""
    if fr.linktype == 1:
        return fr.data
    l2 = locate_l3(fr.linktype, fr.data)
    et = l2.ethertype or 0
    return b"\0" * 12 + struct.pack("!H", et) + fr.data[l2.hl:]


# ------------------------------------------------------------------ report

def flow_key_of_record(f):
    return (f["proto"], f["inside_ip"], f["inside_port"], f["destination_ip"],
            f["destination_port"])


def attribute(r):
    """Each output packet's flow, found from its headers the way the NAT
    would: outside.pcap by public endpoint and destination, inside.pcap by
    private endpoint and remote; ICMP errors by the packet they quote;
    non-first fragments by their first fragment. Returns (per flow key:
    [packets out, bytes out, packets in, bytes in], unattributed outside
    frames, unattributed inside frames)."""
    flows = r.report["flows"]
    by_pub = {}
    for f in flows:
        by_pub[(f["proto"], f["public_ip"], f["public_port"], f["destination_ip"],
                f["destination_port"])] = flow_key_of_record(f)
    known = {flow_key_of_record(f) for f in flows}
    counts = defaultdict(lambda: [0, 0, 0, 0])
    stray = {"outside": [], "inside": []}
    for side, frames in (("outside", r.outside), ("inside", r.inside)):
        first_frag = {}
        for i, fr in enumerate(frames):
            ip = ipv4_of(fr)
            if ip is None:
                stray[side].append(i)
                continue
            key = None
            proto = PROTO_NAMES.get(ip.proto)
            if ip.fragment and not ip.first_fragment:
                key = first_frag.get((ip.src, ip.dst, ip.id, ip.proto))
            else:
                q = ip.quote()
                if q is not None and q.ports is not None:
                    qp = PROTO_NAMES.get(q.proto)
                    if side == "outside":  # quotes what came in to the public end
                        key = by_pub.get((qp, q.dst, q.ports[1], q.src, q.ports[0]))
                    else:  # quotes what the inside sent, translated back
                        key = (qp, q.src, q.ports[0], q.dst, q.ports[1])
                elif ip.ports() is not None:
                    sp, dp = ip.ports()
                    if side == "outside":
                        key = by_pub.get((proto, ip.src, sp, ip.dst, dp))
                    else:
                        key = (proto, ip.dst, dp, ip.src, sp)
                if ip.fragment and key is not None:
                    first_frag[(ip.src, ip.dst, ip.id, ip.proto)] = key
            if key not in known:
                stray[side].append(i)
                continue
            c = counts[key]
            k = 0 if side == "outside" else 2
            c[k] += 1
            c[k + 1] += ip.tot
    return counts, stray["outside"], stray["inside"]


def check_report(ck, label, r, model, nets, publics=(PUBLIC_IP,)):
    """report.json against the output captures and the input's model."""
    rep = r.report
    for sec in ("natgw", "config", "capture", "replay", "metrics", "drops", "counters", "flows"):
        if not ck.check(sec in rep, "%s: report.json has no '%s'" % (label, sec)):
            return
    m = rep["metrics"]
    ck.eq(sorted(m), sorted(METRICS), label + ": report.json metric names")
    if not all(k in m for k in METRICS):
        return
    drops = rep["drops"]
    cnt = rep["counters"]
    out_ips = [ipv4_of(f) for f in r.outside]
    in_ips = [ipv4_of(f) for f in r.inside]
    ck.check(all(out_ips), "%s: outside.pcap holds frames that are not IPv4" % label)
    ck.check(all(in_ips), "%s: inside.pcap holds frames that are not IPv4" % label)
    out_ips = [i for i in out_ips if i]
    in_ips = [i for i in in_ips if i]
    ck.eq(m["PacketsOutToDestination"], len(out_ips),
          label + ": PacketsOutToDestination vs IPv4 packets in outside.pcap")
    ck.eq(m["BytesOutToDestination"], sum(i.tot for i in out_ips),
          label + ": BytesOutToDestination vs IP bytes in outside.pcap")
    ck.eq(m["PacketsOutToSource"], len(in_ips),
          label + ": PacketsOutToSource vs IPv4 packets in inside.pcap")
    ck.eq(m["BytesOutToSource"], sum(i.tot for i in in_ips),
          label + ": BytesOutToSource vs IP bytes in inside.pcap")

    # The input, as the replay sees it.
    frm = [e for e in model if e.side == "inside" and e.counted]
    to = [e for e in model if e.side == "outside" and e.counted]
    ck.eq(m["PacketsInFromSource"], len(frm),
          label + ": PacketsInFromSource vs well-formed IPv4 from the inside in the input")
    ck.eq(m["BytesInFromSource"], sum(e.ip.tot for e in frm),
          label + ": BytesInFromSource vs their IP bytes")
    ck.eq(m["PacketsInFromDestination"], len(to),
          label + ": PacketsInFromDestination vs well-formed IPv4 to the inside in the input")
    ck.eq(m["BytesInFromDestination"], sum(e.ip.tot for e in to),
          label + ": BytesInFromDestination vs their IP bytes")
    rp = rep["replay"]
    ck.eq(rep["capture"]["frames"], len(model), label + ": capture.frames vs frames in the input")
    for s in SKIP_REASONS:
        ck.eq(rp["skipped"].get(s), sum(1 for e in model if e.reason == s),
              "%s: replay.skipped.%s vs the input" % (label, s))
    ck.eq(rp["to_inside"], sum(1 for e in model if e.side == "inside"),
          label + ": replay.to_inside vs the input")
    ck.eq(rp["to_outside"], sum(1 for e in model if e.side == "outside"),
          label + ": replay.to_outside vs the input")
    ck.eq(rp["written_outside"], len(r.outside), label + ": replay.written_outside")
    ck.eq(rp["written_inside"], len(r.inside), label + ": replay.written_inside")
    for d in UNCOUNTED_DROPS:
        ck.eq(drops.get(d), sum(1 for e in model if e.reason == d and e.side),
              "%s: drops.%s vs the input" % (label, d))

    # Every well-formed packet that came in went out, was dropped and counted
    # in PacketsDropCount, or was answered with an RST (which is both).
    counted = [d for d in drops if d not in UNCOUNTED_DROPS]
    ck.eq(m["PacketsDropCount"], sum(drops[d] for d in counted),
          label + ": PacketsDropCount vs the sum of counted drop reasons")
    # ICMP errors natgw made ("fragmentation needed"), by the side they left by.
    icmp_in, icmp_out = cnt["icmp_sent_inside"], cnt["icmp_sent_outside"]
    ck.eq(m["PacketsInFromSource"] + m["PacketsInFromDestination"],
          m["PacketsOutToDestination"] + m["PacketsOutToSource"] - cnt["rst_sent"]
          - icmp_in - icmp_out + m["PacketsDropCount"],
          label + ": packets in vs packets out + dropped (- RSTs and ICMP errors made)")
    ck.check(m["ErrorPortAllocation"] == drops.get("port_alloc"),
             "%s: ErrorPortAllocation %r vs drops.port_alloc %r" %
             (label, m["ErrorPortAllocation"], drops.get("port_alloc")))

    # Flows.
    flows = rep["flows"]
    ck.eq(len(flows), cnt["sessions_created"], label + ": flows[] entries vs sessions_created")
    ck.eq(len(flows), cnt["flows_reported"], label + ": flows[] entries vs flows_reported")
    pubs = set(publics)
    for n, f in enumerate(flows):
        missing = [k for k in FLOW_FIELDS if k not in f]
        if not ck.check(not missing, "%s: flow %d lacks %s" % (label, n, missing)):
            return
        ck.check(f["public_ip"] in pubs, "%s: flow %d public_ip %s not a public address"
                 % (label, n, f["public_ip"]))
        ck.check(f["inside_ip"] in nets, "%s: flow %d inside_ip %s not inside"
                 % (label, n, f["inside_ip"]))
        lo, hi = rep["config"]["port_range"]
        if rep["config"]["port_range_preserve"] and f["inside_port"] < 1024:
            lo, hi = 1, 1023  # RFC 4787 REQ-3a: low ports stay low
        ck.check(f["proto"] == "icmp" or lo <= f["public_port"] <= hi,
                 "%s: flow %d public port %d outside %d-%d" % (label, n, f["public_port"], lo, hi))
        ck.check(f["first_ns"] <= f["last_ns"], "%s: flow %d first_ns > last_ns" % (label, n))
    ck.eq(sum(f["packets_out"] for f in flows), m["PacketsOutToDestination"] - icmp_out,
          label + ": sum of flows' packets_out vs PacketsOutToDestination - ICMP made")
    ck.eq(sum(f["bytes_out"] for f in flows),
          m["BytesOutToDestination"] - cnt["icmp_bytes_outside"],
          label + ": sum of flows' bytes_out vs BytesOutToDestination - ICMP bytes")
    ck.eq(sum(f["packets_in"] for f in flows),
          m["PacketsOutToSource"] - cnt["rst_sent"] - icmp_in,
          label + ": sum of flows' packets_in vs PacketsOutToSource - rst_sent - ICMP made")
    # natgw's RSTs are bare 40-byte IPv4+TCP headers.
    ck.eq(sum(f["bytes_in"] for f in flows),
          m["BytesOutToSource"] - 40 * cnt["rst_sent"] - cnt["icmp_bytes_inside"],
          label + ": sum of flows' bytes_in vs BytesOutToSource - RST and ICMP bytes")

    ck.eq(cnt.get("rst_bytes"), 40 * cnt["rst_sent"], label + ": counters.rst_bytes vs 40 a RST")
    check_accounting(ck, label, rep)

    # Each flow's counts against the packets found in the outputs.
    counts, stray_out, stray_in = attribute(r)
    ck.check(not stray_out, "%s: outside.pcap frames %s belong to no flow of the report"
             % (label, [i + 1 for i in stray_out]))
    ck.eq(len(stray_in), cnt["rst_sent"],
          label + ": inside.pcap frames of no flow (the RSTs natgw made) vs rst_sent")
    for i in stray_in:
        ip = in_ips[i] if i < len(in_ips) else None
        ck.check(ip is not None and ip.proto == 6 and ip.tot == 40 and ip.seg()[13] & 0x04,
                 "%s: inside.pcap frame %d belongs to no flow and is not an RST" % (label, i + 1))
    want = defaultdict(lambda: [0, 0, 0, 0])
    for f in flows:
        w = want[flow_key_of_record(f)]
        w[0] += f["packets_out"]
        w[1] += f["bytes_out"]
        w[2] += f["packets_in"]
        w[3] += f["bytes_in"]
    for key in sorted(set(want) | set(counts), key=str):
        ck.eq(counts.get(key, [0, 0, 0, 0]), want.get(key, [0, 0, 0, 0]),
              "%s: flow %s [packets_out, bytes_out, packets_in, bytes_in] in the outputs "
              "vs report" % (label, key))


def check_accounting(ck, label, rep):
    """The per-minute series and the accounting by service and class add up to
    the metrics and to the flows (which check_report holds to the outputs)."""
    m = rep["metrics"]
    ser = rep.get("metrics_per_minute")
    if ck.check(ser is not None and "rows" in ser,
                "%s: report.json has no metrics_per_minute rows" % label):
        rows = ser["rows"]
        ck.eq(ser["minutes"], len(rows), label + ": metrics_per_minute.minutes vs its rows")
        starts = [x["start_ns"] for x in rows]
        ck.check(all(t % 60000000000 == 0 for t in starts),
                 "%s: a per-minute row does not start on a minute" % label)
        ck.check(starts == sorted(set(starts)),
                 "%s: per-minute rows not in order, or a minute twice" % label)
        for k in METRICS:
            vals = [x[k] for x in rows]
            got = max(vals, default=0) if k == "ActiveConnectionCount" else sum(vals)
            ck.eq(got, m[k], "%s: metrics_per_minute %s of %s vs metrics" %
                  (label, "maximum" if k == "ActiveConnectionCount" else "sum", k))
    svc = rep.get("services")
    if not ck.check(svc is not None, "%s: report.json has no services" % label):
        return
    flows = rep["flows"]
    keys = ("packets_out", "bytes_out", "packets_in", "bytes_in")
    want = [sum(f[k] for f in flows) for k in keys]
    for part in ("by_service", "by_class"):
        items = svc[part] if part == "by_service" else list(svc[part].values())
        ck.eq([sum(x[k] for x in items) for k in keys], want,
              "%s: services.%s [packets_out, bytes_out, packets_in, bytes_in] vs the flows"
              % (label, part))
        ck.eq(sum(x["sessions"] for x in items), len(flows),
              "%s: services.%s sessions vs the flows" % (label, part))
    per = defaultdict(lambda: [0, 0, 0, 0])
    for f in flows:
        for i, k in enumerate(keys):
            per[f["service"]][i] += f[k]
    for x in svc["by_service"]:
        ck.eq([x[k] for k in keys], per.get(x["service"], [0, 0, 0, 0]),
              "%s: services.by_service %s vs its flows" % (label, x["service"]))


def check_addressing(ck, label, r, nets, publics=(PUBLIC_IP,)):
    """No inside address leaves: outside.pcap's packets all come from a
    public address and name no inside address, not even in an ICMP quote;
    inside.pcap's packets all go to an inside host."""
    pubs = set(publics)
    for i, fr in enumerate(r.outside):
        ip = ipv4_of(fr)
        if ip is None:
            continue
        ck.check(ip.src in pubs, "%s: outside.pcap frame %d leaves from %s, not a public "
                 "address" % (label, i + 1, ip.src))
        ck.check(ip.dst not in nets, "%s: outside.pcap frame %d goes to inside address %s"
                 % (label, i + 1, ip.dst))
        q = ip.quote()
        if q is not None:
            ck.check(q.src not in nets and q.dst not in nets,
                     "%s: outside.pcap frame %d quotes inside address (%s -> %s)" %
                     (label, i + 1, q.src, q.dst))
    for i, fr in enumerate(r.inside):
        ip = ipv4_of(fr)
        if ip is None:
            continue
        ck.check(ip.dst in nets, "%s: inside.pcap frame %d delivered to %s, not inside" %
                 (label, i + 1, ip.dst))
        ck.check(ip.src not in nets, "%s: inside.pcap frame %d comes from inside address %s"
                 % (label, i + 1, ip.src))


def check_replay(ck, label, r, model, nets, workdir, publics=(PUBLIC_IP,), strict=False,
                 tsh=None):
    """Everything any successful replay must satisfy."""
    check_addressing(ck, label, r, nets, publics)
    check_report(ck, label, r, model, nets, publics)
    return check_checksums(ck, label, r, model, workdir, strict=strict, tsh=tsh)
