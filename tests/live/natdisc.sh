#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A real NAT-discovery client through natgw: coturn's turnutils_natdiscovery
# (RFC 5780) in an inside namespace, coturn's turnserver with two addresses
# (the alternate address and port RFC 5780's tests need) in an outside one,
# natgw between them on af_packet ports, as in the live lab (lab.sh, whose
# header explains the static neighbours, the MACs and the checksum offloads):
#
#   nin                          ngw (natgw)                nout
#   eth0 10.0.1.10/24  ==veth==  gin [natgw] gout  ==veth==  eth0 198.51.100.1/24
#                                                                 198.51.100.2/24
#
# For each profile and filtering mode natgw claims (docs/conformance.md), the
# client's verdicts must be what the profile says:
#   aws       Address and Port Dependent Mapping, Address and Port Dependent
#             Filtering, no hairpinning
#   rfc eif   Endpoint Independent Mapping, Endpoint Independent Filtering,
#             hairpinning
#   rfc adf   Endpoint Independent Mapping, Address Dependent Filtering
#   rfc apdf  Endpoint Independent Mapping, Address and Port Dependent Filtering
#
# turnserver runs in the lab's own namespace on its own command line (no
# configuration file, no daemon, its database in the test's temporary
# directory): a coturn service the package may have installed on the host is
# neither used nor disturbed. Every wait is bounded.
#
# usage: natdisc.sh NATGW    (as root; meson test --suite live)
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, no netns).
set -u -o pipefail

NATGW=${1:-}
TAG=natgw-nd-$$
# shellcheck source=tests/live/netns.sh
. "$(cd "$(dirname "$0")" && pwd)/netns.sh" # namespaces, addresses, MACs
STUN_IP=$SERVER_IP
ALT_IP=198.51.100.2 # RFC 5780's alternate address, on the same host

TMP=
RUN=0

trap 'netns_exit natdisc "natgw-*.log" "disc-*.out" turn.log' EXIT
trap 'exit 130' INT TERM

netns_make "the NAT-discovery test"
if [ -z "$NATGW" ] || [ ! -x "$NATGW" ]; then
	die "usage: natdisc.sh NATGW (natgw binary, got '$NATGW')"
fi
for t in turnserver turnutils_natdiscovery ethtool ss timeout python3; do
	command -v "$t" >/dev/null || die "'$t' is missing (package coturn): run tools/install-deps"
done

TMP=$(mktemp -d /tmp/natgw-nd.XXXXXX) || die "cannot make a temporary directory"

netns_setup "$ALT_IP" || die "set-up (namespaces $NS_IN, $NS_GW, $NS_OUT)"

# The STUN server: RFC 5780 needs both addresses (and the alternate port,
# 3479 by default) to answer CHANGE-REQUESTs from elsewhere.
ip netns exec "$NS_OUT" timeout 600 turnserver -n --listening-ip "$STUN_IP" \
	--listening-ip "$ALT_IP" --listening-port 3478 --no-auth --no-tls --no-dtls --no-cli \
	--log-file "$TMP/turn.log" --simple-log --no-stdout-log --pidfile "$TMP/turn.pid" \
	--userdb "$TMP/turndb" >"$TMP/turn.out" 2>&1 </dev/null &
PIDS+=($!) # stopped with the rest by netns_exit
listening() { inns "$NS_OUT" ss -Hnlu "src $ALT_IP:3479" | grep -q .; }
for _ in $(seq 1 100); do
	listening && break
	sleep 0.1
done
listening || die "turnserver in $NS_OUT did not listen on $ALT_IP:3479 (RFC 5780 alternate)"
pass "turnserver listening on $STUN_IP and $ALT_IP, ports 3478 and 3479"

start_natgw() { # start_natgw ARGS...: natgw with the profile options ARGS
	RUN=$((RUN + 1))
	ip netns exec "$NS_GW" timeout 300 "$NATGW" -l 0,1 --file-prefix "$TAG-$RUN" --no-pci \
		--vdev "net_af_packet0,iface=gin" --vdev "net_af_packet1,iface=gout" -- \
		--inside 0 --outside 1 --inside-net "$INSIDE_NET" --public-ip "$PUBLIC_IP" \
		--eth-dest "0,$MAC_HOST" --eth-dest "1,$MAC_SERVER" "$@" \
		--report "$TMP/report-$RUN.json" -T 0 --duration 250 \
		>"$TMP/natgw-$RUN.log" 2>&1 </dev/null &
	NATGW_PID=$!
	for _ in $(seq 1 300); do
		grep -q "forwarding between" "$TMP/natgw-$RUN.log" && return 0
		kill -0 "$NATGW_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_natgw() {
	local rc
	kill -TERM "$NATGW_PID" 2>/dev/null
	for _ in $(seq 1 200); do
		kill -0 "$NATGW_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$NATGW_PID" 2>/dev/null
	wait "$NATGW_PID"
	rc=$?
	NATGW_PID=
	[ "$rc" = 0 ] || fail "natgw (run $RUN) exited with status $rc"
}

# discover NAME EXPECT_MAPPING EXPECT_FILTERING HAIRPIN(yes|no) NATGW_ARGS...
discover() {
	local name=$1 map=$2 filt=$3 hp=$4 out got n
	shift 4
	say "== $name"
	if ! start_natgw "$@"; then
		fail "$name: natgw did not start (natgw-$RUN.log)"
		return
	fi
	out=$TMP/disc-$RUN.out
	timeout 90 ip netns exec "$NS_IN" turnutils_natdiscovery -m -f "$STUN_IP" >"$out" 2>&1
	if grep -q "NAT with $map Mapping!" "$out"; then
		pass "$name: turnutils_natdiscovery reports $map Mapping"
	else
		fail "$name: want '$map Mapping', the client said: $(grep -E 'NAT with|No NAT' "$out" | tr '\n' ' ')"
	fi
	if grep -q "NAT with $filt Filtering!" "$out"; then
		pass "$name: turnutils_natdiscovery reports $filt Filtering"
	else
		fail "$name: want '$filt Filtering', the client said: $(grep -E 'NAT with|No NAT' "$out" | tr '\n' ' ')"
	fi
	timeout 60 ip netns exec "$NS_IN" turnutils_natdiscovery -H "$STUN_IP" >"$out.H" 2>&1
	if grep -q "successful hairpinning" "$out.H"; then
		got=yes
	else
		got=no
	fi
	if [ "$got" = "$hp" ]; then
		pass "$name: hairpinning seen by the client: $got"
	else
		fail "$name: hairpinning seen by the client: $got, want $hp"
	fi
	stop_natgw
	# natgw's own count agrees with what the client saw.
	n=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["counters"]["hairpinned"])' \
		"$TMP/report-$RUN.json" 2>/dev/null)
	if [ -z "$n" ]; then
		fail "$name: natgw's report (report-$RUN.json) is missing or has no counters"
	elif { [ "$hp" = yes ] && [ "$n" -gt 0 ]; } || { [ "$hp" = no ] && [ "$n" = 0 ]; }; then
		pass "$name: natgw's report counts $n hairpinned packets"
	else
		fail "$name: natgw's report counts $n hairpinned packets, hairpinning expected: $hp"
	fi
}

discover "aws" "Address and Port Dependent" "Address and Port Dependent" no --profile aws
discover "rfc eif" "Endpoint Independent" "Endpoint Independent" yes --profile rfc
discover "rfc adf" "Endpoint Independent" "Address Dependent" no --profile rfc --filtering adf
discover "rfc apdf" "Endpoint Independent" "Address and Port Dependent" no \
	--profile rfc --filtering apdf

[ "$nfail" = 0 ]
