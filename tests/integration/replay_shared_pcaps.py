#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_shared_pcaps: every capture of tests/data/pcaps through `natgw replay`.

Usage: replay_shared_pcaps.py NATGW PCAP_DIR

The captures come from public test suites (PCAP_DIR/SOURCES.tsv): many link
types, pcap and pcapng, fragments, VLAN and QinQ, ICMP errors, truncation,
malformed headers, checksum errors, corrupt files. Each is replayed with the
inside networks chosen for it below (so that its real traffic goes through
the NAT wherever that is possible) and --public-ip 203.0.113.10, and its
outcome is recorded in CASES, so that a change in behaviour fails the test.
The test proves, for each:

- a readable capture: exit 0; packets out, packets back, flows, every drop
  reason and every skip reason exactly as recorded; report.json's metrics,
  drops, replay counters and every flow agree with the output captures and
  with the input (natgw_check.check_replay); no inside address leaves;
  every checksum of both outputs is correct by tshark and by a one's
  complement sum, except a transport checksum the input already had wrong,
  which must come out wrong by exactly the same amount (carried, not fixed,
  not made worse);
- a corrupt capture (bad record length, pcapng with mixed link types that
  libpcap 1.10 rejects): exit status 1, one line on stderr naming the file and
  the problem, nothing on stdout, and nothing left in the output directory
  (no outside.pcap, inside.pcap, report.json, nor .part files);
- MALFORMED-tcp-bad-checksum.pcap's one packet goes from 127.0.0.1 to itself
  and cannot cross a NAT; the test also replays it re-addressed to a public
  server (its checksum error kept) and proves the error crosses unchanged.
"""

import concurrent.futures
import os
import struct
import sys
import tempfile
from collections import namedtuple

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

PRIVATE = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"

# out/back: frames in outside.pcap/inside.pcap; flows: report flows; drops,
# skipped: every non-zero reason; carried: output frames whose checksum error
# is the input's, carried through.
Ok = namedtuple("Ok", "out back flows drops skipped carried", defaults=(0, 0, 0, {}, {}, 0))
Err = namedtuple("Err", "problem")
Case = namedtuple("Case", "file inside expect profile flags", defaults=("aws", ()))

CASES = [
    # File-level corruption: the 3rd record claims a 16 MB length.
    Case("MALFORMED-bad-record-length.pcap", PRIVATE,
         Err("invalid packet capture length")),
    # 48 ICMP packets 204.252.102.11 -> 206.65.98.18 of odd types (echo reply
    # without request, redirect, unassigned): none is translated; two have an
    # IP total length beyond the frame.
    Case("MALFORMED-icmp-anomalies.pcap", "204.252.102.0/24",
         Ok(drops={"icmp_type": 46, "ip_bad_total_length": 2})),
    # 118.181.144.194 -> 136.255.115.116 with IP total length 0.
    Case("MALFORMED-ip-bogus-header-len.pcap", "118.181.144.0/24",
         Ok(drops={"ip_bad_total_length": 1})),
    # 140.211.9.206 -> 45.33.127.156 DNS with IHL 4.
    Case("MALFORMED-ipv4-invalid-hdr-length.pcap", "140.211.9.0/24",
         Ok(drops={"ip_bad_ihl": 1})),
    # 140.211.9.206 -> 45.33.127.156 DNS, total length beyond the frame.
    Case("MALFORMED-ipv4-invalid-total-length.pcap", "140.211.9.0/24",
         Ok(drops={"ip_bad_total_length": 1})),
    # 127.0.0.1 -> 127.0.0.1 SYN with a bad TCP checksum: both ends inside,
    # never the NAT's (see bad_checksum_crosses for the NAT's part).
    Case("MALFORMED-tcp-bad-checksum.pcap", "127.0.0.0/8",
         Ok(skipped={"intra_vpc": 1})),
    # 192.168.1.11 asks 209.87.249.18 over UDP.
    Case("dns-udp.pcap", PRIVATE, Ok(out=1, back=1, flows=1)),
    # 141.142.228.5 fetches from 192.150.187.43:80; both are public, the
    # client is the inside.
    Case("http-get.pcap", "141.142.228.0/24", Ok(out=7, back=7, flows=1)),
    # 192.168.1.6 pings 192.168.1.13: both private, so only the pinger is
    # inside.
    Case("icmp-150-pings.pcap", "192.168.1.6/32", Ok(out=75, back=75, flows=1)),
    # 172.16.133.2 pings 172.217.11.78.
    Case("icmp-5-pings.pcap", PRIVATE, Ok(out=5, back=5, flows=1)),
    # 10.0.0.1 and its ICMP errors, every frame cut by the snap length.
    Case("icmp-error-inner-trunc.pcap", PRIVATE, Ok(skipped={"capture_truncated": 4})),
    # 10.0.0.1 -> 10.0.0.2 time exceeded about a packet 10.0.0.2 sent: with
    # 10.0.0.2 inside, an error for a flow the NAT never saw.
    Case("icmp-timeexceeded-inner-udp.pcap", "10.0.0.2/32",
         Ok(drops={"icmp_err_no_session": 1})),
    # 10.0.0.1 -> 10.0.0.2 unreachable that quotes nothing.
    Case("icmp-unreach-no-context.pcap", "10.0.0.2/32",
         Ok(drops={"icmp_err_truncated": 1})),
    # 192.168.1.102 tells 192.168.1.1 its DNS answer was unreachable: an
    # outbound error for a flow the NAT never saw.
    Case("icmp-unreach-udp-inner.pcap", "192.168.1.102/32",
         Ok(drops={"icmp_err_no_session": 1})),
    # 2.1.1.2 pings 2.1.1.1 with a fragmented request: aws drops ICMP
    # fragments, so the reply has no session; rfc forwards both fragments
    # and delivers the reply.
    Case("ipv4-frag-icmp-echo.pcap", "2.1.1.2/32",
         Ok(drops={"frag_proto": 2, "no_session_inbound": 1})),
    Case("ipv4-frag-icmp-echo.pcap", "2.1.1.2/32", Ok(out=2, back=1, flows=1), "rfc"),
    # 192.168.1.100 -> 10.0.0.5 SYN in 2 fragments, the first too short for
    # the TCP header: aws drops TCP fragments, tiny first ones included.
    Case("ipv4-frag-tcp-syn.pcap", "192.168.0.0/16", Ok(drops={"frag_proto": 2})),
    # 164.1.123.163 -> 164.1.123.61 NetBIOS over UDP in fragments (two first
    # fragments): UDP fragments cross in both profiles.
    Case("ipv4-frag-udp.pcap", "164.1.123.163/32", Ok(out=3, flows=1)),
    Case("ipv4-frag-udp.pcap", "164.1.123.163/32", Ok(out=3, flows=1), "rfc"),
    # 136.216.42.40 -> 130.74.164.231:22, nanosecond pcap; every TCP checksum
    # of the capture is wrong (offload), and must stay wrong by as much.
    Case("nsec-http-to-ssh.pcap", "136.216.42.0/24", Ok(out=4, back=5, flows=1, carried=9)),
    # The same with --fixcsum: every checksum recomputed before the NAT, so
    # none is carried wrong.
    Case("nsec-http-to-ssh.pcap", "136.216.42.0/24", Ok(out=4, back=5, flows=1),
         flags=("--fixcsum",)),
    # http-get's session in 802.1ad QinQ.
    Case("qinq-http.pcap", "141.142.228.0/24", Ok(out=7, back=7, flows=1)),
    # LINKTYPE_RAW: 192.168.1.100 -> 9.9.9.9 DNS query.
    Case("rawip-ipv4-dlt101.pcap", PRIVATE, Ok(out=1, flows=1)),
    # LINKTYPE_IPV4: 192.168.0.2 -> 192.168.0.1:443, both private.
    Case("rawip4-dlt228-flow.pcap", "192.168.0.2/32", Ok(out=4, back=3, flows=1)),
    # LINKTYPE_IPV4: 192.168.1.100 -> 9.9.9.9 DNS query.
    Case("rawip4-dlt228.pcap", PRIVATE, Ok(out=1, flows=1)),
    # Linux cooked, nanosecond: 131.155.215.69 -> 137.116.81.94:80 handshake.
    Case("sll-nsec-tcp-handshake.pcap", "131.155.215.0/24", Ok(out=2, back=1, flows=1)),
    # Linux cooked v2: 192.168.1.253 -> 192.168.1.21:80, both private.
    Case("sll2-http.pcap", "192.168.1.253/32", Ok(out=3, back=2, flows=1)),
    # Linux cooked v2: 192.0.2.1 pings itself (never via a NAT), ARP, RARP,
    # ICMPv6.
    Case("sll2-icmp-v4v6.pcap", "192.0.2.1/32",
         Ok(drops={"not_ip": 2, "ipv6": 2}, skipped={"intra_vpc": 2})),
    # snaplen 68: every frame cut short, none replayable.
    Case("snap68-tcp-truncated-header.pcap", "201.186.157.0/24",
         Ok(skipped={"capture_truncated": 24})),
    # 192.168.4.149 -> 74.125.239.152:443 captured on the client with IP
    # checksum offload: every packet it sent has IP checksum 0, which a
    # router drops; the answers then have no session.
    Case("tls12-sni-google.pcap", PRIVATE,
         Ok(drops={"ip_bad_checksum": 23, "no_session_inbound": 19})),
    # ... and with --fixcsum, as tcprewrite --fixcsum would, the whole TLS
    # session crosses.
    Case("tls12-sni-google.pcap", PRIVATE, Ok(out=23, back=19, flows=1),
         flags=("--fixcsum",)),
    # 1.1.1.1 -> 2.2.2.2 VLAN-tagged SYN in 3 fragments, the first too short
    # for a TCP header.
    Case("vlan-frag-tcp-syn.pcap", "1.1.1.1/32", Ok(drops={"frag_proto": 3})),
    # 192.168.123.2 pings 192.168.123.1 over 802.1Q (5 requests, 4 replies),
    # plus ARP.
    Case("vlan-icmp-echo.pcap", "192.168.123.2/32",
         Ok(out=5, back=4, flows=1, drops={"not_ip": 6})),
    # A valid pcapng without packets: empty outputs, all counts zero.
    Case("pcapng-empty.pcapng", PRIVATE, Ok()),
    # Two interfaces: 172.17.0.2 and 10.0.0.4 ask 1.1.1.1; 10.0.0.4's packets
    # carry IP checksum 0 (offload), so only 172.17.0.2's exchange crosses,
    # its query's wrong UDP checksum (offload again) carried through.
    Case("pcapng-multi-if.pcapng", PRIVATE,
         Ok(out=1, back=1, flows=1, carried=1,
            drops={"ip_bad_checksum": 2, "no_session_inbound": 2})),
    # Big-endian sections, link types 0 and 1: libpcap 1.10 refuses it.
    Case("pcapng-multi-shb-be.pcapng", PRIVATE,
         Err("different from the type of the first interface")),
    # DHCP in Simple Packet Blocks: the server 192.168.0.1's offers carry IP
    # checksum 0; the client's broadcasts from 0.0.0.0 are not the NAT's.
    Case("pcapng-spb.pcapng", "192.168.0.1/32",
         Ok(drops={"ip_bad_checksum": 2}, skipped={"not_via_nat": 2})),
    # Link types 0 and 1: libpcap 1.10 refuses it.
    Case("pcapng-two-linktypes.pcapng", PRIVATE,
         Err("different from the type of the first interface")),
]


def run_case(exe, pdir, tmp, n, case):
    ck = nc.Checker("case", quiet=True)
    label = "%s [%s]" % (case.file, ", ".join((case.inside, case.profile) + case.flags))
    capture = os.path.join(pdir, case.file)
    outdir = os.path.join(tmp, "%02d-%s" % (n, case.file))
    # A small session table: these captures hold a handful of flows, and
    # natgw's EAL memory (and start-up time) grows with the table.
    r = nc.replay(exe, capture, outdir, case.inside, nc.PUBLIC_IP,
                  ["--profile", case.profile, "--max-sessions", "4096"] + list(case.flags))
    e = case.expect
    if isinstance(e, Err):
        ck.eq(r.rc, 1, label + ": exit status")
        lines = r.stderr.splitlines()
        ck.check(len(lines) == 1 and capture in lines[0] and e.problem in lines[0],
                 "%s: stderr should be one line naming %s and '%s', got %r"
                 % (label, capture, e.problem, r.stderr))
        ck.eq(r.stdout, "", label + ": stdout")
        ck.eq(r.leftovers(), [], label + ": files left in the output directory")
        return ck, "%s: refused (%s)" % (label, e.problem)
    if not ck.eq(r.rc, 0, "%s: exit status (stderr %r)" % (label, r.stderr)):
        return ck, label + ": FAILED"
    ck.eq(r.stderr, "", label + ": stderr")
    frames = nc.read_capture(capture)
    nets = nc.Nets(case.inside)
    model = nc.model_replay(frames, nets)
    carried = nc.check_replay(ck, label, r, model, nets, tmp)
    rep = r.report
    got = Ok(out=len(r.outside), back=len(r.inside), flows=len(rep["flows"]),
             drops={k: v for k, v in rep["drops"].items() if v},
             skipped={k: v for k, v in rep["replay"]["skipped"].items() if v},
             carried=carried)
    ck.eq(got, e, label + ": outcome")
    return ck, "%s: %d out, %d back, %d flows, drops %s, skipped %s" % (
        label, got.out, got.back, got.flows, got.drops or "none", got.skipped or "none")


def bad_checksum_crosses(exe, pdir, tmp):
    """MALFORMED-tcp-bad-checksum.pcap's SYN re-addressed to 198.51.100.80
    (IP checksum made right, TCP checksum moved by the same delta, so its
    error stays what it was): the NAT must carry the error through."""
    ck = nc.Checker("case", quiet=True)
    label = "MALFORMED-tcp-bad-checksum.pcap re-addressed to 198.51.100.80"
    src = nc.read_capture(os.path.join(pdir, "MALFORMED-tcp-bad-checksum.pcap"))
    fr = src[0]
    d = bytearray(fr.data)
    l2 = nc.locate_l3(fr.linktype, fr.data)
    o = l2.off
    ip = nc.ipv4_of(fr)
    before = nc.checksum_sums(ip)
    ck.check(before["ip"] == 0xFFFF and before.get("tcp", 0xFFFF) != 0xFFFF,
             label + ": the capture's TCP checksum should be wrong, its IP one right")
    old_dst = bytes(d[o + 16:o + 20])
    new_dst = bytes([198, 51, 100, 80])
    d[o + 16:o + 20] = new_dst
    d[o + 10:o + 12] = b"\0\0"
    d[o + 10:o + 12] = struct.pack("!H", 0xFFFF - nc.ones_sum(d[o:o + ip.ihl]))
    # RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
    cs = o + ip.ihl + 16
    hc = struct.unpack("!H", d[cs:cs + 2])[0]
    acc = (~hc & 0xFFFF) + (0xFFFF - nc.ones_sum(old_dst)) + nc.ones_sum(new_dst)
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    d[cs:cs + 2] = struct.pack("!H", ~acc & 0xFFFF)
    derived = nc.Frame(fr.ts_ns, bytes(d), fr.wirelen, fr.linktype)
    tcp_err = nc.checksum_sums(nc.ipv4_of(derived))["tcp"]
    ck.eq(tcp_err, before["tcp"], label + ": test's re-addressing kept the TCP error")
    cap = os.path.join(tmp, "tcp-bad-checksum-public.pcap")
    nc.write_pcap(cap, [derived])
    inside = "127.0.0.0/8"
    r = nc.replay(exe, cap, os.path.join(tmp, "tcp-bad-checksum-public"), inside)
    if not ck.eq(r.rc, 0, label + ": exit status"):
        return ck, label + ": FAILED"
    nets = nc.Nets(inside)
    carried = nc.check_replay(ck, label, r, nc.model_replay([derived], nets), nets, tmp)
    ck.eq((len(r.outside), len(r.inside), carried), (1, 0, 1),
          label + ": (frames out, frames back, carried checksum errors)")
    if r.outside:
        out = nc.ipv4_of(r.outside[0])
        sums = nc.checksum_sums(out)
        ck.eq(sums.get("tcp"), tcp_err, label + ": TCP checksum error after the NAT")
        ck.eq(sums["ip"], 0xFFFF, label + ": IP checksum after the NAT")
        ck.eq(nc.tshark_bad([r.outside[0]], tmp), [{"tcp"}],
              label + ": tshark's verdict on the output (TCP bad, IP good)")
    return ck, "%s: TCP checksum error %#06x carried through" % (label, tcp_err)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, pdir = sys.argv[1:3]
    nc.need_tools()
    ck = nc.Checker("replay_shared_pcaps")
    files = sorted(f for f in os.listdir(pdir) if f != "SOURCES.tsv")
    listed = {c.file for c in CASES}
    ck.eq(sorted(set(files) - listed), [], "captures without an expected outcome in CASES")
    ck.eq(sorted(listed - set(files)), [], "CASES for captures that are not there")
    with tempfile.TemporaryDirectory(prefix="natgw-shared-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(run_case, exe, pdir, tmp, n, c) for n, c in enumerate(CASES)]
            jobs.append(pool.submit(bad_checksum_crosses, exe, pdir, tmp))
            for j in jobs:
                sub, summary = j.result()
                print(("FAILED " if sub.failures else "ok     ") + summary, flush=True)
                ck.merge(sub)
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
