#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""synth_capture: `natgw synth -w` writes a sound capture, and it replays.

Usage: synth_capture.py NATGW GEN_CAPTURES_PY AWS_IP_RANGES_JSON

The synthetic ECS scenario (a short one, with ICMP echoes) written as a
capture is read back with tshark and with scapy, independently of the
library, and proves:

- the same parameters give the same bytes; the summary says every session
  completed;
- every checksum is right (tshark's validation, scapy's rebuild, and a ones'
  complement sum here), and tshark's TCP analysis flags nothing (no
  retransmission, lost segment, dup ACK, zero window, keep-alive...);
- per TCP flow: the handshake (SYN with MSS and window scale from the host,
  SYN-ACK acknowledging its ISN, then ACK), every data segment in the
  sequence space without gaps, every byte and each FIN of both sides
  acknowledged by the other, data bytes at a sequence number never changing;
- every DNS query has one answer with its ID and question, from the address
  asked; the answers give the destination table's addresses, which are
  tools/gen_captures.py's AWS_ENDPOINTS and NON_AWS, checked against
  AWS's ip-ranges.json as that script checks its own;
- every TLS connection opens with a ClientHello whose SNI is a name that
  DNS resolved to the connection's destination;
- the capture replays through natgw (--inside-net 10.0.0.0/16 --public-ip
  203.0.113.10) with every check of the other replay tests, strict checksums.
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

SYNTH = "duration=80,launch=30,image=300k,pings=2,internet=1,burst=300k,burst_at=60"
INSIDE = "10.0.0.0/16"


def synth(exe, path, extra=()):
    return subprocess.run([exe, "synth", "--synth", SYNTH, "-w", path] + list(extra),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120)


def load_gen_captures(path):
    spec = importlib.util.spec_from_file_location("gen_captures", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tshark_lines(path, fields, filt=None):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    if filt:
        cmd += ["-Y", filt]
    for f in fields:
        cmd += ["-e", f]
    p = nc.run(cmd)
    if p.returncode != 0:
        raise RuntimeError("tshark: " + p.stderr.strip())
    return [line.split("\t") for line in p.stdout.splitlines()]


def check_tcp(ck, pkts):
    """The TCP rules above, per flow, from scapy's reading of the frames."""
    from scapy.layers.inet import IP, TCP

    flows = defaultdict(list)
    for p in pkts:
        if TCP not in p:
            continue
        ip, t = p[IP], p[TCP]
        a, b = (ip.src, t.sport), (ip.dst, t.dport)
        flows[tuple(sorted((a, b)))].append((a, t))
    ck.check(len(flows) > 20, "only %d TCP flows" % len(flows))
    for key, segs in flows.items():
        name = "%s:%d <-> %s:%d" % (key[0] + key[1])
        host = segs[0][0]
        t0, t1, t2 = (s[1] for s in segs[:3])
        ck.check(t0.flags == "S" and segs[0][0][0].startswith("10.0."),
                 "%s: does not open with the host's SYN" % name)
        opts = dict(o for o in t0.options if isinstance(o, tuple) and len(o) == 2)
        ck.check("MSS" in opts and "WScale" in opts, "%s: SYN without MSS and window scale"
                 % name)
        ck.check(t1.flags == "SA" and t1.ack == (t0.seq + 1) & 0xFFFFFFFF,
                 "%s: no SYN-ACK acknowledging the ISN" % name)
        ck.check(t2.flags == "A" and t2.ack == (t1.seq + 1) & 0xFFFFFFFF,
                 "%s: no ACK ending the handshake" % name)
        isn = {host: t0.seq}
        other = [s[0] for s in segs if s[0] != host][0]
        isn[other] = t1.seq
        end = {host: 0, other: 0}        # bytes sent, from ISN + 1
        fin = {host: None, other: None}  # offset of the FIN
        acked = {host: 0, other: 0}      # the peer's highest ACK, as an offset
        data = {}
        for who, t in segs:
            if "S" in t.flags:
                continue
            off = (t.seq - isn[who] - 1) & 0xFFFFFFFF
            # The IP length says where the segment ends: a short frame
            # carries Ethernet padding after it.
            ip = t.underlayer
            pl = bytes(t.payload)[:ip.len - ip.ihl * 4 - t.dataofs * 4]
            if pl:
                ck.check(off <= end[who], "%s: data at %d past a gap (%d sent)" %
                         (name, off, end[who]))
                k = (who, off, len(pl))
                ck.check(data.setdefault(k, pl) == pl,
                         "%s: other bytes at sequence offset %d" % (name, off))
                end[who] = max(end[who], off + len(pl))
            if "F" in t.flags:
                fin[who] = off + len(pl)
            if "A" in t.flags:
                peer = other if who == host else host
                acked[peer] = max(acked[peer], (t.ack - isn[peer] - 1) & 0xFFFFFFFF)
        for who in (host, other):
            ck.check(fin[who] is not None, "%s: %s sent no FIN" % (name, who[0]))
            want = end[who] + (1 if fin[who] is not None else 0)
            ck.check(acked[who] == want, "%s: %s's %d bytes and FIN: %d acknowledged" %
                     (name, who[0], end[who], acked[who]))
    return len(flows)


def dns_rrs(d):
    """The answer records, whichever way this scapy holds them."""
    an = d.an
    if an is None:
        return []
    if isinstance(an, list):
        return an
    out = []
    while an is not None and an.__class__.__name__ == "DNSRR":
        out.append(an)
        an = an.payload if an.payload.__class__.__name__ == "DNSRR" else None
    return out


def check_dns(ck, pkts, gen):
    """Queries and answers pair up; the addresses are the table's."""
    from scapy.layers.dns import DNS
    from scapy.layers.inet import IP, UDP

    queries, answers = {}, defaultdict(list)
    for p in pkts:
        if UDP not in p or DNS not in p or 53 not in (p[UDP].sport, p[UDP].dport):
            continue
        d = p[DNS]
        if d.qr == 0:
            queries[(p[IP].src, p[UDP].sport, d.id)] = (p[IP].dst, d.qd.qname)
        else:
            answers[(p[IP].dst, p[UDP].dport, d.id)].append((p[IP].src, d))
    ck.check(len(queries) > 10, "only %d DNS queries" % len(queries))
    resolved = defaultdict(set)
    want = {n: v[0] for n, v in gen.AWS_ENDPOINTS.items()}
    want.update(gen.NON_AWS)
    for k, (server, qname) in queries.items():
        got = answers.get(k, [])
        if not ck.eq(len(got), 1, "answers to the query %r from %s" % (qname, k[0])):
            continue
        src, d = got[0]
        ck.eq(src, server, "the answer to %r comes from the address asked" % qname)
        ck.eq(d.qd.qname, qname, "the answer's question")
        name = qname.decode().rstrip(".")
        a = [rr.rdata for rr in dns_rrs(d) if rr.type == 1]
        ck.check(a and a[0] == want.get(name), "%s resolved to %r, want %r" %
                 (name, a, want.get(name)))
        if a:
            resolved[a[0]].add(name)
    return resolved


def check_sni(ck, path, resolved):
    rows = tshark_lines(path, ["tcp.stream", "ip.dst", "tls.handshake.extensions_server_name"],
                        "tls.handshake.type == 1")
    streams = {r[0] for r in tshark_lines(path, ["tcp.stream"], "tcp.flags.syn == 1 && "
                                          "tcp.flags.ack == 0")}
    ck.eq({r[0] for r in rows}, streams, "a ClientHello on every TCP connection")
    for stream, dst, sni in rows:
        ck.check(sni in resolved.get(dst, ()), "stream %s: SNI %r is not a name DNS gave "
                 "%s (%r)" % (stream, sni, dst, sorted(resolved.get(dst, ()))))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    exe, gen_path, ranges = sys.argv[1:4]
    nc.need_tools()
    ck = nc.Checker("synth_capture")
    gen = load_gen_captures(gen_path)
    with tempfile.TemporaryDirectory(prefix="natgw-synth-") as tmp:
        cap = os.path.join(tmp, "ecs.pcap")
        p = synth(exe, cap)
        if not ck.eq(p.returncode, 0, "natgw synth exit status (%s)" % p.stderr):
            sys.exit(ck.finish())
        ck.eq(p.stderr, "", "stderr (quiet in a pipe: no progress)")
        ck.check(" 0 failed" in p.stdout and "completed" in p.stdout and
                 "wrote " + cap in p.stdout, "summary: %r" % p.stdout)
        again = os.path.join(tmp, "again.pcap")
        synth(exe, again, ["-q"])
        with open(cap, "rb") as a, open(again, "rb") as b:
            ck.check(a.read() == b.read(), "the same parameters gave other bytes")
        ck.check(not os.path.exists(cap + ".part"), "a .part file left behind")

        frames = nc.read_capture(cap)
        ck.check(all(f.linktype == 1 for f in frames), "not all Ethernet")
        with open(cap, "rb") as f:
            ck.eq(f.read(4), b"\x4d\x3c\xb2\xa1", "nanosecond pcap magic")
        tsh = nc.tshark_bad(frames, tmp)
        for i, (fr, tb) in enumerate(zip(frames, tsh)):
            ip = nc.ipv4_of(fr)
            ck.check(ip is not None, "frame %d is not IPv4" % (i + 1))
            if ip is None:
                continue
            ck.check(not tb, "frame %d: tshark finds bad %s checksums" % (i + 1, sorted(tb)))
            ck.check(not nc.bad_sums(nc.checksum_sums(ip)), "frame %d: bad checksum sums"
                     % (i + 1))
            sb = nc.scapy_bad(fr.data)
            ck.check(sb == set(), "frame %d: scapy disagrees with %s" % (i + 1, sb))
        flags = tshark_lines(cap, ["frame.number", "tcp.analysis.flags"],
                             "tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= "
                             "warning")
        ck.eq(flags, [], "tshark's analysis flags and warnings")

        from scapy.layers.l2 import Ether
        pkts = [Ether(f.data) for f in frames]
        n_tcp = check_tcp(ck, pkts)
        resolved = check_dns(ck, pkts, gen)
        check_sni(ck, cap, resolved)
        from scapy.layers.inet import ICMP
        echo = [p[ICMP].type for p in pkts if ICMP in p]
        ck.check(echo.count(8) > 0 and echo.count(8) == echo.count(0),
                 "ICMP echoes answered: %r" % echo)
        ck.check(gen.check_ranges(ranges), "the destination table against ip-ranges.json")

        nets = nc.Nets(INSIDE)
        model = nc.model_replay(frames, nets)
        r = nc.replay(exe, cap, os.path.join(tmp, "out"), inside=INSIDE, extra=["--no-plot"])
        if ck.eq(r.rc, 0, "exit status of " + r.describe() + ": " + r.stderr):
            nc.check_replay(ck, "synth capture", r, model, nets, tmp, strict=True)
            ck.check(len(r.report["flows"]) > 20, "the capture's flows went through")
        print("synth capture: %d frames, %d TCP flows checked" %
              (len(frames), n_tcp))
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
