#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# `natgw lab --dut external` against a device in another process: the set-up
# docs/lab.md gives for a generator cabled to a separate NAT, on one machine.
# The device is natgw's dataplane (`natgw -- ...`), which the lab knows nothing
# of but its ports' MACs: it learns every public endpoint from what comes back.
#
#   namespace TAG-lab (no addresses: its kernel takes no part)
#   natgw lab (generator)                       natgw (the device under test)
#   lcore 0  port 0 af_packet gin  ==veth==  din  port 0 (inside)   worker lcore 1
#            port 1 af_packet gout ==veth== dout  port 1 (outside)
#
# The device's table holds DUT_SESSIONS sessions; its UDP sessions expire after
# 4 s and the lab waits --gap 5 s before each setup-rate and capacity trial.
# Checks: the three searches complete with an NDR; no frame of any trial comes
# back mistranslated or from a stranger; the capacity the lab finds is the
# device's table (DUT_SESSIONS held at once, an NDR within 2% below it); the
# device's own report agrees (its peak) and it dropped nothing but the
# capacity trials' sessions beyond its table (a generator that sent a bad
# frame, or asked for a session it was never given, would show there).
#
# usage: lab_external.sh NATGW    (as root; meson test --suite live)
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, no netns).
set -u -o pipefail

NATGW=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TAG=natgw-ext-$$
# shellcheck source=tests/live/netns.sh
. "$HERE/netns.sh" # netns_make, netns_exit, say, pass, fail, check, die, inns, wait_for

NS=$TAG-lab
MAC_GEN_IN=02:6e:61:00:03:01
MAC_DUT_IN=02:6e:61:00:03:02
MAC_GEN_OUT=02:6e:61:00:04:01
MAC_DUT_OUT=02:6e:61:00:04:02
DUT_SESSIONS=16384
TMP=

trap 'netns_exit lab_external dut.log lab.log' EXIT
trap 'exit 130' INT TERM

netns_make "the external-device lab" "$NS"
if [ -z "$NATGW" ] || [ ! -x "$NATGW" ]; then
	die "usage: lab_external.sh NATGW (natgw binary, got '$NATGW')"
fi
TMP=$(mktemp -d /tmp/natgw-ext.XXXXXX) || die "cannot make a temporary directory"

ip -n "$NS" link set lo up || die "lo up in $NS"
# No IPv6: router solicitations would reach both programs as stray frames.
inns "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
	die "disable IPv6 in $NS"
ip -n "$NS" link add gin address "$MAC_GEN_IN" type veth peer name din address "$MAC_DUT_IN" ||
	die "veth gin-din"
ip -n "$NS" link add gout address "$MAC_GEN_OUT" type veth peer name dout address "$MAC_DUT_OUT" ||
	die "veth gout-dout"
for dev in gin din gout dout; do
	inns "$NS" ethtool -K "$dev" gro off >/dev/null 2>&1 # not offered: fine
	ip -n "$NS" link set "$dev" up || die "$dev up"
done
pass "namespace $NS with two veth pairs: generator gin/gout, device din/dout"

# The device: natgw's dataplane, its worker on lcore 1. --duration is a
# backstop; SIGTERM stops it and it writes its report.
ip netns exec "$NS" "$NATGW" -l 0,1 --file-prefix "$TAG-dut" --no-pci \
	--vdev net_af_packet0,iface=din --vdev net_af_packet1,iface=dout -- \
	--inside 0 --outside 1 --inside-net 10.0.0.0/16 --public-ip 203.0.113.10 \
	--eth-dest "0,$MAC_GEN_IN" --eth-dest "1,$MAC_GEN_OUT" --scale off \
	--max-sessions "$DUT_SESSIONS" --timeout udp=4 --report "$TMP/dut.json" \
	-T 0 --duration 400 >"$TMP/dut.log" 2>&1 </dev/null &
NATGW_PID=$!
wait_for "$TMP/dut.log" "forwarding between" || die "the device (natgw) did not start"
pass "the device runs: natgw, $DUT_SESSIONS sessions, UDP timeout 4 s"

# The generator on lcore 0 only (the device's main lcore, mostly asleep, shares
# CPU 0 with it). Throughput trials of 0.5 s; setup-rate trials of 0.25 s under
# the table; capacity: up to 24,000 sessions made at 20,000/s, so that none is
# older than 1.2 s (a third of the device's 4 s) when the lab asks for it.
lab_rc=0
ip netns exec "$NS" timeout 300 "$NATGW" lab -l 0 --file-prefix "$TAG-gen" --no-pci \
	--vdev net_af_packet0,iface=gin --vdev net_af_packet1,iface=gout -- \
	--dut external --gen-ports 0,1 --eth-dest "0,$MAC_DUT_IN" --eth-dest "1,$MAC_DUT_OUT" \
	--tests throughput,cps,capacity --flows 256 --rate-max 2M --trial 0.5 \
	--cps-max 20000 --capacity-max 24000 --capacity-rate 20000 --gap 5 \
	-q --no-plot -o "$TMP/out" >"$TMP/lab.log" 2>&1 </dev/null || lab_rc=$?
check "natgw lab --dut external exited 0 (got $lab_rc) and wrote lab.json" \
	test "$lab_rc" = 0 -a -s "$TMP/out/lab.json"

kill -TERM "$NATGW_PID" 2>/dev/null
dut_rc=0
wait "$NATGW_PID" || dut_rc=$?
NATGW_PID=
check "the device stopped on SIGTERM with status 0 (got $dut_rc) and wrote its report" \
	test "$dut_rc" = 0 -a -s "$TMP/dut.json"
[ "$lab_rc" = 0 ] && [ "$dut_rc" = 0 ] || exit 1

# The checks on both programs' results, one PASS/FAIL line each.
out=$("$PY" - "$TMP/out/lab.json" "$TMP/dut.json" "$DUT_SESSIONS" <<'EOF'
import json, sys

lab = json.load(open(sys.argv[1]))
dut = json.load(open(sys.argv[2]))
cap = int(sys.argv[3])
res = []

def check(what, ok):
    res.append(("PASS: " if ok else "FAIL: ") + what)

check("lab.json says the device was external (%s)" % lab["lab"]["dut"],
      lab["lab"]["dut"] == "external")
for t in ("throughput", "cps", "capacity"):
    s = lab[t]
    check("%s: search complete, NDR found (%.0f %s)" % (t, s["ndr"]["rate"], s["unit"]),
          s["complete"] and s["ndr"]["found"] and s["ndr"]["rate"] >= s["min"])
    bad = {k: sum(tr.get(k, 0) for tr in s["trials"]) for k in ("mistranslated", "foreign")}
    check("%s: %d trials, no frame back mistranslated or from a stranger (%s)"
          % (t, len(s["trials"]), bad), len(s["trials"]) > 0 and not any(bad.values()))
c = lab["capacity"]
check("capacity: the lab saw %d sessions held at once, the device's table (%d)"
      % (c["held"], cap), c["held"] == cap)
check("capacity: NDR %.0f sessions, within 2%% below the table" % c["ndr"]["rate"],
      0.98 * cap <= c["ndr"]["rate"] <= cap)
check("the device's report: %d sessions at most at once, its table"
      % dut["counters"]["sessions_peak"], dut["counters"]["sessions_peak"] == cap)
drops = {k: v for k, v in dut["drops"].items() if v}
check("the device's drops: only table_full, from the capacity trials (%s)" % drops,
      list(drops) == ["table_full"])
for line in res:
    print(line)
EOF
) || fail "the results could not be read (lab.json, the device's report)"
while IFS= read -r line; do
	case $line in
	PASS:*) pass "${line#PASS: }" ;;
	FAIL:*) fail "${line#FAIL: }" ;;
	esac
done <<<"$out"

[ "$nfail" = 0 ]
