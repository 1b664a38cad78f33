#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_cli_errors: natgw's command line refuses what it must, and says why.

Usage: replay_cli_errors.py NATGW CAPTURE REPLAY_CMD_C SYNTH_CMD_C

CAPTURE is any good capture (conformance.pcap); REPLAY_CMD_C is
app/natgw/replay_cmd.c and SYNTH_CMD_C app/natgw/synth_cmd.c, whose getopt
tables are the lists of options `natgw replay --help` and `natgw synth
--help` must document. The test proves:

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
- the synthetic scenario's options: --synth with a capture, a bad --synth key
  or value, a scenario that cannot be made (its hosts outside the inside
  networks, launches after its end): exit 2, one line naming it, nothing left;
  `natgw synth` without -w, with a bad --synth, an extra argument or an
  unknown option: exit 2, one line; with an unwritable file: exit 1, one line,
  no .part left;
- `natgw --help`, `natgw replay --help`, `natgw synth --help` and `natgw
  --version` exit 0 on stdout, and each command's help documents every long
  option of its getopt table, each with its short form where it has one.
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
    ("--synth with a capture", {"--synth": "hosts=2"}, 2, ["--synth", "capture"]),
]

# The scenario, without a capture: (what, arguments, exit status, needles).
SYNTH_BAD = [
    ("--synth: bad value", ["replay", "--synth", "hosts=0"], 2, ["synth", "hosts=0"]),
    ("--synth: unknown key", ["replay", "--synth", "colour=red"], 2, ["unknown key 'colour'"]),
    ("--synth: not key=value", ["replay", "--synth", "hosts"], 2, ["'hosts'"]),
    ("--synth: hosts not inside", ["replay", "--synth", "net=192.168.0.0/16", "-i",
                                   "10.0.0.0/16"], 2, ["192.168.1.10", "inside"]),
    ("--synth: launch after the end", ["replay", "--synth", "duration=30,launch=60"], 2,
     ["launch"]),
    ("synth: no -w", ["synth"], 2, ["-w FILE"]),
    ("synth: bad --synth", ["synth", "--synth", "layers=0", "-w", "x.pcap"], 2,
     ["layers=0"]),
    ("synth: an extra argument", ["synth", "-w", "x.pcap", "extra"], 2, ["'extra'"]),
    ("synth: unknown option", ["synth", "--bogus"], 2, ["--bogus"]),
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


def check_help(ck, exe, cmd, src):
    """`natgw CMD --help` documents every option of CMD's getopt table."""
    p = nc.run([exe, cmd, "--help"])
    ck.eq((p.returncode, p.stderr), (0, ""), "natgw %s --help: exit status, stderr" % cmd)
    longs, optstring = getopt_table(src)
    ck.check(len(longs) >= 3, "found only %d options in %s's getopt table" % (len(longs), src))
    for name, short in longs:
        ck.check(re.search(r"(^|[\s,])--%s\b" % re.escape(name), p.stdout, re.M),
                 "natgw %s --help does not document --%s" % (cmd, name))
        if short:
            ck.check(re.search(r"-%s, --%s\b" % (re.escape(short), re.escape(name)), p.stdout),
                     "natgw %s --help does not give -%s for --%s" % (cmd, short, name))
    print("%s help documents %d options: %s" % (cmd, len(longs),
                                                " ".join("--" + n for n, _ in longs)))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    exe, capture, src, synth_src = sys.argv[1:5]
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
        for n, (what, args, status, needles) in enumerate(SYNTH_BAD):
            outdir = os.path.join(tmp, "synth%d" % n)
            cmd = [exe] + args + (["--out", outdir] if args[0] == "replay" else [])
            expect_error(ck, what, cmd, outdir, status, needles)
        bad = os.path.join(tmp, "no-such-dir", "x.pcap")
        expect_error(ck, "synth: unwritable file", [exe, "synth", "-w", bad], None, 1,
                     [bad])
        ck.check(not os.path.exists(bad + ".part"), "synth: a .part file left behind")

    # Help and version.
    p = nc.run([exe, "--help"])
    ck.eq((p.returncode, p.stderr), (0, ""), "natgw --help: exit status, stderr")
    ck.check("replay" in p.stdout, "natgw --help does not mention the replay command")
    ck.check("synth" in p.stdout, "natgw --help does not mention the synth command")
    p = nc.run([exe, "--version"])
    ck.eq(p.returncode, 0, "natgw --version: exit status")
    ck.check(re.match(r"natgw \d+\.\d+\.\d+\n$", p.stdout),
             "natgw --version prints %r" % p.stdout)
    check_help(ck, exe, "replay", src)
    check_help(ck, exe, "synth", synth_src)
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
