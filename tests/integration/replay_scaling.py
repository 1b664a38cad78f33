#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_scaling: the elastic ceiling in replay, with --speedup and --gateway.

Usage: replay_scaling.py NATGW

Two captures are made here, each frame a 1,428-byte IP packet (UDP, 1,400
bytes of payload) from one of four /24s (10.0.1.0/24 .. 10.0.4.0/24, round
robin) to one internet host, and replayed 1000 times as fast as they were
"captured" (--speedup 1000), so that Mbps in the capture are Gbps in the
replay. The model's clock is shortened in proportion with --scale (epochs of
20 us, windows of 100 us, 200 us of pressure and 200 us between steps instead
of 1 ms, 1 s, 60 s, 60 s), so that a few megabytes show what minutes of real
traffic would. The test proves:

- demand that jumps from 3 to 17 Gbps and climbs to 31 Gbps, through one
  gateway: the ceiling steps from 5 Gbps up to at least 30 Gbps; packets are
  dropped; and every epoch that dropped a packet was offered more than the
  ceiling in force (the input's own bytes, against the steps report.json
  logs), so drops happen only while demand exceeds the ceiling;
- the same capture through four gateways, one per /24 (--gateway), drops
  nothing: each sees a quarter of the demand (4.25 Gbps after the jump, below
  its 5 Gbps) and steps up before the climb reaches its ceiling; and that
  run's comparison with one gateway in their place (one_gateway_instead)
  comes within 10% of the drops the one-gateway replay counted;
- an overload of 3x a fixed 5 Gbps ceiling for 100 epochs forwards within 2%
  of 5 Gbps, and the drops are counted as bandwidth_ceiling in PacketsDropCount;
- report.json's gateways[] carries each ceiling's steps and timeline, and
  timeline.png is drawn (timeline-gwN.png with several gateways);
- bad --scale and --gateway values are one-line errors with exit status 2.
"""

import os
import struct
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

SPEEDUP = 1000
PAYLOAD = 1400
IP_LEN = 20 + 8 + PAYLOAD
NETS = ["10.0.%d.0/24" % g for g in range(1, 5)]
PUBS = ["203.0.113.%d" % (11 + g) for g in range(4)]
DST = bytes([198, 51, 100, 50])
FAST = "epoch=20us,window=100us,up_after=200us,gap=200us"
ROUTER = bytes.fromhex("02000a0000fe")


def frame(g, seq):
    """One datagram from host 10.0.g+1.10, its IPv4 checksum filled in."""
    src = bytes([10, 0, g + 1, 10])
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, IP_LEN, seq & 0xFFFF, 0, 64, 17, 0,
                               src, DST))
    struct.pack_into("!H", ip, 10, ~nc.ones_sum(bytes(ip)) & 0xFFFF)
    udp = struct.pack("!HHHH", 40000 + g, 9000, 8 + PAYLOAD, 0)
    eth = ROUTER + bytes.fromhex("02000a%02x000a" % (g + 1)) + b"\x08\x00"
    return eth + bytes(ip) + udp + bytes(PAYLOAD)


def make(path, rate_at, duration_ns):
    """Frames at the replayed rate rate_at(t) (bits/s at virtual time t ns),
    written with timestamps SPEEDUP times as far apart. Returns the virtual
    send times."""
    frames, times, t, seq = [], [], 0.0, 0
    t0 = 1_700_000_000 * 10**9
    while t < duration_ns:
        g = seq % 4
        frames.append(nc.Frame(t0 + int(t * SPEEDUP), frame(g, seq), IP_LEN + 14, 1))
        times.append(t)
        seq += 1
        t += IP_LEN * 8 / rate_at(t) * 1e9
    nc.write_pcap(path, frames)
    return t0, times


def replay(exe, pcap, out, gateways=False, scale=FAST):
    extra = ["--speedup", str(SPEEDUP), "--scale", scale, "--max-sessions", "4096"]
    if gateways:
        for n, p in zip(NETS, PUBS):
            extra += ["--gateway", "%s=%s" % (n, p)]
        return nc.replay(exe, pcap, out, inside=None, public=None, extra=extra)
    return nc.replay(exe, pcap, out, inside="10.0.0.0/16", public=nc.PUBLIC_IP, extra=extra)


def ceiling_at(steps, t):
    c = 5e9
    for s in steps:
        if s["dim"] == "bps" and s["t_ns"] <= t:
            c = s["to"]
    return c


def check_ramp(ck, exe, tmp):
    def demand(t):
        """3 Gbps for 0.5 ms, then 17 Gbps climbing to 31 over 3 ms."""
        return 3e9 if t < 0.5e6 else min(31e9, 17e9 + 14e9 * (t - 0.5e6) / 3e6)

    pcap = os.path.join(tmp, "ramp.pcap")
    t0, times = make(pcap, demand, 4.5e6)
    r = replay(exe, pcap, os.path.join(tmp, "one"))
    if not ck.eq(r.rc, 0, "exit status of " + r.describe() + " " + r.stderr):
        return
    gws = r.report["gateways"]
    ck.eq(len(gws), 1, "one gateway")
    ceil = gws[0]["ceiling"]
    steps = [s for s in ceil["steps"] if s["dim"] == "bps"]
    ck.check(steps and steps[0]["from"] == 5e9, "the first step is from 5 Gbps: %r" % steps[:1])
    ck.check(all(a["to"] == b["from"] for a, b in zip(steps, steps[1:])),
             "bandwidth steps chain: %r" % steps)
    top = steps[-1]["to"] if steps else 5e9
    ck.check(top >= 30e9, "the ceiling stepped from 5 Gbps towards the 31 Gbps demand, "
             "got to %.3g" % top)
    drops = r.report["drops"]
    ck.check(drops["bandwidth_ceiling"] > 0, "one gateway dropped nothing over its ceiling")
    ck.eq(drops["bandwidth_ceiling"] + drops["packet_rate_ceiling"],
          r.report["metrics"]["PacketsDropCount"], "ceiling drops are PacketsDropCount")
    # Which packets went through: outside.pcap holds them in order, each
    # with its IP id (the input's sequence number) kept by the NAT.
    sent = {nc.ipv4_of(fr).id for fr in r.outside}
    epoch = 20_000
    offered, dropped = {}, {}
    base = r.report["capture"]["first_ns"]
    for seq, t in enumerate(times):
        e = int(t) // epoch
        offered[e] = offered.get(e, 0) + IP_LEN * 8
        if (seq & 0xFFFF) not in sent:
            dropped[e] = dropped.get(e, 0) + 1
    ck.eq(sum(dropped.values()), drops["bandwidth_ceiling"], "drops found in outside.pcap")
    bad = [e for e in dropped if offered[e] / (epoch / 1e9) <=
           ceiling_at(steps, base + e * epoch)]
    ck.check(not bad, "epochs that dropped without demand above the ceiling: %r" % bad[:10])
    ck.check(os.path.exists(r.path("timeline.png")), "timeline.png drawn")

    r4 = replay(exe, pcap, os.path.join(tmp, "four"), gateways=True)
    if not ck.eq(r4.rc, 0, "exit status of " + r4.describe() + " " + r4.stderr):
        return
    ck.eq(len(r4.report["gateways"]), 4, "four gateways")
    ck.eq(r4.report["drops"]["bandwidth_ceiling"], 0, "drops over the ceiling, four gateways")
    for n, g in enumerate(r4.report["gateways"]):
        ck.eq(g["inside_nets"], [NETS[n]], "gateway %d's networks" % n)
        ck.eq(g["public_ips"], [PUBS[n]], "gateway %d's address" % n)
        ck.check(g["metrics"]["PacketsOutToDestination"] > 0, "gateway %d forwarded" % n)
        ck.check(os.path.exists(r4.path("timeline-gw%d.png" % n)), "timeline-gw%d.png" % n)
        ck.check(g.get("cost_month", {}).get("nat", 0) > 0, "gateway %d's own bill" % n)
    ck.eq(r4.report["metrics"]["PacketsOutToDestination"], len(times),
          "four gateways forwarded every packet")
    # The comparison in the same run: one gateway in their place, fed all
    # their traffic, drops about what the one-gateway replay did.
    one = r4.report.get("one_gateway_instead")
    if ck.check(one is not None, "four gateways: report.json compares one gateway"):
        ck.check(abs(one["dropped_pkts_one"] - drops["bandwidth_ceiling"]) <=
                 0.1 * drops["bandwidth_ceiling"],
                 "one gateway instead would drop %d packets; the one-gateway replay "
                 "dropped %d" % (one["dropped_pkts_one"], drops["bandwidth_ceiling"]))
        ck.eq(one["dropped_bytes_these"], 0, "four gateways dropped no bytes")
        ck.check("one gateway instead of these 4" in r4.stdout,
                 "the summary compares one gateway against four")
    # Each flow left by its own gateway's address.
    for f in r4.report["flows"]:
        g = int(f["inside_ip"].split(".")[2]) - 1
        ck.eq(f["public_ip"], PUBS[g], "flow of %s leaves by its gateway" % f["inside_ip"])


def check_overload(ck, exe, tmp):
    """3x a fixed 5 Gbps for 100 epochs of 50 us: within 2% of 5 Gbps."""
    epoch = 50_000
    dur = 100 * epoch
    pcap = os.path.join(tmp, "over.pcap")
    make(pcap, lambda t: 15e9, dur)
    r = replay(exe, pcap, os.path.join(tmp, "over"),
               scale="bps_start=5G,bps_max=5G,pps_start=100M,pps_max=100M,epoch=50us")
    if not ck.eq(r.rc, 0, "exit status of " + r.describe() + " " + r.stderr):
        return
    m = r.report["metrics"]
    rate = m["BytesOutToDestination"] * 8 / (dur / 1e9)
    ck.check(abs(rate - 5e9) <= 0.02 * 5e9,
             "forwarded %.4g bit/s under overload, ceiling 5e9 (within 2%%)" % rate)
    ck.eq(m["PacketsDropCount"], r.report["drops"]["bandwidth_ceiling"],
          "overload drops are bandwidth_ceiling")
    ck.check(m["PacketsDropCount"] > m["PacketsOutToDestination"],
             "about two thirds dropped at 3x the ceiling")


def check_errors(ck, exe, tmp):
    for args, words in ((["--scale", "bps_start=fast"], ["--scale", "bps_start"]),
                        (["--scale", "bps_start=50G,bps_max=45G"], ["--scale"]),
                        (["--gateway", "10.0.1.0/24"], ["--gateway", "NETS=IPS"]),
                        (["--gateway", "10.0.1.0/24=203.0.113.11", "--gateway",
                          "10.0.1.128/25=203.0.113.12"], ["overlap"]),
                        (["--gateway", "10.0.1.0/24=203.0.113.11", "-i", "10.0.0.0/16"],
                         ["--gateway", "--inside-net"])):
        out = os.path.join(tmp, "bad")
        r = nc.replay(exe, None, out, inside=None, public=None, extra=args)
        ck.eq(r.rc, 2, "exit status of " + r.describe())
        lines = r.stderr.strip().splitlines()
        ck.check(len(lines) == 1 and all(w in r.stderr for w in words),
                 "%s: want one line naming %s, got %r" % (r.describe(), words, r.stderr))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exe = sys.argv[1]
    ck = nc.Checker("replay_scaling")
    with tempfile.TemporaryDirectory(prefix="natgw-scale-") as tmp:
        check_ramp(ck, exe, tmp)
        check_overload(ck, exe, tmp)
        check_errors(ck, exe, tmp)
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
