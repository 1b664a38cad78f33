#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Measure dpdk-testpmd (io forwarding) and natgw on the same vdevs, for the
captures that tests/bench/dataplane made: the helper that runs the programs,
reads their counters and prints the results. See docs/performance.md.

Every program runs under timeout(1) in a process group of its own, which is
killed when this helper exits, however it exits."""

import argparse
import atexit
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

CHILDREN = set()


def kill_children():
    for p in list(CHILDREN):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        CHILDREN.discard(p)


def remove_runtime_dirs():
    """EAL leaves /var/run/dpdk/PREFIX behind; the prefixes are this run's."""
    import glob
    import shutil
    for d in glob.glob("/var/run/dpdk/natgw-bench-%d-*" % os.getpid()):
        shutil.rmtree(d, ignore_errors=True)


def at_exit():
    kill_children()
    remove_runtime_dirs()


def on_signal(signum, _frame):
    sys.exit(128 + signum)   # atexit ends the programs


def progress(msg):
    # Progress only for a person watching; the results go to stdout.
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + msg)
        sys.stderr.flush()


def spawn(cmd, limit, stdin=False, log=None):
    """Start cmd in its own process group, bounded by timeout(1). timeout
    passes a SIGTERM on and sends SIGKILL --kill-after seconds later: natgw
    takes seconds to stop when it holds millions of sessions."""
    full = ["timeout", "--kill-after=60", str(int(limit))] + cmd
    p = subprocess.Popen(full, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    CHILDREN.add(p)
    p.log = log
    p.buf = b""
    return p


def reap(p, limit=15):
    try:
        p.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    CHILDREN.discard(p)
    if p.log:
        with open(p.log, "ab") as f:
            f.write(p.buf)


def read_more(p, until):
    """Read what p has written until the time `until`; False at its end."""
    left = until - time.monotonic()
    if left <= 0:
        return True
    r, _, _ = select.select([p.stdout], [], [], left)
    if not r:
        return True
    chunk = os.read(p.stdout.fileno(), 65536)
    if not chunk:
        return False
    p.buf += chunk
    return True


def wait_for(p, pattern, start, limit):
    """Wait until pattern shows in p's output after offset start."""
    rx = re.compile(pattern)
    end = time.monotonic() + limit
    while True:
        m = rx.search(p.buf, start)
        if m:
            return m
        if time.monotonic() >= end or not read_more(p, end):
            tail = p.buf[-2000:].decode(errors="replace")
            raise RuntimeError("no %r from %s; it said:\n%s" %
                               (pattern, p.args[3], tail))


class Testpmd:
    """dpdk-testpmd in interactive mode, driven through its stdin."""
    PROMPT = rb"testpmd> "

    def __init__(self, args, eal, infinite, mbufs, limit, log, mode="io"):
        # Line-buffered: testpmd prints with stdio, which a pipe would hold
        # back until exit, while its prompt is written at once.
        cmd = ["stdbuf", "-oL", args.testpmd] + eal + [
            "--", "-i", "--no-flush-rx", "--forward-mode=" + mode, "--nb-cores=1", "--rxq=1", "--txq=1",
            "--burst=%d" % args.burst, "--total-num-mbufs=%d" % mbufs,
            "--mbuf-size=%d" % args.mbuf_size]
        self.p = spawn(cmd, limit, stdin=True, log=log)
        wait_for(self.p, self.PROMPT, 0, 120)

    def cmd(self, line):
        start = len(self.p.buf)
        t = time.monotonic()
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        wait_for(self.p, self.PROMPT, start, 20)
        return t, self.p.buf[start:]

    def stats(self):
        """(time, port 0 rx, port 1 tx, port 0 rx-nombuf) from show port stats."""
        t, out = self.cmd("show port stats all")
        blocks = re.split(rb"NIC statistics for port ", out)[1:]
        val = {}
        for b in blocks:
            port = int(b.split()[0])
            val[port] = {k.decode(): int(v) for k, v in
                         re.findall(rb"(RX-packets|TX-packets|RX-nombuf):\s+(\d+)", b)}
        return t, val[0]["RX-packets"], val[1]["TX-packets"], val[0]["RX-nombuf"]

    def close(self):
        try:
            self.p.stdin.write(b"quit\n")
            self.p.stdin.flush()
            while read_more(self.p, time.monotonic() + 15):
                pass
        except (BrokenPipeError, OSError):
            pass
        reap(self.p)


def warm_up(stats, case, args):
    """The warm-up, and at least the capture's first pass, in which natgw
    opens the flows' sessions: the window sees established flows only."""
    time.sleep(args.warmup)
    end = time.monotonic() + args.eof_limit
    while True:
        t, rx, tx, _ = stats()
        if rx >= case["packets"] + args.burst or time.monotonic() > end:
            return t, rx, tx
        time.sleep(0.2)


def testpmd_window(args, case, eal, mode="io"):
    """Forward the looped capture; Mpps on port 1 over the window."""
    tp = Testpmd(args, eal, True, case["mbufs"],
                 args.warmup + args.window + 120, case["log"], mode)
    try:
        tp.cmd("start")
        t0, rx0, tx0 = warm_up(tp.stats, case, args)
        time.sleep(args.window)
        t1, rx1, tx1, nombuf = tp.stats()
        tp.cmd("stop")
    finally:
        tp.close()
    return {"mpps": (tx1 - tx0) / (t1 - t0) / 1e6, "rx": rx1 - rx0, "tx": tx1 - tx0,
            "seconds": t1 - t0, "rx_nombuf": nombuf}


def sample_to_end(stats, case, args):
    """(time, packets sent on port 1) until the capture's end: every packet
    sent, or no change for a second."""
    samples = []
    t_start = time.monotonic()
    while time.monotonic() - t_start < args.eof_limit:
        t, _, tx, _ = stats()
        samples.append((t, tx))
        if tx >= case["packets"]:
            break
        quiet = [n for u, n in samples if u >= t - 1.0]
        if tx and t - samples[0][0] > 1.0 and min(quiet) == tx:
            break
        time.sleep(args.poll)
    return samples


def testpmd_once(args, case, eal, mode="io"):
    """Forward the capture once, to its end."""
    tp = Testpmd(args, eal, False, case["mbufs"], args.eof_limit + 120, case["log"], mode)
    try:
        tp.cmd("start")
        samples = sample_to_end(tp.stats, case, args)
        tp.cmd("stop")
    finally:
        tp.close()
    return once_result(samples, case)


def once_result(samples, case):
    """The rate from the first sample that saw packets sent to the end, which
    lies between the last sample short of the final count and the first that
    has it (the middle is taken). The start-up, which the two programs do
    differently, is left out."""
    final = samples[-1][1]
    moving = [(t, n) for t, n in samples if 0 < n < final]
    if not moving:
        raise RuntimeError("%s: no sample while the capture was read: poll faster"
                           " or use a longer capture (-N)" % case["name"])
    t_a, n_a = moving[0]
    before = max(t for t, n in samples if n < final)
    at = min(t for t, n in samples if n == final)
    secs = (before + at) / 2 - t_a
    return {"mpps": (final - n_a) / secs / 1e6, "rx": final, "tx": final,
            "seconds": secs, "uncertainty_s": (at - before) / 2}


class Telemetry:
    """DPDK's telemetry socket of a running program: /ethdev/stats of a port
    is rte_eth_stats_get(), the counters testpmd's show port stats prints."""

    def __init__(self, prefix, limit=30):
        import socket
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
        end = time.monotonic() + limit
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() >= end:
                    raise RuntimeError("no telemetry socket at %s" % path)
                time.sleep(0.05)
        info = json.loads(self.s.recv(1 << 16))
        self.max = info.get("max_output_len", 1 << 16)

    def query(self, q):
        self.s.send(q.encode())
        return json.loads(self.s.recv(self.max))

    def port(self, port):
        t = time.monotonic()
        return t, self.query("/ethdev/stats,%d" % port)["/ethdev/stats"]

    def close(self):
        self.s.close()


class Natgw:
    """natgw's dataplane: one worker (lcore 1) polling both ports, a stats line
    every second into the log, the JSON report when it stops."""

    def __init__(self, args, case, eal, limit, extra=()):
        self.report = case["log"][:-4] + ".json"
        cmd = [args.natgw] + eal + [
            "--", "--inside", "0", "--outside", "1",
            "--inside-net", "10.0.0.0/8", "--public-ip", args.public_ip,
            "--config", "(0,0,1),(1,0,1)", "--max-sessions", str(case["sessions"]),
            "--mbufs", str(case["mbufs"]), "--mbuf-size", str(args.mbuf_size),
            "--burst", str(args.burst), "-T", "1", "--duration", str(int(limit)),
            # The dataplane itself, not the AWS gateway's modelled ceiling.
            "--scale", "off",
            "--report", self.report]
        if args.profile:
            cmd += ["--profile", args.profile]
        cmd += list(extra)
        self.p = spawn(cmd, limit + 60, log=case["log"])
        wait_for(self.p, rb"forwarding between", 0, 120)
        self.tel = Telemetry(eal[eal.index("--file-prefix") + 1])

    def stats(self):
        t, st = self.tel.port(0)
        t, out = self.tel.port(1)
        return t, st["ipackets"], out["opackets"], st["rx_nombuf"]

    def stop(self):
        """SIGTERM (timeout(1) passes it on): natgw stops, writes its report."""
        self.tel.close()
        try:
            self.p.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        while read_more(self.p, time.monotonic() + 1):
            pass
        reap(self.p, 90)
        if self.p.returncode != 0:
            raise RuntimeError("natgw exited %d:\n%s" % (
                self.p.returncode, self.p.buf[-3000:].decode(errors="replace")))
        with open(self.report) as f:
            rep = json.load(f)
        if "dataplane" not in rep:
            raise RuntimeError("natgw's report has no dataplane section")
        return rep


def natgw_check(rep, case, res):
    """What natgw's report says of the whole run, beside the window's rate."""
    dp = rep["dataplane"]
    w = dp["workers"][0]
    res["report"] = {"seconds": round(dp["seconds"], 3), "mpps": round(dp["mpps"], 3),
                     "tx_packets": dp["tx_packets"], "nat_drops": w["nat_drops"],
                     "rx_nombuf": dp["ports"][0]["rx_nombuf"],
                     "sessions_created": rep["counters"]["sessions_created"]}
    if dp["tx_packets"] != dp["ports"][1]["tx_packets"]:
        raise RuntimeError("natgw's workers sent %d packets, port 1 says %d" %
                           (dp["tx_packets"], dp["ports"][1]["tx_packets"]))
    return res


def natgw_window(args, case, eal, extra=()):
    ng = Natgw(args, case, eal, args.warmup + args.window + 60, extra)
    try:
        t0, rx0, tx0 = warm_up(ng.stats, case, args)
        time.sleep(args.window)
        t1, rx1, tx1, nombuf = ng.stats()
    finally:
        rep = ng.stop()
    res = {"mpps": (tx1 - tx0) / (t1 - t0) / 1e6, "rx": rx1 - rx0, "tx": tx1 - tx0,
           "seconds": t1 - t0, "rx_nombuf": nombuf}
    return natgw_check(rep, case, res)


def natgw_once(args, case, eal, extra=()):
    ng = Natgw(args, case, eal, args.eof_limit + 60, extra)
    try:
        samples = sample_to_end(ng.stats, case, args)
    finally:
        rep = ng.stop()
    return natgw_check(rep, case, once_result(samples, case))


def eal_args(args, case, tag):
    vdev = "net_pcap0,rx_pcap=%s" % case["pcap"]
    if case["infinite"]:
        vdev += ",infinite_rx=1"
    return ["-l", "0,1", "--no-huge", "-m", str(case["mem"]), "--no-pci",
            "--file-prefix", "natgw-bench-%d-%s" % (os.getpid(), tag),
            "--vdev", vdev, "--vdev", "net_null0,no-rx=1"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True, help="JSON list of the cases")
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("--natgw", default="")
    ap.add_argument("--enforce", default="",
                    help="also natgw --enforce FILE: an egress policy on every new session")
    ap.add_argument("--mac", action="store_true",
                    help="also testpmd --forward-mode=mac, which writes each frame's MACs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--eof-limit", type=float, default=120)
    ap.add_argument("--poll", type=float, default=0.005)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--mbuf-size", type=int, default=192)
    ap.add_argument("--public-ip", default="203.0.113.1,203.0.113.2,203.0.113.3,203.0.113.4")
    ap.add_argument("--profile", default="")
    ap.add_argument("--logdir", required=True)
    args = ap.parse_args()
    atexit.register(at_exit)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    with open(args.cases) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        best = {}
        progs = ["testpmd"] + (["testpmd_mac"] if args.mac else []) + \
            (["natgw"] if args.natgw else []) + \
            (["natgw_enforce"] if args.natgw and args.enforce else [])
        runs = {p: [] for p in progs}
        for r in range(args.runs):
            for prog in progs:
                progress("%s: %s, run %d of %d" % (case["name"], prog, r + 1, args.runs))
                c = dict(case, log=os.path.join(args.logdir, "%s-%s-%d.log" %
                                                (case["name"], prog, r)))
                eal = eal_args(args, c, "%s%d" % (prog, r))
                mac = lambda f: lambda a, c, e: f(a, c, e, "mac")
                fn = {("testpmd", True): testpmd_window, ("testpmd", False): testpmd_once,
                      ("testpmd_mac", True): mac(testpmd_window),
                      ("testpmd_mac", False): mac(testpmd_once),
                      ("natgw", True): natgw_window, ("natgw", False): natgw_once}
                enf = ["--enforce", args.enforce]
                fn[("natgw_enforce", True)] = lambda a, c, e: natgw_window(a, c, e, enf)
                fn[("natgw_enforce", False)] = lambda a, c, e: natgw_once(a, c, e, enf)
                res = fn[(prog, case["infinite"])](args, c, eal)
                runs[prog].append(res)
                if prog not in best or res["mpps"] > best[prog]["mpps"]:
                    best[prog] = res
        progress("")
        out = {"bench": "dataplane", "case": case["name"], "flows": case["flows"],
               "packets": case["packets"], "runs": args.runs,
               "testpmd_mpps": round(best["testpmd"]["mpps"], 3)}
        if "natgw" in best:
            out["natgw_mpps"] = round(best["natgw"]["mpps"], 3)
            out["ratio"] = round(best["natgw"]["mpps"] / best["testpmd"]["mpps"], 3)
            out["natgw_report"] = best["natgw"]["report"]
        if "natgw_enforce" in best:
            out["enforce_mpps"] = round(best["natgw_enforce"]["mpps"], 3)
            out["enforce_ratio_to_natgw"] = round(best["natgw_enforce"]["mpps"] /
                                                  best["natgw"]["mpps"], 3)
        if "testpmd_mac" in best:
            out["testpmd_mac_mpps"] = round(best["testpmd_mac"]["mpps"], 3)
            out["mac_ratio"] = round(best["testpmd_mac"]["mpps"] / best["testpmd"]["mpps"], 3)
        for prog, res in best.items():
            out[prog + "_s"] = round(res["seconds"], 3)
            if "uncertainty_s" in res:
                out[prog + "_uncertainty_s"] = round(res["uncertainty_s"], 4)
        out["all_mpps"] = {k: [round(x["mpps"], 3) for x in v] for k, v in runs.items() if v}
        print(json.dumps(out), flush=True)
        results.append(out)

    fmt = lambda o, k, f: f % o[k] if k in o else "-"
    print("\n%-8s %12s %12s %12s %8s %10s" % ("case", "testpmd Mpps", "natgw Mpps",
                                             "ratio", "mac Mpps", "mac ratio"))
    for o in results:
        print("%-8s %12.2f %12s %12s %8s %10s" % (
            o["case"], o["testpmd_mpps"], fmt(o, "natgw_mpps", "%.2f"),
            fmt(o, "ratio", "%.2f"), fmt(o, "testpmd_mac_mpps", "%.2f"),
            fmt(o, "mac_ratio", "%.2f")))


if __name__ == "__main__":
    main()
