#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_sample_ecs: the README's first command, `natgw replay` with no
capture, runs the synthetic ECS scenario in a closed loop and tells its story.

Usage: replay_sample_ecs.py NATGW BUILD_DATA_DIR

The test gives natgw only --out, as the README does, and proves:

- the run exits 0, quiet on stderr, with the documented defaults (10.0.0.0/16
  behind 203.0.113.10, aws profile, the scenario's default parameters, the
  example egress policy); report.json's capture section says the source was
  synthetic and carries the parameters and what the scenario did: every
  session completed, nothing cut;
- the summary tells the whole story, each figure agreeing with report.json:
  frames, the scenario's sessions and retransmissions, the NAT's sessions and
  drops, the ceiling and what it dropped, where the bytes went (S3 first, the
  most), the policy's violation, the bills; report.json has several minutes
  of per-minute metrics;
- the ceiling's drops are the statsd burst's: every drop is over the
  bandwidth ceiling, and the burst's datagrams missing from outside.pcap are
  exactly those; every other flow went through whole;
- the policy's one violation is the burst (its destination, its session);
- the report agrees with the output captures: the scenario written by `natgw
  synth -w` and replayed as a capture (-i 10.0.0.0/16 -p 203.0.113.10) gives,
  from the IP header on, the very frames at the very times of the closed loop,
  and the same metrics, drops and flows; that replay passes every check of
  the capture replays (report against captures, addressing, strict checksums),
  and the default run's own outputs pass the addressing and checksum checks.

A replay needs neither root nor hugepages: when the test runs as root it
also runs the default as an unprivileged user (setpriv to nobody, with
copies of the binary and the data files in a directory that user can read)
and proves the outputs byte-identical to root's.
"""

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

INSIDE = "10.0.0.0/16"
BURST = "198.51.100.77"
DEFAULTS = {"hosts": 4, "tasks": 6, "duration": 300.0, "net": INSIDE, "resolver": "10.0.0.2",
            "seed": 1, "burst": 2000000, "burst_rate": 16000000000}


def story(ck, r):
    """The summary's lines against report.json."""
    out, rep = r.stdout, r.report
    cap, st = rep["capture"], rep["capture"]["stats"]
    m = re.search(r"^natgw replay: synthetic ECS scenario \(4 hosts, 6 tasks, seed 1\), "
                  r"(\d+) frames over", out, re.M)
    ck.check(m is not None and int(m.group(1)) == cap["frames"],
             "first line: the scenario and its %d frames: %r" % (cap["frames"], out[:200]))
    m = re.search(r"^  scenario: 4 hosts, 6 tasks: (\d+) sessions, (\d+) completed, (\d+) "
                  r"failed; (\d+) retransmissions", out, re.M)
    ck.check(m is not None and tuple(int(x) for x in m.groups()) ==
             (st["started"], st["completed"], st["failed"],
              st["retransmits_host"] + st["retransmits_resp"]),
             "the scenario's line against capture.stats: %r" % (m and m.group(0)))
    m = re.search(r"sessions: (\d+) made", out)
    ck.check(m is not None and int(m.group(1)) == rep["counters"]["sessions_created"],
             "the NAT's sessions made (%d)" % rep["counters"]["sessions_created"])
    m = re.search(r"drops: (\d+) \(PacketsDropCount\)", out)
    ck.check(m is not None and int(m.group(1)) == rep["metrics"]["PacketsDropCount"],
             "the drops (%d)" % rep["metrics"]["PacketsDropCount"])
    m = re.search(r"ceiling now 5 Gbps, 1 Mpps .*dropped over it: (\d+) packets for bandwidth",
                  out)
    ck.check(m is not None and int(m.group(1)) == rep["drops"]["bandwidth_ceiling"],
             "the ceiling's line and its drops")
    m = re.search(r"where the bytes went.*\n\s+(\S+)\s", out)
    ck.check(m is not None and m.group(1) == "s3", "S3 heads where the bytes went")
    ck.check(re.search(r"let through against the policy:\n\s+metrics\.example\.net", out),
             "the policy's violation is named: the metrics collector")
    for w in ("Egress policy", "a month of it", "Cost of the run's traffic",
              "Through the NAT gateway", "With VPC endpoints", "Saving with endpoints"):
        ck.check(w in out, "the summary lacks %r" % w)
    ck.check(re.search(r"^wrote .*outside\.pcap.*inside\.pcap.*report\.json$", out, re.M),
             "the summary says where the outputs are")


def burst_checks(ck, r):
    """The ceiling's drops are the burst's; the policy's violation is it."""
    rep = r.report
    params = rep["capture"]["parameters"]
    datagrams = math.ceil(params["burst"] / 1400)
    drops = rep["drops"]["bandwidth_ceiling"]
    ck.check(drops > 0, "the burst meets the ceiling")
    ck.eq(rep["metrics"]["PacketsDropCount"], drops, "every drop is over the ceiling")
    out = [f for f in r.outside if nc.ipv4_of(f).dst == BURST]
    ck.eq(len(out) + drops, datagrams, "the burst's datagrams out and over the ceiling")
    flows = rep["flows"]
    burst = [f for f in flows if f["destination_ip"] == BURST]
    if ck.eq(len(burst), 1, "one session to the collector"):
        ck.eq(burst[0]["packets_out"], len(out), "its packets out")
    st = rep["capture"]["stats"]
    ck.eq(st["statsd_received"], len(out), "the collector received what left")
    pol = rep["policy"]
    ck.eq(pol["designs"]["nat"]["violations"]["sessions"], 1, "one session against the policy")
    ck.eq([(d["destination"], d["ip"]) for d in pol["violations_by_destination"]["destinations"]],
          [("metrics.example.net", BURST)], "the violation is the burst")
    ck.check(len(rep["metrics_per_minute"]["rows"]) >= 4,
             "several minutes of metrics: %d rows" % len(rep["metrics_per_minute"]["rows"]))
    svc = {s["service"]: s["bytes_out"] + s["bytes_in"] for s in rep["services"]["by_service"]}
    ck.check(svc.get("s3", 0) > sum(svc.values()) / 2, "S3 is most of the bytes: %r" % svc)


def same_as_capture(ck, exe, r, tmp):
    """The scenario as a capture, replayed: the closed loop's own packets."""
    cap = os.path.join(tmp, "synth.pcap")
    p = subprocess.run([exe, "synth", "-w", cap, "-q"], capture_output=True, text=True,
                       timeout=120)
    if not ck.eq(p.returncode, 0, "natgw synth -w: " + p.stderr):
        return
    r2 = nc.replay(exe, cap, os.path.join(tmp, "as-capture"), inside=INSIDE,
                   extra=["--policy", r.report["policy"]["file"]])
    if not ck.eq(r2.rc, 0, "exit status of " + r2.describe() + ": " + r2.stderr):
        return
    for side in ("outside", "inside"):
        a = [(f.ts_ns, f.data[14:]) for f in getattr(r, side)]
        b = [(f.ts_ns, f.data[14:]) for f in getattr(r2, side)]
        ck.check(a == b, "%s.pcap: the closed loop (%d frames) and the replayed capture (%d) "
                 "differ" % (side, len(a), len(b)))
    for k in ("metrics", "drops", "flows"):
        ck.check(r.report[k] == r2.report[k], "report.json's %s: the closed loop and the "
                 "replayed capture differ" % k)
    frames = nc.read_capture(cap)
    nets = nc.Nets(INSIDE)
    nc.check_replay(ck, "scenario as a capture", r2, nc.model_replay(frames, nets), nets, tmp,
                    strict=True)
    nc.check_addressing(ck, "default run", r, nets)
    nc.check_checksums(ck, "default run", r, [], tmp, strict=True)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, data = sys.argv[1:3]
    nc.need_tools()
    ck = nc.Checker("replay_sample_ecs")
    with tempfile.TemporaryDirectory(prefix="natgw-default-") as tmp:
        r = nc.replay(exe, None, os.path.join(tmp, "out"), inside=None, public=None)
        if not ck.eq(r.rc, 0, "exit status of " + r.describe()):
            print(r.stderr)
            sys.exit(ck.finish())
        ck.eq(r.stderr, "", "stderr")
        rep = r.report
        cfg, cap = rep["config"], rep["capture"]
        ck.eq((cfg["profile"], cfg["inside_nets"], cfg["public_ips"]),
              ("aws", [INSIDE], [nc.PUBLIC_IP]), "default profile, inside nets, public IPs")
        ck.eq((cap["source"], cap["file"], cap["link_type"]), ("synthetic", None, "EN10MB"),
              "the capture section names a synthetic source")
        ck.eq({k: cap["parameters"][k] for k in DEFAULTS}, DEFAULTS, "default parameters")
        st = cap["stats"]
        ck.check(st["started"] > 50 and st["completed"] == st["started"] and
                 st["failed"] == 0 and not st["cut_at_bound"],
                 "every session of the scenario completed: %r" %
                 {k: st[k] for k in ("started", "completed", "failed", "cut_at_bound")})
        ck.eq(st["unknown"] + st["malformed"] + st["late"] + st["stalls"], 0,
              "nothing unknown, broken, late or stalled in the loop")
        ck.eq(rep["policy"]["file"].endswith("policy-example.json"), True,
              "the example policy applies by default")
        story(ck, r)
        burst_checks(ck, r)
        same_as_capture(ck, exe, r, tmp)
        print("default run: %d frames in, %d out, %d back, %d flows, %d drops" %
              (cap["frames"], len(r.outside), len(r.inside), len(rep["flows"]),
               rep["metrics"]["PacketsDropCount"]))
        if os.geteuid() == 0:
            check_unprivileged(ck, exe, data, tmp)
        else:
            print("ran as uid %d: no root needed" % os.geteuid())
    sys.exit(ck.finish())


def check_unprivileged(ck, exe, data, tmp):
    """The same default run as nobody gives the same bytes as root's."""
    home = os.path.join(tmp, "nobody")
    os.mkdir(home)
    os.chmod(home, 0o777)
    os.chmod(tmp, 0o755)
    shutil.copy(exe, os.path.join(home, "natgw"))
    # The build tree's data may be under /root: copies nobody can read.
    files = {}
    for name in ("aws-ip-ranges.json", "policy-example.json", "prices-us-east-1.json"):
        files[name] = os.path.join(home, name)
        shutil.copy(os.path.join(data, name), files[name])
    # A sanitizer build reads its suppressions at start: nobody must reach
    # them too (the source tree may be under /root).
    env = dict(os.environ)
    opts = env.get("LSAN_OPTIONS", "").split(":")
    for i, o in enumerate(opts):
        if o.startswith("suppressions="):
            supp = os.path.join(home, "lsan.supp")
            shutil.copy(o.split("=", 1)[1], supp)
            opts[i] = "suppressions=" + supp
    env["LSAN_OPTIONS"] = ":".join(opts)
    outs = {}
    for who, prefix in (("root", []),
                        ("nobody", ["setpriv", "--reuid=65534", "--regid=65534",
                                    "--clear-groups"])):
        out = os.path.join(home, "out-" + who)
        cmd = prefix + [os.path.join(home, "natgw"), "replay", "-o", out, "-q", "--no-plot",
                        "--ip-ranges", files["aws-ip-ranges.json"],
                        "--policy", files["policy-example.json"],
                        "--prices", files["prices-us-east-1.json"]]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        if not ck.eq(p.returncode, 0, "replay as %s (stderr %r)" % (who, p.stderr)):
            return
        outs[who] = [open(os.path.join(out, f), "rb").read()
                     for f in ("outside.pcap", "inside.pcap", "report.json")]
    ck.check(outs["root"] == outs["nobody"],
             "the default run as nobody differs from the run as root")
    print("as nobody (uid 65534): same outputs as root, no root needed")


if __name__ == "__main__":
    main()
