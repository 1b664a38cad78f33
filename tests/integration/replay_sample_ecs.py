#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_sample_ecs: `natgw replay` without a capture runs the built-in sample.

Usage: replay_sample_ecs.py NATGW ECS_SAMPLE_PCAP

ECS_SAMPLE_PCAP is the sample meson builds (build/data/ecs-sample.pcap); the
test gives natgw only --out, so natgw must find the sample itself, and the
test proves it used that very file. It proves the run exits 0 with a summary
on stdout that tells frames, sessions and drops (agreeing with report.json),
with the documented defaults (10.0.0.0/16 behind 203.0.113.10, aws profile),
and that the outputs are sound: report.json's metrics, drops, replay counters
and every flow agree with the output captures and with the input; every
checksum of both outputs is correct (tshark and a one's complement sum); no
private address leaves and everything delivered goes to an inside host.

A replay needs neither root nor hugepages: when the test runs as root it
also replays the sample as an unprivileged user (setpriv to nobody, with
copies of the binary, the sample and ip-ranges.json in a directory that user
can read) and proves the outputs byte-identical to root's.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

INSIDE = "10.0.0.0/16"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, sample = sys.argv[1:3]
    nc.need_tools()
    ck = nc.Checker("replay_sample_ecs")
    frames = nc.read_capture(sample)
    nets = nc.Nets(INSIDE)
    model = nc.model_replay(frames, nets)
    with tempfile.TemporaryDirectory(prefix="natgw-sample-") as tmp:
        r = nc.replay(exe, None, os.path.join(tmp, "out"), inside=None, public=None)
        if not ck.eq(r.rc, 0, "exit status of " + r.describe()):
            print(r.stderr)
            sys.exit(ck.finish())
        ck.eq(r.stderr, "", "stderr")
        rep = r.report
        cap = rep["capture"]["file"]
        ck.check(os.path.exists(cap) and os.path.samefile(cap, sample),
                 "report's capture.file %s is not the built sample %s" % (cap, sample))
        cfg = rep["config"]
        ck.eq((cfg["profile"], cfg["inside_nets"], cfg["public_ips"]),
              ("aws", [INSIDE], [nc.PUBLIC_IP]), "default profile, inside nets, public IPs")

        # The summary a person reads.
        out = r.stdout
        m = re.search(r"(\d+) frames over", out)
        ck.check(m is not None and int(m.group(1)) == len(frames),
                 "summary does not give the %d frames: %r" % (len(frames), out[:200]))
        m = re.search(r"sessions: (\d+) made", out)
        ck.check(m is not None and int(m.group(1)) == rep["counters"]["sessions_created"],
                 "summary does not give the sessions made (%d)"
                 % rep["counters"]["sessions_created"])
        m = re.search(r"drops: (\d+) \(PacketsDropCount\)", out)
        ck.check(m is not None and int(m.group(1)) == rep["metrics"]["PacketsDropCount"],
                 "summary does not give the drops (%d)" % rep["metrics"]["PacketsDropCount"])
        ck.check(re.search(r"^wrote .*outside\.pcap.*inside\.pcap.*report\.json$", out, re.M),
                 "summary does not say where the outputs are")

        # Real traffic went through, both ways.
        ck.check(len(r.outside) > 100 and len(r.inside) > 100 and len(rep["flows"]) > 5,
                 "the sample hardly went through: %d out, %d in, %d flows"
                 % (len(r.outside), len(r.inside), len(rep["flows"])))
        nc.check_replay(ck, "sample", r, model, nets, tmp, strict=True)
        print("sample: %d frames in, %d out, %d back, %d flows, %d drops" %
              (len(frames), len(r.outside), len(r.inside), len(rep["flows"]),
               rep["metrics"]["PacketsDropCount"]))
        if os.geteuid() == 0:
            check_unprivileged(ck, exe, sample, tmp)
        else:
            print("ran as uid %d: no root needed" % os.geteuid())
    sys.exit(ck.finish())


def check_unprivileged(ck, exe, sample, tmp):
    """The same replay as nobody gives the same bytes as root's."""
    home = os.path.join(tmp, "nobody")
    os.mkdir(home)
    os.chmod(home, 0o777)
    os.chmod(tmp, 0o755)
    shutil.copy(exe, os.path.join(home, "natgw"))
    shutil.copy(sample, os.path.join(home, "ecs-sample.pcap"))
    # The build tree's data (beside the sample) may be under /root too.
    ranges = os.path.join(home, "aws-ip-ranges.json")
    shutil.copy(os.path.join(os.path.dirname(sample), "aws-ip-ranges.json"), ranges)
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
        cmd = prefix + [os.path.join(home, "natgw"), "replay",
                        os.path.join(home, "ecs-sample.pcap"), "-i", INSIDE,
                        "-p", nc.PUBLIC_IP, "-o", out, "-q", "--ip-ranges", ranges]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        if not ck.eq(p.returncode, 0, "replay as %s (stderr %r)" % (who, p.stderr)):
            return
        outs[who] = [open(os.path.join(out, f), "rb").read()
                     for f in ("outside.pcap", "inside.pcap", "report.json")]
    ck.check(outs["root"] == outs["nobody"],
             "the replay as nobody differs from the replay as root")
    print("as nobody (uid 65534): same outputs as root, no root needed")


if __name__ == "__main__":
    main()
