#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of tests/live/lab.sh: the UDP echo server and client that run in
the lab's namespaces, and the checks of natgw's JSON (telemetry answers,
reports). Each subcommand prints one line per check, PASS or FAIL, and exits
non-zero if any check failed. Standard library only."""
import json
import socket
import sys

FAILED = 0


def check(ok, what):
    global FAILED
    print("%s: %s" % ("PASS" if ok else "FAIL", what), flush=True)
    if not ok:
        FAILED += 1
    return ok


def payload(flow, i):
    """The i-th datagram of a flow: deterministic size and bytes, so that two
    runs send the very same packets."""
    size = 32 + (flow * 97 + i * 131) % 1200
    return bytes((flow * 31 + i * 7 + k) & 0xFF for k in range(size))


# ---------------------------------------------------------------- UDP echo

def udp_server(addr, ports, log):
    """Echo every datagram back to its sender, on each of @ports; log who
    sent what (source address, port, length), one line each."""
    socks = []
    for p in ports.split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, int(p)))
        socks.append(s)
    import selectors
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    with open(log, "a", buffering=1) as f:
        f.write("ready\n")
        while True:
            for key, _ in sel.select():
                data, peer = key.fileobj.recvfrom(65535)
                key.fileobj.sendto(data, peer)
                f.write("%s %d %d\n" % (peer[0], peer[1], len(data)))


def udp_client(src, server, ports, flows, count, sport_base, out):
    """@flows flows from @src:sport_base+f to @server on the ports of @ports
    in turn, @count datagrams each, one at a time: every echo must come back,
    from the server, with the same bytes. Writes what each flow should have
    cost the NAT (IP bytes) to @out as JSON."""
    dports = [int(p) for p in ports.split(",")]
    expect = []
    for f in range(flows):
        dport = dports[f % len(dports)]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, sport_base + f))
        s.settimeout(3.0)
        good = 0
        why = ""
        for i in range(count):
            p = payload(f, i)
            s.sendto(p, (server, dport))
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                why = "datagram %d: no echo in 3 s" % i
                break
            if data != p or peer != (server, dport):
                why = "datagram %d: echo of %d bytes from %s differs" % (i, len(data), peer)
                break
            good += 1
        s.close()
        # What the NAT should have counted: every datagram, IP bytes, each way.
        nbytes = sum(20 + 8 + len(payload(f, i)) for i in range(count))
        check(good == count, "udp flow %s:%d -> %s:%d: %d/%d echoes%s" % (
            src, sport_base + f, server, dport, good, count, " (" + why + ")" if why else ""))
        expect.append({"proto": "udp", "inside_ip": src, "inside_port": sport_base + f,
                       "destination_ip": server, "destination_port": dport,
                       "packets_out": count, "bytes_out": nbytes,
                       "packets_in": count, "bytes_in": nbytes})
    with open(out, "w") as fh:
        json.dump(expect, fh)


def expect_icmp(out, src, dst, ident, count, size):
    """Add ping's flow to the expectations: @count echoes of @size data bytes
    each way (IP bytes: 20 + 8 + size)."""
    with open(out) as fh:
        expect = json.load(fh)
    n = int(count) * (28 + int(size))
    expect.append({"proto": "icmp", "inside_ip": src, "inside_port": int(ident),
                   "destination_ip": dst, "destination_port": 0,
                   "packets_out": int(count), "bytes_out": n,
                   "packets_in": int(count), "bytes_in": n})
    with open(out, "w") as fh:
        json.dump(expect, fh)


def server_log(log, public, flows, count):
    """The UDP server saw only the public address, and every datagram."""
    peers = {}
    with open(log) as f:
        for line in f:
            w = line.split()
            if len(w) == 3:
                peers[w[0]] = peers.get(w[0], 0) + 1
    check(set(peers) == {public}, "UDP server saw only %s as source (saw %s)" % (
        public, ", ".join("%s x%d" % kv for kv in sorted(peers.items())) or "nothing"))
    check(sum(peers.values()) == flows * count, "UDP server got %d datagrams, %d sent" % (
        sum(peers.values()), flows * count))


# ---------------------------------------------------------------- telemetry

def telemetry(path, cmd):
    """dpdk-telemetry.py's output: the JSON object answering @cmd."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if cmd in o:
                    return o[cmd]
    return None


def tel_check(stats_path, metrics_path):
    st = telemetry(stats_path, "/natgw/stats")
    if check(isinstance(st, dict), "telemetry /natgw/stats answered"):
        w0 = st.get("worker0", {})
        check(w0.get("rx_inside", 0) > 0 and w0.get("tx_outside", 0) > 0 and
              w0.get("rx_outside", 0) > 0 and w0.get("tx_inside", 0) > 0,
              "telemetry /natgw/stats: worker0 moved packets both ways (rx_inside %s, "
              "tx_outside %s, rx_outside %s, tx_inside %s)" % (
                  w0.get("rx_inside"), w0.get("tx_outside"), w0.get("rx_outside"),
                  w0.get("tx_inside")))
        ip = st.get("inside_port", {})
        check(ip.get("rx_packets", 0) > 0 and ip.get("name", "").startswith("net_af_packet"),
              "telemetry /natgw/stats: inside port %s received %s packets" % (
                  ip.get("name"), ip.get("rx_packets")))
    m = telemetry(metrics_path, "/natgw/metrics")
    if check(isinstance(m, dict), "telemetry /natgw/metrics answered"):
        names = ("PacketsOutToDestination", "PacketsOutToSource", "BytesOutToDestination",
                 "ConnectionEstablishedCount")
        check(all(m.get(n, 0) > 0 for n in names),
              "telemetry /natgw/metrics: %s" % ", ".join("%s %s" % (n, m.get(n)) for n in names))
        check(isinstance(m.get("drops"), dict) and "no_session_inbound" in m["drops"],
              "telemetry /natgw/metrics has drops by reason")


def tel_flows(path, want):
    """/natgw/flows asks every worker for its sessions: with two workers, all
    of the run's flows must be listed, each once, from the public address."""
    fl = telemetry(path, "/natgw/flows")
    if not check(isinstance(fl, dict), "telemetry /natgw/flows,40 answered"):
        return
    recs = [v for k, v in fl.items() if k.isdigit()]
    recs = [json.loads(r) if isinstance(r, str) else r for r in recs]
    keys = sorted("%s %s:%s" % (r.get("proto"), r.get("inside_ip"), r.get("inside_port"))
                  for r in recs if isinstance(r, dict))
    check(fl.get("count") == int(want) and len(set(keys)) == int(want),
          "telemetry /natgw/flows: %s sessions listed, %s expected (%s)" % (
              fl.get("count"), want, ", ".join(keys)))


# ---------------------------------------------------------------- reports

def load(path):
    with open(path) as f:
        return json.load(f)


def flow_key(f):
    return (f["proto"], f["inside_ip"], f["inside_port"], f["destination_ip"],
            f["destination_port"])


COUNTS = ("packets_out", "bytes_out", "packets_in", "bytes_in")


def det_flows(rep):
    """The report's UDP and ICMP flows (deterministic traffic), by key. Two
    records of one key (a flow that ended and came back) are added up."""
    out = {}
    for f in rep.get("flows", []):
        if f["proto"] not in ("udp", "icmp"):
            continue
        acc = out.setdefault(flow_key(f), dict.fromkeys(COUNTS, 0))
        for c in COUNTS:
            acc[c] += f[c]
    return out


def report_common(rep, label, expect_path, mac_in, mac_out, public, workers):
    """What every run's report must say."""
    dp = rep.get("dataplane", {})
    check(dp.get("workers_n") == workers, "%s: %s worker(s) in the report" % (
        label, dp.get("workers_n")))
    macs = {p.get("side"): str(p.get("mac")).lower() for p in dp.get("ports", [])}
    check(macs.get("inside") == mac_in.lower() and macs.get("outside") == mac_out.lower(),
          "%s: ports' MACs are the gateway veths' (inside %s, outside %s)" % (
              label, macs.get("inside"), macs.get("outside")))
    flows = det_flows(rep)
    for e in load(expect_path):
        got = flows.get(flow_key(e))
        want = {c: e[c] for c in COUNTS}
        check(got == want, "%s: flow %s %s:%d -> %s:%d accounted %s (sent %s)" % (
            label, e["proto"], e["inside_ip"], e["inside_port"], e["destination_ip"],
            e["destination_port"], got, want))
    pubs = {f.get("public_ip") for f in rep.get("flows", [])}
    check(pubs == {public}, "%s: every flow left from %s (%s)" % (
        label, public, ", ".join(sorted(str(p) for p in pubs))))
    ws = dp.get("workers", [])
    out_ = sum(w.get("handoff_out", 0) for w in ws)
    in_ = sum(w.get("handoff_in", 0) for w in ws)
    hd = sum(w.get("handoff_drop", 0) for w in ws)
    check(out_ == in_ + hd and hd == 0,
          "%s: handoffs consistent: out %d == in %d + dropped %d, none dropped" % (
              label, out_, in_, hd))
    txd = sum(w.get("tx_drop", {}).get(s, 0) for w in ws for s in ("inside", "outside"))
    check(txd == 0, "%s: no packet refused by a port (tx_drop %d)" % (label, txd))
    return flows


def check_one(path, expect_path, mac_in, mac_out, public, unsolicited):
    """The one-worker run, which also had TCP and unsolicited inbound traffic."""
    rep = load(path)
    report_common(rep, "1 worker", expect_path, mac_in, mac_out, public, 1)
    drops = rep.get("drops", {})
    check(drops.get("no_session_inbound") == int(unsolicited),
          "1 worker: drops no_session_inbound %s == the %s unsolicited packets seen "
          "going to %s" % (drops.get("no_session_inbound"), unsolicited, public))
    m = rep.get("metrics", {})
    check(m.get("PacketsDropCount") == int(unsolicited),
          "1 worker: PacketsDropCount %s: nothing but the unsolicited packets dropped (%s)" % (
              m.get("PacketsDropCount"),
              ", ".join("%s %d" % kv for kv in drops.items() if kv[1]) or "none"))
    tcp = [f for f in rep.get("flows", []) if f["proto"] == "tcp"]
    check(len(tcp) >= 1 and all(f["destination_port"] != 0 and f["opened_by"] == "inside"
                                for f in tcp),
          "1 worker: %d TCP flow(s), all opened from the inside" % len(tcp))
    big = max((f["bytes_in"] for f in tcp), default=0)
    check(big > 4 * 1024 * 1024, "1 worker: the download's flow carried %d IP bytes in" % big)


def check_two(path, one_path, expect_path, mac_in, mac_out, public):
    """The two-worker run: no reply lost for want of a session, handoffs
    consistent, per-flow accounting identical to the one-worker run's."""
    rep = load(path)
    two = report_common(rep, "2 workers", expect_path, mac_in, mac_out, public, 2)
    drops = rep.get("drops", {})
    check(drops.get("no_session_inbound") == 0 and drops.get("icmp_err_no_session") == 0,
          "2 workers: no reply dropped for want of a session (no_session_inbound %s, "
          "icmp_err_no_session %s)" % (drops.get("no_session_inbound"),
                                       drops.get("icmp_err_no_session")))
    ws = rep["dataplane"]["workers"]
    print("INFO: 2 workers: per worker rx inside/outside, handoff out/in: %s" % "; ".join(
        "w%d %d/%d %d/%d" % (w["id"], w["rx"]["inside"], w["rx"]["outside"],
                             w["handoff_out"], w["handoff_in"]) for w in ws))
    # The kernel's fanout spreads the flows over both sockets (queues) by hash,
    # while one worker owns them all (one inside host): some must be handed over.
    check(sum(w["handoff_out"] for w in ws) > 0,
          "2 workers: packets were handed between workers (the case under test)")
    one = det_flows(load(one_path))
    check(one == two and len(one) > 0,
          "UDP/ICMP per-flow accounting identical with 1 and 2 workers (%d flows)%s" % (
              len(one), "" if one == two else ": 1 worker %s, 2 workers %s" % (
                  sorted(one.items()), sorted(two.items()))))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "udp-server":
        udp_server(*args)
    elif cmd == "udp-client":
        udp_client(args[0], args[1], args[2], int(args[3]), int(args[4]), int(args[5]),
                   args[6])
    elif cmd == "expect-icmp":
        expect_icmp(*args)
    elif cmd == "server-log":
        server_log(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "telemetry":
        tel_check(*args)
    elif cmd == "tel-flows":
        tel_flows(*args)
    elif cmd == "report-one":
        check_one(*args)
    elif cmd == "report-two":
        check_two(*args)
    else:
        sys.exit("lab.py: unknown command " + cmd)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
