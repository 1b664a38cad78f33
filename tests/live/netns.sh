# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The live tests' network: three namespaces and two veth pairs, natgw's ends
# left without addresses (lab.sh's header explains the static neighbours and
# the checksum offloads). Sourced by lab.sh and natdisc.sh, which set the
# names and addresses it reads: NS_IN, NS_GW, NS_OUT, HOST_IP, GW_INSIDE_IP,
# SERVER_IP, PUBLIC_IP, MAC_HOST, MAC_GW_IN, MAC_GW_OUT, MAC_SERVER, and
# npass and nfail (counters).
#
# netns_setup [EXTRA_OUTSIDE_IP...]: make the lab; the extra addresses go on
# the outside host too (a STUN server's alternate address). Returns non-zero
# at the first step that fails.

# The live tests' checks: each PASS/FAIL line counted in npass/nfail.
say() { printf '%s\n' "$*"; }
pass() { npass=$((npass + 1)); say "PASS: $*"; }
fail() { nfail=$((nfail + 1)); say "FAIL: $*"; }
check() { # check WHAT CMD...: PASS if CMD succeeds
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
die() { # a step the rest depends on failed
	fail "$*"
	exit 1
}
skip() {
	say "SKIP: $*"
	exit 77
}
inns() { # inns NS CMD...
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# netns_stop PID...: what the test started, TERM then KILL, reaped.
netns_stop() {
	local pid
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.3
	for pid in "$@"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}

# netns_remove: the namespaces in NS_MADE, with anything still running in
# them (the test started it); their veth ends go with them.
netns_remove() {
	local ns pid
	for ns in "${NS_MADE[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
}

netns_setup() {
	local ns dev a
	for ns in "$NS_IN" "$NS_GW" "$NS_OUT"; do
		ip -n "$ns" link set lo up || return 1
		# No IPv6: router solicitations and DAD would reach natgw (drops: ipv6).
		inns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	# The veths are made inside the namespaces: no name in the root namespace.
	ip -n "$NS_GW" link add gin address "$MAC_GW_IN" type veth \
		peer name eth0 netns "$NS_IN" address "$MAC_HOST" || return 1
	ip -n "$NS_GW" link add gout address "$MAC_GW_OUT" type veth \
		peer name eth0 netns "$NS_OUT" address "$MAC_SERVER" || return 1
	# The gateway's ends have no address: the kernel of ngw takes no part.
	for dev in gin gout; do
		inns "$NS_GW" ethtool -K "$dev" gro off >/dev/null 2>&1 # not offered: fine
		ip -n "$NS_GW" link set "$dev" up || return 1
	done

	ip -n "$NS_IN" addr add "$HOST_IP/24" dev eth0 || return 1
	ip -n "$NS_IN" link set eth0 up || return 1
	ip -n "$NS_IN" route add default via "$GW_INSIDE_IP" || return 1
	ip -n "$NS_IN" neigh replace "$GW_INSIDE_IP" lladdr "$MAC_GW_IN" dev eth0 nud permanent ||
		return 1

	ip -n "$NS_OUT" addr add "$SERVER_IP/24" dev eth0 || return 1
	for a in "$@"; do
		ip -n "$NS_OUT" addr add "$a/24" dev eth0 || return 1
	done
	ip -n "$NS_OUT" link set eth0 up || return 1
	# The public address is on the link; nout has no route to 10.0.0.0/8, so
	# an answer to a private source could not even leave it.
	ip -n "$NS_OUT" route add "$PUBLIC_IP/32" dev eth0 || return 1
	ip -n "$NS_OUT" neigh replace "$PUBLIC_IP" lladdr "$MAC_GW_OUT" dev eth0 nud permanent ||
		return 1

	# See the header: checksums must be complete in the frames natgw reads.
	inns "$NS_IN" ethtool -K eth0 tx off >/dev/null || return 1
	inns "$NS_OUT" ethtool -K eth0 tx off >/dev/null || return 1
}
