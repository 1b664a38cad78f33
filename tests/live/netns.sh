# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The live tests' network: three namespaces and two veth pairs, natgw's ends
# left without addresses (lab.sh's header explains the static neighbours and
# the checksum offloads). Sourced by lab.sh and natdisc.sh after they set
# TAG (the namespaces' prefix, unique per run); the checks count in their
# npass and nfail.
#
# netns_make WHAT [NS...]: skip (77) unless root with iproute2 and network
# namespaces; else make the namespaces NS (by default NS_IN, NS_GW, NS_OUT),
# each added to NS_MADE for netns_remove.
netns_make() {
	local what=$1 ns err first=1
	shift
	[ $# -gt 0 ] || set -- "$NS_IN" "$NS_GW" "$NS_OUT"
	[ "$(id -u)" = 0 ] || skip "$what needs root (network namespaces, veths)"
	command -v ip >/dev/null || skip "no 'ip' command (iproute2): cannot make network namespaces"
	for ns in "$@"; do
		if ! err=$(ip netns add "$ns" 2>&1); then
			[ -n "$first" ] || die "ip netns add $ns: $err"
			say "ip netns add: $err"
			skip "network namespaces cannot be made here"
		fi
		first=
		NS_MADE+=("$ns")
	done
}

# netns_setup [EXTRA_OUTSIDE_IP...]: make the lab; the extra addresses go on
# the outside host too (a STUN server's alternate address). Returns non-zero
# at the first step that fails.

# What a test made (netns_teardown undoes it) and its checks' counts.
NS_MADE=()
PIDS=()   # servers and captures started with bg
NATGW_PID=
npass=0
nfail=0

NS_IN=$TAG-in
NS_GW=$TAG-gw
NS_OUT=$TAG-out
HOST_IP=10.0.1.10
GW_INSIDE_IP=10.0.1.1 # exists only as the host's static neighbour entry
# shellcheck disable=SC2034 # used by the scripts that source this
INSIDE_NET=10.0.1.0/24
SERVER_IP=198.51.100.1
PUBLIC_IP=203.0.113.10
# Locally administered MACs, fixed so that reports can be checked against them.
MAC_HOST=02:6e:61:00:01:0a
MAC_GW_IN=02:6e:61:00:01:01
MAC_GW_OUT=02:6e:61:00:02:01
MAC_SERVER=02:6e:61:00:02:0a

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

# bg LOG NS CMD...: a background helper in a namespace, remembered in PIDS for
# clean-up (netns_stop).
bg() {
	local log=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	PIDS+=($!) # the command itself: ip netns exec execs it
}

# wait_for FILE PATTERN: up to 10 s for PATTERN in FILE.
wait_for() {
	local _
	for _ in $(seq 1 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# netns_show_logs LINES FILE...: the last LINES lines of each non-empty FILE,
# under its name (what a failed test prints).
netns_show_logs() {
	local n=$1 f
	shift
	for f in "$@"; do
		[ -s "$f" ] || continue
		say "---- $(basename "$f") (last $n lines)"
		tail -n "$n" "$f"
	done
}

# netns_teardown: natgw and what bg started (or the test added to PIDS)
# stopped, the namespaces removed.
netns_teardown() {
	# shellcheck disable=SC2086 # NATGW_PID: none or one
	netns_stop $NATGW_PID "${PIDS[@]}"
	netns_remove
}

# netns_exit NAME LOG...: every live test's EXIT trap (trap 'netns_exit NAME
# LOG...' EXIT, with TMP its temporary directory or empty): what it started
# stopped, its namespaces, its DPDK runtime directories (--file-prefix TAG or
# TAG-*) and TMP removed, also on failure, when the LOG files (globs under
# TMP) are shown first; then its counts. Keeps the script's exit status.
netns_exit() {
	local rc=$? name=$1 g
	shift
	trap - EXIT INT TERM
	netns_teardown
	rm -rf "/var/run/dpdk/$TAG" "/var/run/dpdk/$TAG"-* 2>/dev/null
	if [ -n "$TMP" ] && [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		say "---- $name failed: logs follow ----"
		for g in "$@"; do
			# shellcheck disable=SC2086 # a glob, expanded here
			netns_show_logs 60 "$TMP"/$g
		done
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	if [ "$rc" = 0 ]; then
		say "$name: $npass passed (${SECONDS}s)"
	elif [ "$rc" != 77 ]; then
		say "$name: FAILED, $npass passed, $nfail failed (${SECONDS}s; see the FAIL lines and the logs above)"
	fi
	exit "$rc"
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
