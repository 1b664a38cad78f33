#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay_policy: the egress policy's three designs, and --enforce, on the default run.

Usage: replay_policy.py NATGW POLICY_EXAMPLE

The default run's synthetic ECS hosts talk to S3, DynamoDB, ECR, ECS,
CloudWatch Logs, the GitHub API and Google's DNS, all allowed by the shipped
example policy, and one host flushes a burst of metrics to
metrics.example.net, which the policy denies. The test proves:

- the default run (no options) evaluates that policy: under `nat` the burst is
  the one violation (its session and bytes, by the default rule and by
  destination); under `blackhole` every wanted session is broken and nothing
  flows; under `endpoints` the S3, DynamoDB and ECR sessions flow, the burst
  is blocked, and the GitHub API and DNS are wanted but broken; each design
  has its monthly bill; the summary says so;
- --enforce drops the burst from its first packet (policy_denied, no session,
  nothing of it in outside.pcap) and leaves every allowed flow byte for byte as
  without it;
- a rule on a DNS-learned name decides at session creation: a policy denying
  *.dkr.ecr.* leaves no ECR registry session under --enforce; each task's
  registry SYN is tried `retries` times and refused each time (the loop is
  closed: the hosts retransmit), and the tasks go on without the registry;
- a bad policy file is one line naming the file and exit status 2.
"""

import json
import math
import os
import sys
import tempfile

sys.dont_write_bytecode = True
import natgw_check as nc  # noqa: E402

BURST = "198.51.100.77"


def design(pol, d, o):
    return pol["designs"][d][o]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, example = sys.argv[1:3]
    ck = nc.Checker("replay_policy")
    with tempfile.TemporaryDirectory(prefix="natgw-policy-") as tmp:
        r = nc.replay(exe, None, os.path.join(tmp, "a"), inside=None, public=None,
                      extra=["--no-plot"])
        if not ck.eq(r.rc, 0, "exit status of " + r.describe() + " " + r.stderr):
            sys.exit(ck.finish())
        pol = r.report.get("policy")
        if not ck.check(pol is not None, "the default run evaluates the example policy"):
            sys.exit(ck.finish())
        flows = r.report["flows"]
        burst = [f for f in flows if f["destination_ip"] == BURST]
        ck.eq(len(burst), 1, "the scenario's one session to the metrics collector")
        params = r.report["capture"]["parameters"]
        datagrams = math.ceil(params["burst"] / 1400)
        v = design(pol, "nat", "violations")
        ck.eq(v["sessions"], 1, "nat: one session against the policy")
        ck.eq(v["bytes"], burst[0]["bytes_out"] + burst[0]["bytes_in"],
              "nat: the violation's bytes are the burst's")
        ck.eq(design(pol, "nat", "flow_wanted")["sessions"], len(flows) - 1,
              "nat: every other session flows and is wanted")
        ck.eq(design(pol, "blackhole", "flow_wanted")["sessions"], 0,
              "blackhole: nothing flows")
        ck.eq(design(pol, "blackhole", "broken")["sessions"], len(flows) - 1,
              "blackhole: every wanted session is broken")
        ck.eq(design(pol, "endpoints", "violations")["sessions"], 0,
              "endpoints: no violations")
        ck.eq(design(pol, "endpoints", "blocked")["sessions"], 1, "endpoints: the burst blocked")
        aws = [f for f in flows if f["service"] in ("s3", "dynamodb", "ecr.api", "ecr.dkr",
                                                      "ecs", "logs")]
        ck.eq(design(pol, "endpoints", "flow_wanted")["sessions"], len(aws),
              "endpoints: the AWS sessions flow")
        ck.eq(design(pol, "endpoints", "broken")["sessions"], len(flows) - 1 - len(aws),
              "endpoints: the internet sessions the policy wants are broken")
        ck.check(set(pol.get("bill_month", {})) == {"nat", "blackhole", "endpoints"},
                 "a monthly bill for each design: %r" % pol.get("bill_month"))
        ck.check("metrics.example.net" in r.stdout and "a month of it" in r.stdout,
                 "the summary names the violation and the bills")

        # --enforce: the burst never gets a session; the rest is untouched.
        r2 = nc.replay(exe, None, os.path.join(tmp, "b"), inside=None, public=None,
                       extra=["--no-plot", "--enforce", example])
        if ck.eq(r2.rc, 0, "exit status of " + r2.describe() + " " + r2.stderr):
            rep2 = r2.report
            ck.eq([f for f in rep2["flows"] if f["destination_ip"] == BURST], [],
                  "--enforce: no session to the collector")
            ck.eq(rep2["drops"]["policy_denied"] + rep2["drops"]["bandwidth_ceiling"], datagrams,
                  "--enforce: every datagram of the burst dropped (policy or ceiling first)")
            ck.check(rep2["drops"]["policy_denied"] > 0, "--enforce: policy_denied counted")
            ck.eq(rep2["policy"].get("refused_by_rule"),
                  [{"rule": "default", "packets": rep2["drops"]["policy_denied"]}],
                  "--enforce: the refused packets by deciding rule")
            ck.check(all(nc.ipv4_of(x).dst != BURST for x in r2.outside),
                     "--enforce: nothing to the collector in outside.pcap")
            key = lambda f: (f["proto"], f["inside_ip"], f["inside_port"], f["destination_ip"],
                             f["destination_port"], f["packets_out"], f["bytes_out"],
                             f["packets_in"], f["bytes_in"])
            ck.eq(sorted(key(f) for f in rep2["flows"]),
                  sorted(key(f) for f in flows if f["destination_ip"] != BURST),
                  "--enforce: every allowed flow as without it")
            ck.eq(rep2["policy"]["designs"]["nat"]["violations"]["sessions"], 0,
                  "--enforce: nothing got out against the policy")

        # A rule on a name the DNS answers taught decides at creation.
        with open(example) as f:
            p = json.load(f)
        p["rules"].insert(0, {"name": "no registry", "action": "deny",
                              "host": "*.dkr.ecr.*"})
        dkr = os.path.join(tmp, "no-dkr.json")
        with open(dkr, "w") as f:
            json.dump(p, f)
        r3 = nc.replay(exe, None, os.path.join(tmp, "c"), inside=None, public=None,
                       extra=["--no-plot", "--enforce", dkr])
        if ck.eq(r3.rc, 0, "exit status of " + r3.describe() + " " + r3.stderr):
            ck.eq([f for f in r3.report["flows"] if f["service"] == "ecr.dkr"], [],
                  "--enforce by a DNS name: no ECR registry session")
            ck.check(r3.report["drops"]["policy_denied"] > 0, "its SYN was dropped")
            ck.check({"rule": "no registry", "packets": params["tasks"] * params["retries"]} in
                     r3.report["policy"].get("refused_by_rule", []),
                     "refused by 'no registry': %r" % r3.report["policy"].get("refused_by_rule"))

        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"default": "deny", "rules": [{"action": "allow", "port": "http"}]}')
        r4 = nc.replay(exe, None, os.path.join(tmp, "d"), inside=None, public=None,
                       extra=["--policy", bad])
        ck.eq(r4.rc, 2, "exit status of " + r4.describe())
        ck.check(len(r4.stderr.strip().splitlines()) == 1 and "bad.json" in r4.stderr,
                 "a bad policy: one line naming the file: %r" % r4.stderr)
    sys.exit(ck.finish())


if __name__ == "__main__":
    main()
