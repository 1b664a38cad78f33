#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_accounting: where the bytes went and what they cost, on the sample.

Usage: replay_accounting.py NATGW ECS_SAMPLE_PCAP

The sample capture (tools/gen_captures.py; passed explicitly: the default run
is the synthetic scenario, whose accounting replay_sample_ecs checks) has hosts
that resolve ECR, ECS, S3, DynamoDB and CloudWatch Logs
names (through the VPC resolver, which the NAT never sees, and through 8.8.8.8)
and then connect with TLS ClientHellos naming them. The test proves:

- with the shipped ip-ranges.json, every flow to those services is counted
  under its service and its name, and report.json's services, the flows, the
  metrics and the CSV files (flows.csv, metrics_per_minute.csv) all agree;
- with an ip-ranges file holding no AWS prefix of the sample, the same flows get the same
  services: the names alone classify them (DNS and SNI);
- with the DNS frames removed from the capture, the ClientHellos alone still
  name the TLS flows;
- the cost section matches the bills computed here from the services' bytes,
  the capture's span and the documented us-east-1 prices, and --price,
  --endpoints, --azs and --no-gateway-endpoints change it as documented;
- the plots (bills.png, metrics_per_minute.png) are drawn, with their gnuplot
  scripts beside them, and --no-plot draws none;
- bad accounting options are one-line errors with exit status 2, a bad
  --ip-ranges file one line with exit status 1, and nothing is left behind.
"""

import csv
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

INSIDE = "10.0.0.0/16"
GIB = float(1 << 30)
MONTH_H = 730.0
# The sample's TLS destinations and the service each name belongs to.
NAMED = {
    "api.ecr.us-east-1.amazonaws.com": "ecr.api",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr.dkr",
    "ecs.us-east-1.amazonaws.com": "ecs",
    "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com": "s3",
    "s3.us-east-1.amazonaws.com": "s3",
    "dynamodb.us-east-1.amazonaws.com": "dynamodb",
    "logs.us-east-1.amazonaws.com": "logs",
}
INTERFACE = {"ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs",
             "secretsmanager", "sts", "ssm", "kms"}


def named_services(ck, label, rep):
    """Every flow with one of the sample's names is under that name's service."""
    seen = set()
    for f in rep["flows"]:
        name = f.get("name")
        if name in NAMED:
            seen.add(name)
            ck.eq(f["service"], NAMED[name], "%s: service of the flow to %s" % (label, name))
    ck.eq(sorted(seen), sorted(NAMED), label + ": names the flows were classified by")
    return {f["destination_ip"]: f["service"] for f in rep["flows"] if f.get("name") in NAMED}


def tiered(gb, tiers):
    """Cost of gb a month over [(upto_gb, price)], the last upto None."""
    cost, lo = 0.0, 0.0
    for upto, price in tiers:
        hi = gb if upto is None else min(gb, upto)
        if hi > lo:
            cost += (hi - lo) * price
        if upto is not None and gb <= upto:
            break
        lo = upto if upto is not None else lo
    return cost


def expected_bills(rep, nat_per_gb=0.045, ife_hour=0.01, azs=1, interface=INTERFACE,
                   gateway=True):
    """Both monthly totals from the report's services, computed here."""
    span = (rep["capture"]["last_ns"] - rep["capture"]["first_ns"]) / 1e9
    k = MONTH_H * 3600 / span
    nat_gb = ife_gb = inet_out_gb = 0.0
    ifes = 0
    for s in rep["services"]["by_service"]:
        gb = (s["bytes_out"] + s["bytes_in"]) / GIB * k
        if s["class"] == "internet":
            inet_out_gb += s["bytes_out"] / GIB * k
        if gateway and s["class"] in ("s3", "dynamodb"):
            continue
        if s["service"] in interface and s["class"] != "internet":
            ife_gb += gb
            ifes += 1
        else:
            nat_gb += gb
    all_gb = sum(s["bytes_out"] + s["bytes_in"]
                 for s in rep["services"]["by_service"]) / GIB * k
    egress = [(10240, 0.09), (51200, 0.085), (153600, 0.07), (None, 0.05)]
    inet = tiered(max(0.0, inet_out_gb - 100), egress)
    nat = 0.045 * MONTH_H + nat_per_gb * all_gb + inet
    ife_tiers = [(1048576, 0.01), (5242880, 0.006), (None, 0.004)]
    ep = inet + ife_hour * MONTH_H * azs * ifes + tiered(ife_gb, ife_tiers)
    if nat_gb > 0:
        ep += 0.045 * MONTH_H + nat_per_gb * nat_gb
    return nat, ep


def check_cost(ck, label, rep, **kw):
    cost = rep.get("cost")
    if not ck.check(cost is not None and "nat" in cost and "endpoints" in cost,
                    "%s: report.json has no cost with both bills" % label):
        return
    nat, ep = expected_bills(rep, **kw)
    got_nat, got_ep = cost["nat"]["month"], cost["endpoints"]["month"]
    ck.check(abs(got_nat - nat) < 1e-6 * max(1, nat),
             "%s: NAT bill a month %.6f, computed here %.6f" % (label, got_nat, nat))
    ck.check(abs(got_ep - ep) < 1e-6 * max(1, ep),
             "%s: endpoints bill a month %.6f, computed here %.6f" % (label, got_ep, ep))


def check_csv(ck, label, rep, d):
    with open(os.path.join(d, "flows.csv")) as f:
        rows = list(csv.DictReader(f))
    ck.eq(len(rows), len(rep["flows"]), label + ": flows.csv rows vs report flows")
    for k in ("bytes_out", "bytes_in", "packets_out", "packets_in"):
        ck.eq(sum(int(r[k]) for r in rows), sum(f[k] for f in rep["flows"]),
              "%s: flows.csv %s vs report" % (label, k))
    with open(os.path.join(d, "metrics_per_minute.csv")) as f:
        rows = list(csv.DictReader(f))
    ck.eq(len(rows), rep["metrics_per_minute"]["minutes"], label + ": per-minute CSV rows")
    for k, v in rep["metrics"].items():
        vals = [int(r[k]) for r in rows]
        ck.eq(max(vals) if k == "ActiveConnectionCount" else sum(vals), v,
              "%s: metrics_per_minute.csv %s vs metrics" % (label, k))


def without_dns(frames, path):
    """The sample without its DNS (UDP port 53) frames."""
    keep = []
    for fr in frames:
        ip = nc.ipv4_of(fr)
        if ip and ip.proto == 17:
            seg = ip.seg()
            sport, dport = int.from_bytes(seg[0:2], "big"), int.from_bytes(seg[2:4], "big")
            if 53 in (sport, dport):
                continue
        keep.append(fr)
    nc.write_pcap(path, keep)
    return len(frames) - len(keep)


def bad_option(ck, exe, tmp, args, want_rc, words):
    out = os.path.join(tmp, "bad")
    r = nc.replay(exe, None, out, inside=None, public=None, extra=args)
    ck.eq(r.rc, want_rc, "exit status of " + r.describe())
    lines = r.stderr.strip().splitlines()
    ck.check(len(lines) == 1 and all(w in r.stderr for w in words),
             "%s: want one line naming %s, got %r" % (r.describe(), words, r.stderr))
    ck.eq(r.leftovers(), [], r.describe() + ": left in the output directory")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, sample = sys.argv[1:3]
    ck = nc.Checker("replay_accounting")
    with tempfile.TemporaryDirectory(prefix="natgw-acct-") as tmp:
        csvd = os.path.join(tmp, "csv")
        r = nc.replay(exe, sample, os.path.join(tmp, "a"), inside=INSIDE,
                      public=nc.PUBLIC_IP,
                      extra=["--csv", csvd])
        if not ck.eq(r.rc, 0, "exit status of " + r.describe()):
            print(r.stderr)
            sys.exit(ck.finish())
        rep = r.report
        nc.check_accounting(ck, "default", rep)
        by_ip = named_services(ck, "default", rep)
        check_csv(ck, "default", rep, csvd)
        check_cost(ck, "default", rep)
        for png in ("bills.png", "metrics_per_minute.png"):
            with open(r.path(png), "rb") as f:
                ck.check(f.read(8) == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % png)
            ck.check(os.path.exists(r.path(png[:-4] + ".gp")),
                     "%s's gnuplot script is not beside it" % png)
        for w in ("where the bytes went", "Through the NAT gateway", "With VPC endpoints",
                  "Saving with endpoints", "prod-us-east-1-starport-layer-bucket"):
            ck.check(w in r.stdout, "summary lacks %r:\n%s" % (w, r.stdout))

        # No AWS prefix that matters (one documentation prefix only: the
        # loader rightly refuses a file without any): the names decide alone.
        empty = os.path.join(tmp, "no-aws-ranges.json")
        with open(empty, "w") as f:
            json.dump({"syncToken": "0", "createDate": "2026-01-01-00-00-00",
                       "prefixes": [{"ip_prefix": "192.0.2.0/24", "region": "us-east-1",
                                     "service": "AMAZON",
                                     "network_border_group": "us-east-1"}],
                       "ipv6_prefixes": []}, f)
        r2 = nc.replay(exe, sample, os.path.join(tmp, "b"), inside=INSIDE,
                       public=nc.PUBLIC_IP,
                       extra=["--ip-ranges", empty])
        if ck.eq(r2.rc, 0, "exit status of " + r2.describe()):
            ck.eq(named_services(ck, "no prefixes", r2.report), by_ip,
                  "services by address, names alone vs with ip-ranges")
            ck.eq(r2.report["services"]["classifier"]["prefixes"], 1, "prefixes loaded")

        # No DNS at all: the ClientHellos name the TLS flows.
        nodns = os.path.join(tmp, "nodns.pcap")
        gone = without_dns(nc.read_capture(sample), nodns)
        ck.check(gone > 0, "the sample has DNS frames to remove")
        r3 = nc.replay(exe, nodns, os.path.join(tmp, "c"), inside=INSIDE,
                       public=nc.PUBLIC_IP, extra=["--ip-ranges", empty])
        if ck.eq(r3.rc, 0, "exit status of " + r3.describe()):
            ck.eq(named_services(ck, "SNI only", r3.report), by_ip,
                  "services by address, ClientHellos alone vs with DNS")
            nc.check_accounting(ck, "SNI only", r3.report)

        # The design and the prices change the bills as documented.
        r4 = nc.replay(exe, sample, os.path.join(tmp, "d"), inside=INSIDE,
                       public=nc.PUBLIC_IP,
                       extra=["--price", "nat_gateway.per_gb=0.05", "--azs", "3",
                              "--endpoints", "ecr.dkr,logs", "--price",
                              "interface_endpoint.per_hour=0.02"])
        if ck.eq(r4.rc, 0, "exit status of " + r4.describe()):
            check_cost(ck, "design", r4.report, nat_per_gb=0.05, ife_hour=0.02, azs=3,
                       interface={"ecr.dkr", "logs"})
        r5 = nc.replay(exe, sample, os.path.join(tmp, "e"), inside=INSIDE,
                       public=nc.PUBLIC_IP,
                       extra=["--no-gateway-endpoints", "--no-plot"])
        ck.eq(sorted(r5.leftovers()), ["inside.pcap", "outside.pcap", "report.json"],
              "files of a replay with --no-plot")
        if ck.eq(r5.rc, 0, "exit status of " + r5.describe()):
            check_cost(ck, "no gateway endpoints", r5.report, gateway=False)

        bad_option(ck, exe, tmp, ["--price", "nat_gateway.per_gigabyte=1"], 2,
                   ["--price", "per_gigabyte"])
        bad_option(ck, exe, tmp, ["--endpoints", "ecr.api,,"], 2, ["--endpoints"])
        bad_option(ck, exe, tmp, ["--azs", "0"], 2, ["--azs"])
        bad_option(ck, exe, tmp, ["--prices", os.path.join(tmp, "none.json")], 2,
                   ["--prices", "none.json"])
        broken = os.path.join(tmp, "broken.json")
        with open(broken, "w") as f:
            f.write('{"prefixes": [{"ip_prefix": "1.2.3/33"}]}')
        bad_option(ck, exe, tmp, ["--ip-ranges", broken], 1, ["broken.json"])
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
