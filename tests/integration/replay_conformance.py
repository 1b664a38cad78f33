#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_conformance: `natgw replay` of conformance.pcap is defect-free.

Usage: replay_conformance.py NATGW CONFORMANCE_PCAP

conformance.pcap (tools/gen_captures.py, gen_conformance) is what tcpdump on
three VPC hosts would see: DNS, HTTP, TLS, pings, a UDP probe answered with
port unreachable, a traceroute probe answered with time exceeded, three hosts
using source port 40000 towards the same server, scanners, a segment from a
stranger to a mapped port, IPv6, ARP, a stale ACK and a VLAN-tagged DNS pair.
Replayed with --inside-net 10.0.0.0/16 --public-ip 203.0.113.10, this test
proves, reading the input and both outputs packet by packet:

- every packet that left (outside.pcap) is its input packet with only the
  source address and port (ICMP: identifier), TTL (one less) and checksums
  changed, from 203.0.113.10, in order within its flow;
- every answer delivered back (inside.pcap) is its input packet with only the
  TTL (one less) and IP checksum changed: right private endpoint, ICMP errors'
  quotes reverted, echo replies with their own identifier;
- checksums of both outputs correct by tshark, by scapy (delete and rebuild)
  and by a one's complement sum, the three agreeing frame by frame;
- one public endpoint per flow, no public endpoint shared by two inside flows
  towards one destination;
- nothing unsolicited gets in; no private address leaks out; the stale ACK is
  answered with an RST inside (aws) and never leaves;
- ARP and IPv6 are dropped and counted, VLAN tags are kept;
- report.json's 14 CloudWatch metrics, drops and flows agree with the packets;
- the outputs are byte-identical from run to run;
- the rfc profile passes every item that applies to it, keeps source ports
  where free, and is endpoint-independent in mapping and filtering (checked on
  a small capture made here).
"""

import collections
import os
import struct
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

INSIDE = "10.0.0.0/16"
PUBLIC = nc.PUBLIC_IP
# What gen_conformance puts in the capture that must not get in (source ->
# frames), and the stale segment the aws profile answers with an RST.
UNSOLICITED = {"192.0.2.66": 2, "192.0.2.67": 1, "198.51.100.99": 1}
STALE = (6, "10.0.1.10", 45678, "198.51.100.9", 443)
STALE_ACK = 2000000
SHARED_PORT_HOSTS = ("10.0.1.10", "10.0.1.11", "10.0.1.12")


def flow_key(ip, outbound):
    """(proto, inside ip, inside port, remote ip, remote port) of a packet
    of the input, which carries private addresses both ways."""
    q = ip.quote()
    if q is not None and q.ports is not None:
        return (q.proto, q.src, q.ports[0], q.dst, q.ports[1])
    sp, dp = ip.ports()
    if outbound:
        return (ip.proto, ip.src, sp, ip.dst, dp)
    return (ip.proto, ip.dst, dp, ip.src, sp)


def analyse(model):
    """Sort the input's IPv4 packets by what a correct NAT does with them:
    forwarded out, answered (stale TCP), delivered in, or dropped as
    unsolicited. Flows are opened only by the inside; TCP only by a SYN."""
    opened = {}
    out, stale, back, unsolicited = [], [], [], []
    for e in model:
        if not e.counted:
            continue
        if e.side == "inside":
            k = flow_key(e.ip, True)
            if k not in opened:
                opened[k] = e.ip.proto != 6 or (e.ip.seg()[13] & 0x12) == 0x02
            (out if opened[k] else stale).append(e)
        else:
            (back if opened.get(flow_key(e.ip, False)) else unsolicited).append(e)
    return out, stale, back, unsolicited


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def check_outbound(ck, label, r, out_expect):
    """outside.pcap against the input packets that must leave. Returns
    {inside flow key: set of public (address, port)}."""
    index = {}
    for e in out_expect:
        k = (e.ip.proto, e.ip.dst, e.ip.id, e.ip.tot)
        ck.check(k not in index, "%s: test cannot tell input frames %d and %d apart"
                 % (label, index.get(k, e).index + 1, e.index + 1))
        index[k] = e
    used = {}
    pub = collections.defaultdict(set)
    order = collections.defaultdict(list)
    for i, fr in enumerate(r.outside):
        where = "%s: outside.pcap frame %d" % (label, i + 1)
        ip = nc.ipv4_of(fr)
        if ip is None:
            continue
        e = index.get((ip.proto, ip.dst, ip.id, ip.tot))
        if not ck.check(e is not None and e.index not in used,
                        where + ": matches no input packet that should leave (or one "
                        "already matched)"):
            continue
        used[e.index] = i
        ein = e.ip
        l2o = nc.locate_l3(1, fr.data)
        l2i = nc.locate_l3(1, e.frame.data)
        ck.eq(l2o.vlans, l2i.vlans, where + ": VLAN tags")
        ck.eq(ip.src, PUBLIC, where + ": source address")
        ck.eq(ip.ttl, ein.ttl - 1, where + ": TTL (input's less one)")
        if not ck.eq(len(fr.data), len(e.frame.data), where + ": frame length"):
            continue
        # What may change: MACs (not judged), source address, TTL, IP
        # checksum, source port (ICMP: identifier), transport checksum.
        want = bytearray(e.frame.data)
        d = fr.data
        o, l4 = ip.off, ip.l4
        spans = [(0, 12), (o + 8, o + 9), (o + 10, o + 16)]
        if ip.proto in (6, 17):
            cs = 16 if ip.proto == 6 else 6
            spans += [(l4, l4 + 2), (l4 + cs, l4 + cs + 2)]
        elif ip.proto == 1:
            spans += [(l4 + 2, l4 + 6)]
        for a, b in spans:
            want[a:b] = d[a:b]
        n = first_diff(bytes(want), d)
        ck.check(bytes(want) == d, "%s: differs from input frame %d beyond address, port, "
                 "TTL and checksums (first at byte %d)" % (where, e.index + 1, n))
        k = flow_key(ein, True)
        sp = ip.ports()[0] if ip.ports() else None
        pub[k].add((ip.src, sp))
        order[k].append(e.index)
    missing = [e.index + 1 for e in out_expect if e.index not in used]
    ck.check(not missing, "%s: input frames %s never left" % (label, missing))
    for k, idx in order.items():
        ck.check(idx == sorted(idx), "%s: flow %s left out of order (input frames %s)"
                 % (label, k, [i + 1 for i in idx]))
    return pub


def check_mapping(ck, label, pub, profile):
    """One public endpoint per flow; no public endpoint serves two inside
    flows towards the same destination."""
    users = collections.defaultdict(set)
    for k, eps in pub.items():
        ck.check(len(eps) == 1, "%s: flow %s left from %d public endpoints %s"
                 % (label, k, len(eps), sorted(eps)))
        for ep in eps:
            users[(k[0],) + ep + (k[3], k[4])].add(k)
    for ep, flows in users.items():
        ck.check(len(flows) == 1, "%s: public endpoint %s:%s towards %s:%s shared by %s"
                 % (label, ep[1], ep[2], ep[3], ep[4], sorted(flows)))
    ports = {h: pub.get((6, h, 40000, "198.51.100.7", 443)) for h in SHARED_PORT_HOSTS}
    ck.check(all(ports.values()) and len({min(p) for p in ports.values()}) == 3,
             "%s: hosts %s with source port 40000 to 198.51.100.7:443 got public "
             "endpoints %s, not three distinct ones" % (label, SHARED_PORT_HOSTS, ports))
    if profile == "rfc":
        # Source ports are kept where free: the first of the three hosts and
        # every other flow keep theirs.
        for k, eps in pub.items():
            if k[2] == 40000 and k[1] != "10.0.1.10":
                continue
            ck.eq(sorted(eps), [(PUBLIC, k[2])],
                  "%s: rfc flow %s keeps its source port" % (label, k))


def check_inbound(ck, label, r, back, unsolicited):
    """inside.pcap against the input's answers. Returns the frames natgw
    made itself (RSTs)."""
    index = {}
    for e in back:
        index[(e.ip.proto, e.ip.src, e.ip.dst, e.ip.id, e.ip.tot)] = e
    bad = {(e.ip.proto, e.ip.src, e.ip.dst, e.ip.id, e.ip.tot): e for e in unsolicited}
    used = set()
    made = []
    for i, fr in enumerate(r.inside):
        where = "%s: inside.pcap frame %d" % (label, i + 1)
        ip = nc.ipv4_of(fr)
        if ip is None:
            continue
        k = (ip.proto, ip.src, ip.dst, ip.id, ip.tot)
        ck.check(k not in bad and ip.src not in UNSOLICITED,
                 where + ": unsolicited packet from %s got in" % ip.src)
        e = index.get(k)
        if e is None or e.index in used:
            made.append((i, fr, ip))
            continue
        used.add(e.index)
        ck.eq(ip.ttl, e.ip.ttl - 1, where + ": TTL (input's less one)")
        # Delivered as the inside host received it: all but the MACs, TTL
        # and IP checksum exactly as in the input, quotes included.
        want = bytearray(e.frame.data)
        d = fr.data
        for a, b in ((0, 12), (ip.off + 8, ip.off + 9), (ip.off + 10, ip.off + 12)):
            want[a:b] = d[a:b]
        ck.check(bytes(want) == d, "%s: differs from input frame %d (first at byte %d)"
                 % (where, e.index + 1, first_diff(bytes(want), d)))
    missing = [e.index + 1 for e in back if e.index not in used]
    ck.check(not missing, "%s: answers in input frames %s were not delivered" % (label, missing))
    return made


def check_rst(ck, label, r, made, profile):
    """The stale ACK: answered with an RST inside (aws) or dropped (rfc);
    never sent out."""
    for i, fr in enumerate(r.outside):
        ip = nc.ipv4_of(fr)
        ck.check(ip is None or ip.dst != STALE[3], "%s: outside.pcap frame %d: the stale "
                 "segment left for %s" % (label, i + 1, STALE[3]))
    if profile == "rfc":
        ck.check(not made, "%s: inside.pcap frames %s match no input answer (rfc sends no RST)"
                 % (label, [i + 1 for i, _, _ in made]))
        return
    if not ck.eq(len(made), 1, label + ": inside.pcap frames natgw made (the RST)"):
        return
    i, fr, ip = made[0]
    where = "%s: inside.pcap frame %d (RST)" % (label, i + 1)
    sp, dp = ip.ports() or (None, None)
    ck.eq((ip.proto, ip.src, sp, ip.dst, dp), (6, STALE[3], STALE[4], STALE[1], STALE[2]),
          where + ": addressing")
    seg = ip.seg()
    seq = struct.unpack("!I", seg[4:8])[0]
    ck.eq(seq, STALE_ACK, where + ": sequence number (the stale segment's ACK)")
    ck.eq(seg[13], 0x04, where + ": TCP flags (RST alone)")


def check_icmp(ck, label, r):
    """ICMP errors delivered with their quotes reverted and correct; echo
    replies with their own identifier."""
    from scapy.layers.l2 import Ether
    from scapy.layers.inet import ICMP, IPerror, UDPerror

    errs = {}
    replies = []
    for i, fr in enumerate(r.inside):
        p = Ether(fr.data)
        if ICMP not in p:
            continue
        if p[ICMP].type in (3, 11):
            errs.setdefault((p[ICMP].type, p[ICMP].code), []).append((i, p))
        elif p[ICMP].type == 0:
            replies.append((i, p))
    for (t, c), sport, dst in (((3, 3), 45000, ("198.51.100.8", 9999)),
                               ((11, 0), 45001, ("198.51.100.30", 33435))):
        got = errs.get((t, c), [])
        if not ck.eq(len(got), 1, "%s: ICMP type %d code %d delivered" % (label, t, c)):
            continue
        i, p = got[0]
        where = "%s: inside.pcap frame %d (ICMP %d/%d)" % (label, i + 1, t, c)
        ck.eq(p["IP"].dst, "10.0.1.10", where + ": delivered to")
        if not ck.check(IPerror in p and UDPerror in p, where + ": no quoted IPv4/UDP"):
            continue
        ck.eq((p[IPerror].src, p[UDPerror].sport), ("10.0.1.10", sport),
              where + ": quoted source (reverted to the private endpoint)")
        ck.eq((p[IPerror].dst, p[UDPerror].dport), dst, where + ": quoted destination")
        bad = nc.scapy_bad(r.inside[i].data)
        ck.check(bad is not None and not bad & {"inner-ip", "inner-udp", "icmp"},
                 where + ": quoted checksums wrong per scapy: %s" % bad)
    ck.eq(len(replies), 3, label + ": echo replies delivered")
    for i, p in replies:
        ck.eq((p["IP"].dst, p[ICMP].id), ("10.0.1.10", 0x1234),
              "%s: inside.pcap frame %d echo reply: to, id" % (label, i + 1))


def check_l2(ck, label, r):
    """ARP and IPv6 never cross; the VLAN-tagged DNS pair keeps VLAN 100."""
    for side, frames in (("outside", r.outside), ("inside", r.inside)):
        for i, fr in enumerate(frames):
            et = nc.locate_l3(1, fr.data).ethertype
            ck.check(et == 0x0800, "%s: %s.pcap frame %d has ethertype %#06x" %
                     (label, side, i + 1, et or 0))
    tagged = [(i, nc.locate_l3(1, f.data).vlans, nc.ipv4_of(f)) for i, f in enumerate(r.outside)]
    tagged = [t for t in tagged if t[1]]
    ck.check(len(tagged) == 1 and tagged[0][1] == [100] and tagged[0][2].dst == "8.8.8.8"
             and tagged[0][2].ports()[1] == 53,
             "%s: outside.pcap should hold one VLAN 100 frame, the DNS query: %s"
             % (label, [(i + 1, v) for i, v, _ in tagged]))
    tagged = [(i, nc.locate_l3(1, f.data).vlans, nc.ipv4_of(f)) for i, f in enumerate(r.inside)]
    tagged = [t for t in tagged if t[1]]
    ck.check(len(tagged) == 1 and tagged[0][1] == [100] and tagged[0][2].dst == "10.0.1.12"
             and tagged[0][2].ports()[0] == 53,
             "%s: inside.pcap should hold one VLAN 100 frame, the DNS answer: %s"
             % (label, [(i + 1, v) for i, v, _ in tagged]))


def check_no_leak(ck, label, r):
    """No 10.x address in outside.pcap's headers or quotes, nor any of the
    hosts' addresses anywhere in its bytes."""
    needles = [bytes([10, 0, 1, h]) for h in (10, 11, 12)]
    for i, fr in enumerate(r.outside):
        ip = nc.ipv4_of(fr)
        if ip is None:
            continue
        addrs = [ip.src, ip.dst]
        q = ip.quote()
        if q is not None:
            addrs += [q.src, q.dst]
        ck.check(not [a for a in addrs if a.startswith("10.")],
                 "%s: outside.pcap frame %d carries a 10.x address: %s" % (label, i + 1, addrs))
        ck.check(not any(n in fr.data for n in needles),
                 "%s: outside.pcap frame %d carries a private host's address in its bytes"
                 % (label, i + 1))


def check_three_ways(ck, label, r, workdir):
    """tshark, scapy and the one's complement sums agree, and find nothing."""
    frames = nc.output_frames(r)
    tsh = nc.tshark_bad([f for _, _, f in frames], workdir)
    for (side, i, fr), t in zip(frames, tsh):
        where = "%s: %s.pcap frame %d" % (label, side, i + 1)
        s = nc.scapy_bad(fr.data)
        ck.check(s is not None, where + ": scapy cannot rebuild it byte for byte")
        py = set(nc.bad_sums(nc.checksum_sums(nc.ipv4_of(fr))))
        ck.check(not t and not s and not py,
                 "%s: bad checksums: tshark %s, scapy %s, sums %s" %
                 (where, sorted(t), sorted(s or ()), sorted(py)))
        ck.eq(sorted(s or ()), sorted(py), where + ": scapy and sums disagree")
        ck.eq(bool(t), bool(py), where + ": tshark and python disagree")
    return tsh


def run_profile(ck, exe, capture, tmp, profile, model, nets):
    label = "conformance/" + profile
    out, stale, back, unsolicited = analyse(model)
    # The capture is what the test thinks it is.
    ck.eq([flow_key(e.ip, True) for e in stale], [STALE],
          label + ": stale TCP segments in the capture")
    ck.eq(dict(collections.Counter(e.ip.src for e in unsolicited)), UNSOLICITED,
          label + ": unsolicited packets in the capture")
    ck.eq(sum(1 for e in model if e.reason == "not_ip"), 2, label + ": ARP frames in the capture")
    ck.eq(sum(1 for e in model if e.reason == "ipv6"), 3, label + ": IPv6 frames in the capture")

    outdir = os.path.join(tmp, profile)
    r = nc.replay(exe, capture, outdir, INSIDE, PUBLIC, ["--profile", profile])
    if not ck.eq(r.rc, 0, label + ": exit status of " + r.describe()):
        print(r.stderr)
        return None
    ck.eq(r.stderr, "", label + ": stderr")
    pub = check_outbound(ck, label, r, out)
    check_mapping(ck, label, pub, profile)
    made = check_inbound(ck, label, r, back, unsolicited)
    check_rst(ck, label, r, made, profile)
    check_icmp(ck, label, r)
    check_l2(ck, label, r)
    check_no_leak(ck, label, r)
    tsh = check_three_ways(ck, label, r, tmp)
    nc.check_replay(ck, label, r, model, nets, tmp, strict=True, tsh=tsh)
    drops = r.report["drops"]
    ck.eq(drops["no_session_inbound"], len(unsolicited), label + ": drops.no_session_inbound")
    ck.eq(drops["not_ip"], 2, label + ": drops.not_ip")
    ck.eq(drops["ipv6"], 3, label + ": drops.ipv6")
    ck.eq(drops["tcp_not_syn"], 1, label + ": drops.tcp_not_syn (the stale ACK)")
    ck.eq(r.report["counters"]["rst_sent"], 1 if profile == "aws" else 0,
          label + ": counters.rst_sent")
    others = {k: v for k, v in drops.items() if v and k not in
              ("no_session_inbound", "not_ip", "ipv6", "tcp_not_syn")}
    ck.eq(others, {}, label + ": other drops")
    ck.eq(r.report["config"]["profile"], profile, label + ": config.profile")
    # The packets a flow record counts are exactly those of its flow, and the
    # flows are exactly the inside flows that left.
    ck.eq(sorted(nc.flow_key_of_record(f) for f in r.report["flows"]),
          sorted((nc.PROTO_NAMES[k[0]],) + k[1:] for k in pub), label + ": flows[] keys")
    for f in r.report["flows"]:
        k = (f["proto"], f["inside_ip"], f["inside_port"], f["destination_ip"],
             f["destination_port"])
        eps = pub.get((6 if k[0] == "tcp" else 17 if k[0] == "udp" else 1,) + k[1:], set())
        ck.eq({(f["public_ip"], f["public_port"])}, eps,
              "%s: flow %s public endpoint vs outside.pcap" % (label, k))
    print("%s: %d out, %d back, %d made, %d flows checked" %
          (label, len(r.outside), len(r.inside), len(made), len(r.report["flows"])))
    return r


def mapping_capture(path):
    """Two destinations from one inside endpoint, then a stranger's SYN to
    it, then a UDP flow: what separates endpoint-independent mapping and
    filtering (rfc) from the aws profile's endpoint-dependent ones."""
    from scapy.layers.l2 import Ether
    from scapy.layers.inet import IP, TCP, UDP

    t0 = 1787414000 * 10**9
    host, rtr = "02:00:00:00:01:0a", "02:00:00:00:00:01"
    pkts = [
        Ether(src=host, dst=rtr) / IP(src="10.0.1.10", dst="198.51.100.7", id=1)
        / TCP(sport=41000, dport=443, flags="S", seq=1),
        Ether(src=host, dst=rtr) / IP(src="10.0.1.10", dst="198.51.100.8", id=2)
        / TCP(sport=41000, dport=443, flags="S", seq=1),
        Ether(src=rtr, dst=host) / IP(src="198.51.100.99", dst="10.0.1.10", id=3)
        / TCP(sport=5555, dport=41000, flags="S", seq=7),
        Ether(src=host, dst=rtr) / IP(src="10.0.1.10", dst="198.51.100.7", id=4)
        / UDP(sport=42000, dport=4500) / b"ping",
        Ether(src=rtr, dst=host) / IP(src="198.51.100.8", dst="10.0.1.10", id=5)
        / UDP(sport=4500, dport=42000) / b"from-elsewhere",
    ]
    nc.write_pcap(path, [nc.Frame(t0 + k * 10**6, bytes(p), len(bytes(p)), 1)
                         for k, p in enumerate(pkts)])


def check_mapping_behaviour(ck, exe, tmp):
    cap = os.path.join(tmp, "mapping.pcap")
    mapping_capture(cap)
    frames = nc.read_capture(cap)
    nets = nc.Nets(INSIDE)
    model = nc.model_replay(frames, nets)
    for profile in ("rfc", "aws"):
        label = "mapping/" + profile
        r = nc.replay(exe, cap, os.path.join(tmp, "mapping-" + profile), INSIDE, PUBLIC,
                      ["--profile", profile])
        if not ck.eq(r.rc, 0, label + ": exit status"):
            print(r.stderr)
            continue
        nc.check_replay(ck, label, r, model, nets, tmp, strict=True)
        syn_ports = {}
        for fr in r.outside:
            ip = nc.ipv4_of(fr)
            if ip.proto == 6:
                syn_ports[ip.dst] = ip.ports()[0]
        ck.eq(sorted(syn_ports), ["198.51.100.7", "198.51.100.8"], label + ": SYNs out")
        delivered = sorted((nc.ipv4_of(f).src, nc.ipv4_of(f).ports()) for f in r.inside)
        if profile == "rfc":
            # RFC 4787 REQ-1: one mapping per inside endpoint, whatever the
            # destination; REQ-8 with eif: anyone may reach it, a TCP
            # connection only by a SYN (RFC 5382 REQ-4 aside).
            ck.eq(set(syn_ports.values()), {41000},
                  label + ": one public port for 10.0.1.10:41000 to both destinations")
            ck.eq(delivered, [("198.51.100.8", (4500, 42000)), ("198.51.100.99", (5555, 41000))],
                  label + ": inbound admitted by endpoint-independent filtering")
        else:
            # The AWS gateway only lets in replies from the flow's destination.
            ck.eq(delivered, [], label + ": inbound from other endpoints let in")
            ck.eq(r.report["drops"]["no_session_inbound"], 2, label + ": drops.no_session_inbound")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, capture = sys.argv[1:3]
    nc.need_tools()
    ck = nc.Checker("replay_conformance")
    frames = nc.read_capture(capture)
    nets = nc.Nets(INSIDE)
    model = nc.model_replay(frames, nets)
    with tempfile.TemporaryDirectory(prefix="natgw-conformance-") as tmp:
        r = run_profile(ck, exe, capture, tmp, "aws", model, nets)
        if r is not None:
            # Same capture path, same options, another directory: the same bytes.
            r2 = nc.replay(exe, capture, os.path.join(tmp, "aws-again"), INSIDE, PUBLIC,
                           ["--profile", "aws"])
            ck.eq(r2.rc, 0, "determinism: exit status of the second run")
            for name in nc.OUTPUTS:
                a, b = r.path(name), r2.path(name)
                same = os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read()
                ck.check(same, "determinism: %s differs between two identical runs" % name)
        run_profile(ck, exe, capture, tmp, "rfc", model, nets)
        check_mapping_behaviour(ck, exe, tmp)
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
