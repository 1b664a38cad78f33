#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2317 # the helpers given to check run indirectly
#
# The live lab: natgw between real kernel network stacks, in network namespaces
# of its own (only its own namespaces and loopback are used):
#
#   nin (an ECS host)          ngw (natgw)                  nout (the internet)
#   eth0 10.0.1.10/24  ==veth==  gin  [natgw]  gout  ==veth==  eth0 198.51.100.1/24
#   default via 10.0.1.1                                   203.0.113.10 on the link
#
# natgw opens the ngw ends of the veths with net_af_packet (a packet socket with
# mmap'ed rings). af_packet rather than net_tap: net_tap makes a new tap
# interface that would then have to be bridged to the veth (a bridge, more
# kernel forwarding that could hide natgw's own faults, and tap's tx offloads
# to reason about), while af_packet sits directly on the veth, as a NIC's port
# sits on its wire; with qpairs=2 it opens two sockets in a fanout group, so
# the two-worker run gets two rx queues per port.
#
# No ARP: natgw is an L3 router without a neighbour table (like DPDK's l3fwd).
# Static neighbour entries stand in for it: in nin 10.0.1.1 is the MAC of gin,
# in nout 203.0.113.10 is the MAC of gout; natgw is told the hosts' MACs with
# --eth-dest.
#
# Checksum offload: a veth hands locally made packets over with CHECKSUM_PARTIAL
# (the transport checksum left for a NIC to fill in). A packet socket sees such
# a frame with the checksum field holding only the pseudo-header sum, and the
# status that says so (TP_STATUS_CSUMNOTREADY) is not passed up by DPDK's
# af_packet PMD: natgw would translate and send on a wrong checksum, and the
# other kernel would drop the segment (InCsumErrors). So transmit checksum
# offload is turned off on the hosts' ends (ethtool -K eth0 tx off, which also
# turns TSO off: segments are cut in software, no 64 kB frames reach the packet
# socket), and GRO off on the gateway's ends.
#
# Steps, each bounded by `timeout`:
#   run 1 (one worker): ping, UDP echo flows, an HTTP download (size, sha256,
#   the server's log), unsolicited TCP and UDP from nout (must fail, counted as
#   no_session_inbound), telemetry, a capture in nout (no private address, the
#   gateway's MAC, sound checksums), the kernels' InCsumErrors;
#   run 2 (two workers, lcores 1 and 2 on one CPU, af_packet qpairs=2): the same
#   ping and UDP flows; per-flow accounting identical to run 1's, handoff
#   counters consistent, no reply dropped for want of a session.
#
# usage: lab.sh NATGW    (as root; meson test --suite live)
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, no netns).
set -u -o pipefail

NATGW=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
LABPY=$HERE/lab.py

TAG=natgw-lab-$$
# shellcheck source=tests/live/netns.sh
. "$HERE/netns.sh" # the namespaces (named after TAG), addresses and MACs
PREFIX=$TAG # DPDK --file-prefix (telemetry socket), one per run: -1, -2

HTTP_PORT=8080
UDP_PORTS=7001,7002
UDP_FLOWS=6
UDP_COUNT=20
UDP_SPORT=40000
PING_ID=4660
PING_COUNT=3
PING_SIZE=56
CLOSED_TCP_PORT=8081
CLOSED_UDP_PORT=9999

TMP=

trap 'netns_exit lab "natgw-*.log" http.log udp.log "*.err"' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ can we?

netns_make "the live lab"
if [ -z "$NATGW" ] || [ ! -x "$NATGW" ]; then
	die "usage: lab.sh NATGW (natgw binary, got '$NATGW')"
fi
TELEMETRY=$(command -v dpdk-telemetry.py || true)
for t in ethtool curl ping dumpcap tshark sha256sum timeout "$PY"; do
	command -v "$t" >/dev/null || die "'$t' is missing: run tools/install-deps"
done
[ -n "$TELEMETRY" ] || die "dpdk-telemetry.py is missing (package dpdk): run tools/install-deps"

TMP=$(mktemp -d /tmp/natgw-lab.XXXXXX) || die "cannot make a temporary directory"

# ------------------------------------------------------------------ the lab

# shellcheck disable=SC2119 # no extra outside address
netns_setup || die "lab set-up (namespaces $NS_IN, $NS_GW, $NS_OUT)"
pass "lab set up: namespaces $NS_IN, $NS_GW, $NS_OUT; tx checksum offload off on the hosts"

# ------------------------------------------------------------------ natgw

# start_natgw RUN WORKERS: natgw in ngw, with --flow-log and a report. --duration
# is a backstop only; the lab stops it with SIGTERM.
start_natgw() {
	local run=$1 workers=$2 eal cfg
	if [ "$workers" = 1 ]; then
		eal=(-l "0,1")
		cfg=()
	else
		# lcores 1 and 2 share CPU 1; lcore 0 (main) prints and serves telemetry.
		eal=(--lcores "0@0,1@1,2@1")
		cfg=(--config "(0,0,1),(0,1,2),(1,0,1),(1,1,2)")
	fi
	# ip netns exec execs natgw: $! is natgw itself (signals, exit status).
	ip netns exec "$NS_GW" "$NATGW" "${eal[@]}" --file-prefix "$PREFIX-$run" --no-pci \
		--vdev "net_af_packet0,iface=gin,qpairs=$workers" \
		--vdev "net_af_packet1,iface=gout,qpairs=$workers" -- \
		--inside 0 --outside 1 --inside-net "$INSIDE_NET" --public-ip "$PUBLIC_IP" \
		--eth-dest "0,$MAC_HOST" --eth-dest "1,$MAC_SERVER" "${cfg[@]}" \
		--flow-log --report "$TMP/report-$run.json" -T 0 --duration 200 \
		>"$TMP/natgw-$run.log" 2>&1 </dev/null &
	NATGW_PID=$!
	for _ in $(seq 1 300); do
		grep -q "forwarding between" "$TMP/natgw-$run.log" && return 0
		kill -0 "$NATGW_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# stop_natgw RUN: SIGTERM, then it writes its report and exits 0.
stop_natgw() {
	local run=$1 rc
	kill -TERM "$NATGW_PID" 2>/dev/null
	for _ in $(seq 1 200); do
		kill -0 "$NATGW_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$NATGW_PID" 2>/dev/null; then
		kill -KILL "$NATGW_PID"
		wait "$NATGW_PID"
		NATGW_PID=
		fail "natgw (run $run) did not stop within 20 s of SIGTERM"
		return 1
	fi
	wait "$NATGW_PID"
	rc=$?
	NATGW_PID=
	check "natgw (run $run) stopped on SIGTERM with status 0 (got $rc) and wrote its report" \
		test "$rc" = 0 -a -s "$TMP/report-$run.json"
}

csum_errors() { # the InCsumErrors counters of a namespace (Ip/Tcp/Udp/Icmp), summed
	inns "$1" cat /proc/net/snmp | awk '
		/^[A-Za-z]+:/ && !seen[$1]++ { for (i = 2; i <= NF; i++) col[$1, i] = $i; next }
		{ for (i = 2; i <= NF; i++) if (col[$1, i] == "InCsumErrors") s += $i }
		END { print s + 0 }'
}

ping_once() { # ping_once RUN: PING_COUNT echoes, all answered
	timeout 20 ip netns exec "$NS_IN" ping -n -q -c "$PING_COUNT" -i 0.2 -W 3 \
		-s "$PING_SIZE" -e "$PING_ID" "$SERVER_IP" >"$TMP/ping-$1.out" 2>&1 &&
		grep -q " $PING_COUNT received" "$TMP/ping-$1.out"
}

udp_flows() { # udp_flows RUN: the echo client in nin
	timeout 60 ip netns exec "$NS_IN" "$PY" "$LABPY" udp-client "$HOST_IP" "$SERVER_IP" \
		"$UDP_PORTS" "$UDP_FLOWS" "$UDP_COUNT" "$UDP_SPORT" "$TMP/expect-$1.json"
}

# The servers in nout, up for both runs.
bg "$TMP/udp.err" "$NS_OUT" "$PY" "$LABPY" udp-server "$SERVER_IP" "$UDP_PORTS" "$TMP/udp.log"
mkdir -p "$TMP/www"
head -c $((4 * 1024 * 1024 + 12345)) /dev/urandom >"$TMP/www/blob" || die "making the file to serve"
bg "$TMP/http.log" "$NS_OUT" "$PY" -u -m http.server "$HTTP_PORT" --bind "$SERVER_IP" \
	--directory "$TMP/www"
wait_for "$TMP/udp.log" ready || die "UDP echo server in $NS_OUT did not start"
wait_for "$TMP/http.log" "Serving HTTP" || die "HTTP server in $NS_OUT did not start"

# ------------------------------------------------------------------ run 1

say "== run 1: one worker"
start_natgw 1 1 || die "natgw (one worker) did not start: see natgw-1.log below"
pass "natgw started: one worker on net_af_packet0 (gin) and net_af_packet1 (gout)"

# A capture of everything on the internet side while run 1 lasts.
bg "$TMP/dumpcap.err" "$NS_OUT" timeout 120 dumpcap -q -i eth0 -w "$TMP/nout.pcapng"
CAP_PID=${PIDS[-1]}
for _ in $(seq 1 100); do
	[ -s "$TMP/nout.pcapng" ] && break
	sleep 0.1
done
[ -s "$TMP/nout.pcapng" ] || die "dumpcap in $NS_OUT did not start capturing"
sleep 0.5

check "ping -c $PING_COUNT from $NS_IN to $SERVER_IP through natgw" ping_once 1
udp_flows 1 || fail "UDP echo: $UDP_FLOWS flows of $UDP_COUNT datagrams through natgw"
"$PY" "$LABPY" expect-icmp "$TMP/expect-1.json" "$HOST_IP" "$SERVER_IP" "$PING_ID" \
	"$PING_COUNT" "$PING_SIZE"

if timeout 60 ip netns exec "$NS_IN" curl -sS --max-time 50 -o "$TMP/download" \
	"http://$SERVER_IP:$HTTP_PORT/blob" 2>"$TMP/curl.err"; then
	pass "HTTP download from $SERVER_IP through natgw"
else
	fail "HTTP download from $SERVER_IP through natgw: $(cat "$TMP/curl.err")"
fi
want_size=$(stat -c %s "$TMP/www/blob")
got_size=$(stat -c %s "$TMP/download" 2>/dev/null || echo 0)
check "download size $got_size == $want_size" test "$got_size" = "$want_size"
want_sum=$(sha256sum <"$TMP/www/blob" | cut -d' ' -f1)
got_sum=$(sha256sum <"$TMP/download" 2>/dev/null | cut -d' ' -f1)
check "download sha256 matches the served file" test "$want_sum" = "$got_sum"
check "HTTP server's log shows the public address $PUBLIC_IP as the client" \
	grep -q "^$PUBLIC_IP .*GET /blob" "$TMP/http.log"
check "HTTP server's log shows no private client address" \
	bash -c "! grep -Eq '^10\\.' '$TMP/http.log'"
"$PY" "$LABPY" server-log "$TMP/udp.log" "$PUBLIC_IP" "$UDP_FLOWS" "$UDP_COUNT" ||
	nfail=$((nfail + 1))

# Unsolicited connections from the internet: dropped (aws: no_session_inbound).
timeout 20 ip netns exec "$NS_OUT" curl -sS --connect-timeout 3 \
	"http://$PUBLIC_IP:$CLOSED_TCP_PORT/" >"$TMP/unsol.out" 2>&1
rc=$?
check "unsolicited TCP from $NS_OUT to $PUBLIC_IP:$CLOSED_TCP_PORT fails (curl exit $rc: 28 timed out, 7 refused)" \
	test "$rc" = 28 -o "$rc" = 7
timeout 20 ip netns exec "$NS_OUT" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
for i in range(3):
    s.sendto(b"unsolicited %d" % i, (sys.argv[1], int(sys.argv[2])))
try:
    s.recvfrom(100)
    sys.exit(1)
except OSError:
    sys.exit(0)
' "$PUBLIC_IP" "$CLOSED_UDP_PORT"
check "unsolicited UDP from $NS_OUT to $PUBLIC_IP:$CLOSED_UDP_PORT gets no answer" test $? = 0

# Telemetry while natgw runs.
echo /natgw/stats | timeout 15 "$TELEMETRY" -f "$PREFIX-1" >"$TMP/tel-stats.out" 2>&1
echo /natgw/metrics | timeout 15 "$TELEMETRY" -f "$PREFIX-1" >"$TMP/tel-metrics.out" 2>&1
if ! "$PY" "$LABPY" telemetry "$TMP/tel-stats.out" "$TMP/tel-metrics.out"; then
	nfail=$((nfail + 1))
	say "telemetry answers:"
	cat "$TMP/tel-stats.out" "$TMP/tel-metrics.out"
fi

sleep 0.5 # the last frames into the capture
kill -TERM "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
stop_natgw 1

# The capture on the internet side: what natgw sent and what it was sent.
tcount() { # tcount FILTER: frames of the capture matching a display filter
	tshark -n -r "$TMP/nout.pcapng" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -Y "$1" 2>/dev/null | wc -l
}
n_all=$(tcount "ip")
n_pub=$(tcount "ip.src == $PUBLIC_IP")
check "capture in $NS_OUT: $n_pub of $n_all IPv4 frames came from $PUBLIC_IP" \
	test "$n_pub" -gt 0
n=$(tcount "ip.addr == 10.0.0.0/8")
check "capture in $NS_OUT: no private (10.x) address in any frame, ICMP quotes included ($n)" \
	test "$n" = 0
n=$(tcount "ip.src == $PUBLIC_IP && eth.src != $MAC_GW_OUT")
check "capture in $NS_OUT: every frame from $PUBLIC_IP has natgw's MAC $MAC_GW_OUT as source ($n not)" \
	test "$n" = 0
n=$(tcount "ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0")
check "capture in $NS_OUT: tshark finds no bad IP/TCP/UDP/ICMP checksum ($n bad)" test "$n" = 0
unsol=$(tcount "ip.dst == $PUBLIC_IP && ((tcp.dstport == $CLOSED_TCP_PORT && tcp.flags.syn == 1) || udp.dstport == $CLOSED_UDP_PORT)")
check "capture in $NS_OUT: the unsolicited packets were sent ($unsol)" test "$unsol" -ge 4
"$PY" "$LABPY" report-one "$TMP/report-1.json" "$TMP/expect-1.json" "$MAC_GW_IN" \
	"$MAC_GW_OUT" "$PUBLIC_IP" "$unsol" || nfail=$((nfail + 1))

# ------------------------------------------------------------------ run 2

say "== run 2: two workers (lcores 1 and 2 on CPU 1), af_packet qpairs=2"
: >"$TMP/udp.log"
start_natgw 2 2 || die "natgw (two workers) did not start: see natgw-2.log below"
pass "natgw started: two workers, two rx queues per port"
check "ping -c $PING_COUNT from $NS_IN to $SERVER_IP through natgw (2 workers)" ping_once 2
udp_flows 2 || fail "UDP echo (2 workers): $UDP_FLOWS flows of $UDP_COUNT datagrams"
"$PY" "$LABPY" expect-icmp "$TMP/expect-2.json" "$HOST_IP" "$SERVER_IP" "$PING_ID" \
	"$PING_COUNT" "$PING_SIZE"
"$PY" "$LABPY" server-log "$TMP/udp.log" "$PUBLIC_IP" "$UDP_FLOWS" "$UDP_COUNT" ||
	nfail=$((nfail + 1))
# The sessions held now, asked of both workers: the UDP flows and ping's.
echo /natgw/flows,40 | timeout 15 "$TELEMETRY" -f "$PREFIX-2" >"$TMP/tel-flows.out" 2>&1
if ! "$PY" "$LABPY" tel-flows "$TMP/tel-flows.out" $((UDP_FLOWS + 1)); then
	nfail=$((nfail + 1))
	say "telemetry answer:"
	cat "$TMP/tel-flows.out"
fi
stop_natgw 2
"$PY" "$LABPY" report-two "$TMP/report-2.json" "$TMP/report-1.json" "$TMP/expect-2.json" \
	"$MAC_GW_IN" "$MAC_GW_OUT" "$PUBLIC_IP" || nfail=$((nfail + 1))

# ------------------------------------------------------------------ kernels

for ns in "$NS_IN" "$NS_OUT"; do
	n=$(csum_errors "$ns")
	check "kernel of $ns counted no InCsumErrors (/proc/net/snmp: $n)" test "$n" = 0
done

say "lab: ${SECONDS}s"
[ "$nfail" = 0 ]
