#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_cli_errors: natgw's command line refuses what it must, and says why.

Usage: replay_cli_errors.py NATGW CAPTURE REPLAY_CMD_C

CAPTURE is any good capture (conformance.pcap); REPLAY_CMD_C is
app/natgw/replay_cmd.c, whose getopt table is the list of options `natgw
replay --help` must document. The test proves:

- every bad option value (prefix length 33, host bits, not a CIDR, empty;
  a public IP that is no address, one inside an inside network, nine of them;
  the same one twice; an unknown profile; a zero or unknown timeout; zero
  sessions; an MTU below 576; --filtering without the rfc profile or with an
  unknown mode; a --port-alloc rule or value that is not one), a missing --inside-net, an unknown option, and an unknown
  command: exit status 2
  ("bad options", as `natgw replay --help` documents), exactly one line on
  stderr naming the option and the value, nothing on stdout;
- a capture that does not exist or is a directory: exit status 1 ("the run
  failed"), one line on stderr naming the path and the problem;
- none of them leaves an output file behind (outside.pcap, inside.pcap,
  report.json, or their .part files);
- `natgw --help`, `natgw replay --help` and `natgw --version` exit 0 on
  stdout, and the replay help documents every long option of the getopt
  table, each with its short form where it has one.
"""

import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

GOOD = {"--inside-net": "10.0.0.0/16", "--public-ip": nc.PUBLIC_IP}
NINE = ",".join("198.51.100.%d" % i for i in range(1, 10))

# (what, options replacing or adding to GOOD (None: leave out), exit status,
#  strings the one line on stderr must contain)
BAD_VALUES = [
    ("prefix length 33", {"--inside-net": "10.0.0.0/33"}, 2, ["--inside-net", "10.0.0.0/33"]),
    ("host bits set", {"--inside-net": "10.0.0.1/16"}, 2, ["--inside-net", "10.0.0.1/16"]),
    ("not a CIDR", {"--inside-net": "banana"}, 2, ["--inside-net", "banana"]),
    ("empty inside net", {"--inside-net": ""}, 2, ["--inside-net", "''"]),
    ("public IP not an address", {"--public-ip": "300.1.1.1"}, 2, ["--public-ip", "300.1.1.1"]),
    ("public IP inside an inside network", {"--public-ip": "10.0.0.5"}, 2,
     ["--public-ip", "10.0.0.5"]),
    ("nine public IPs", {"--public-ip": NINE}, 2, ["--public-ip", "8"]),
    ("same public IP twice", {"--public-ip": "198.51.100.1,198.51.100.1"}, 2,
     ["--public-ip", "198.51.100.1"]),
    ("unknown profile", {"--profile": "bogus"}, 2, ["--profile", "bogus"]),
    ("zero timeout", {"--timeout": "udp=0"}, 2, ["--timeout", "udp=0"]),
    ("unknown timeout class", {"--timeout": "nosuch=5"}, 2, ["--timeout", "nosuch=5"]),
    ("zero sessions", {"--max-sessions": "0"}, 2, ["--max-sessions", "'0'"]),
    ("MTU below 576", {"--mtu": "100"}, 2, ["--mtu", "'100'"]),
    ("filtering with the aws profile", {"--filtering": "adf"}, 2, ["--filtering"]),
    ("unknown filtering mode", {"--profile": "rfc", "--filtering": "xx"}, 2,
     ["--filtering", "'xx'"]),
    ("port allocation rule unknown", {"--port-alloc": "even=on"}, 2,
     ["--port-alloc", "even=on"]),
    ("port allocation value not on/off", {"--port-alloc": "parity=on,range=maybe"}, 2,
     ["--port-alloc", "range=maybe"]),
    ("no --inside-net with a capture", {"--inside-net": None}, 2, ["--inside-net"]),
    ("unknown option", {"--bogus": "1"}, 2, ["--bogus"]),
]


def leftovers(outdir):
    """Output files in outdir (an empty or absent directory is no output)."""
    if not os.path.isdir(outdir):
        return []
    return sorted(f for f in os.listdir(outdir)
                  if f.split(".part")[0] in nc.OUTPUTS or f.endswith(".part"))


def expect_error(ck, what, cmd, outdir, status, needles):
    p = nc.run(cmd)
    lines = p.stderr.splitlines()
    label = "%s (%s)" % (what, " ".join(cmd[1:]))
    ck.eq(p.returncode, status, label + ": exit status")
    ck.check(len(lines) == 1, "%s: stderr should be exactly one line, got %d: %r"
             % (label, len(lines), p.stderr))
    line = lines[0] if lines else ""
    missing = [n for n in needles if n not in line]
    ck.check(not missing, "%s: stderr %r does not name %s" % (label, line, missing))
    ck.eq(p.stdout, "", label + ": stdout")
    if outdir is not None:
        ck.eq(leftovers(outdir), [], label + ": output files left behind")
    print("%-36s exit %d: %s" % (what, p.returncode, line if len(lines) == 1 else lines))


def getopt_table(src):
    """Long options (name, short letter or None) of natgw replay's getopt
    table, and its optstring."""
    with open(src) as f:
        text = f.read()
    optstring = re.search(r'getopt_long\(\s*argc,\s*argv,\s*"([^"]*)"', text).group(1)
    shorts = set(optstring.replace(":", ""))
    longs = []
    for name, val in re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*\w+_argument,\s*NULL,\s*\'(.)\'\s*\}',
                                text):
        longs.append((name, val if val in shorts else None))
    return longs, optstring


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    exe, capture, src = sys.argv[1:4]
    ck = nc.Checker("replay_cli_errors")
    with tempfile.TemporaryDirectory(prefix="natgw-cli-") as tmp:
        for n, (what, change, status, needles) in enumerate(BAD_VALUES):
            outdir = os.path.join(tmp, "out%d" % n)
            opts = dict(GOOD)
            opts.update(change)
            cmd = [exe, "replay", capture]
            for k, v in opts.items():
                if v is not None:
                    cmd += [k, v]
            cmd += ["--out", outdir]
            expect_error(ck, what, cmd, outdir, status, needles)

        missing = os.path.join(tmp, "no-such-capture.pcap")
        outdir = os.path.join(tmp, "out-missing")
        expect_error(ck, "capture does not exist",
                     [exe, "replay", missing, "-i", GOOD["--inside-net"], "-p", nc.PUBLIC_IP,
                      "-o", outdir], outdir, 1, [missing, "No such file"])
        outdir = os.path.join(tmp, "out-dir")
        expect_error(ck, "capture is a directory",
                     [exe, "replay", tmp, "-i", GOOD["--inside-net"], "-p", nc.PUBLIC_IP,
                      "-o", outdir], outdir, 1, [tmp, "directory"])
        expect_error(ck, "unknown command", [exe, "bogus-command"], None, 2, ["bogus-command"])

    # Help and version.
    p = nc.run([exe, "--help"])
    ck.eq((p.returncode, p.stderr), (0, ""), "natgw --help: exit status, stderr")
    ck.check("replay" in p.stdout, "natgw --help does not mention the replay command")
    p = nc.run([exe, "--version"])
    ck.eq(p.returncode, 0, "natgw --version: exit status")
    ck.check(re.match(r"natgw \d+\.\d+\.\d+\n$", p.stdout),
             "natgw --version prints %r" % p.stdout)
    p = nc.run([exe, "replay", "--help"])
    ck.eq((p.returncode, p.stderr), (0, ""), "natgw replay --help: exit status, stderr")
    longs, optstring = getopt_table(src)
    ck.check(len(longs) >= 10, "found only %d options in %s's getopt table" % (len(longs), src))
    for name, short in longs:
        ck.check(re.search(r"(^|[\s,])--%s\b" % re.escape(name), p.stdout, re.M),
                 "natgw replay --help does not document --%s" % name)
        if short:
            ck.check(re.search(r"-%s, --%s\b" % (re.escape(short), re.escape(name)), p.stdout),
                     "natgw replay --help does not give -%s for --%s" % (short, name))
    print("help documents %d options: %s" % (len(longs), " ".join("--" + n for n, _ in longs)))
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
