#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Nothing unsolicited reaches the inside: natgw (`aws` profile) between network
# namespaces, as in the live lab (lab.sh's header explains the lab), holding a
# TCP connection and a UDP flow from nin to nout's echo servers, while nout
# sweeps the public address with raw packets: a TCP SYN, a TCP ACK and a UDP
# datagram to every port 1-65535, ICMP echoes, and for both sessions' public
# endpoints packets from the wrong source address or port (spoofed replies,
# spoofed RSTs; sources include the inside host's own address and the public
# address itself). Checks:
#   - a capture on nin's interface during the sweep holds no IPv4 frame;
#   - natgw counted the sweep's packets as no_session_inbound and sent none
#     to the inside (PacketsOutToSource is the echoes' alone);
#   - the connection and the flow still echo afterwards (the spoofed RSTs did
#     not end them), and those echoes are seen in nin (the capture works);
#   - natgw listens on no IP socket: telemetry is DPDK's unix socket in its
#     runtime directory, owned by root and not writable by others.
#
# usage: security.sh NATGW    (as root; meson test --suite live)
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, no netns).
set -u -o pipefail

NATGW=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SECPY=$HERE/security.py

TAG=natgw-sec-$$
# shellcheck source=tests/live/netns.sh
. "$HERE/netns.sh"
PREFIX=$TAG
TCP_PORT=8080
UDP_PORT=7001

TMP=

trap 'netns_exit security "*.log" "*.err" "*.out"' EXIT
trap 'exit 130' INT TERM

netns_make "the security test"
[ -x "$NATGW" ] || die "usage: security.sh NATGW (natgw binary, got '$NATGW')"
for t in ethtool dumpcap tshark timeout ss "$PY"; do
	command -v "$t" >/dev/null || die "'$t' is missing: run tools/install-deps"
done
TMP=$(mktemp -d /tmp/natgw-sec.XXXXXX) || die "cannot make a temporary directory"
# shellcheck disable=SC2119 # no extra outside address
netns_setup || die "lab set-up (namespaces $NS_IN, $NS_GW, $NS_OUT)"

ip netns exec "$NS_GW" "$NATGW" -l 0,1 --file-prefix "$PREFIX" --no-pci \
	--vdev net_af_packet0,iface=gin --vdev net_af_packet1,iface=gout -- \
	--inside 0 --outside 1 --inside-net "$INSIDE_NET" --public-ip "$PUBLIC_IP" \
	--eth-dest "0,$MAC_HOST" --eth-dest "1,$MAC_SERVER" --profile aws \
	--report "$TMP/report.json" -T 0 --duration 200 >"$TMP/natgw.log" 2>&1 </dev/null &
NATGW_PID=$!
for _ in $(seq 1 300); do
	grep -q "forwarding between" "$TMP/natgw.log" && break
	kill -0 "$NATGW_PID" 2>/dev/null || die "natgw did not start"
	sleep 0.1
done
grep -q "forwarding between" "$TMP/natgw.log" || die "natgw did not start within 30 s"

# natgw's sockets: none on IP; DPDK's telemetry socket, root's alone.
inet=$(inns "$NS_GW" ss -Hltunp 2>/dev/null | grep -c "pid=$NATGW_PID," || true)
check "natgw listens on no TCP or UDP socket ($inet)" test "$inet" = 0
tsock=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
check "telemetry is a unix socket in natgw's runtime directory ($tsock)" test -S "$tsock"
mode=$(stat -c '%U %a' "$tsock" 2>/dev/null)
check "the telemetry socket is root's, writable by no one else ($mode)" \
	bash -c "[ \"\${1%% *}\" = root ] && [ \$(( 0\${1##* } & 02 )) = 0 ]" _ "$mode"

# Everything the inside host receives, from before its first packet.
bg "$TMP/dumpcap.err" "$NS_IN" timeout 200 dumpcap -q -i eth0 -f ip -w "$TMP/nin.pcapng"
CAP_PID=${PIDS[-1]}
for _ in $(seq 1 100); do [ -s "$TMP/nin.pcapng" ] && break; sleep 0.1; done
sleep 0.5

# The sessions to protect.
bg "$TMP/servers.err" "$NS_OUT" timeout 250 "$PY" "$SECPY" servers "$SERVER_IP" "$TCP_PORT" \
	"$UDP_PORT" "$TMP/peers.log"
wait_for "$TMP/peers.log" ready || die "the echo servers in $NS_OUT did not start"
mkfifo "$TMP/ctl"
bg "$TMP/client.out" "$NS_IN" timeout 250 "$PY" "$SECPY" client "$SERVER_IP" "$TCP_PORT" \
	"$UDP_PORT" "$TMP/ctl"
exec 7<>"$TMP/ctl" # held open: the client reads it as a stream of lines
wait_for "$TMP/client.out" . || die "the client in $NS_IN said nothing"
check "a TCP connection and a UDP flow from $NS_IN echo through natgw" \
	grep -qx ok "$TMP/client.out"
npeers=$(grep -c '^{' "$TMP/peers.log")
check "the servers saw natgw's public endpoints ($npeers)" test "$npeers" -ge 2

# The sweep; then a second to let whatever natgw would pass arrive.
sleep 0.5
t0=$(date +%s.%N)
sent=$(timeout 120 ip netns exec "$NS_OUT" "$PY" "$SECPY" sweep "$PUBLIC_IP" "$SERVER_IP" \
	"$TMP/peers.log" 2>"$TMP/sweep.err")
check "the sweep sent its packets ($sent, at least 3 x 65535)" test "${sent:-0}" -ge 196605
sleep 1
t1=$(date +%s.%N)

# The sessions survived, and their echoes are seen by the same capture.
echo again >&7
for _ in $(seq 1 50); do [ "$(wc -l <"$TMP/client.out")" -ge 2 ] && break; sleep 0.1; done
check "after the sweep both still echo (the spoofed RSTs ended nothing)" \
	test "$(sed -n 2p "$TMP/client.out")" = ok
echo quit >&7
exec 7>&-
sleep 0.5
kill -TERM "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
n_in=$(tshark -r "$TMP/nin.pcapng" -Y "ip && frame.time_epoch >= $t0 && frame.time_epoch <= $t1" \
	2>/dev/null | wc -l)
check "nothing reached $NS_IN during the sweep ($n_in IPv4 frames)" test "$n_in" = 0
n_after=$(tshark -r "$TMP/nin.pcapng" -Y "ip.src == $SERVER_IP && frame.time_epoch > $t1" \
	2>/dev/null | wc -l)
check "the capture in $NS_IN saw the echoes after it ($n_after frames): it would have seen a leak" \
	test "$n_after" -ge 2
n_gw=$(tshark -r "$TMP/nin.pcapng" -Y "ip && eth.src == $MAC_GW_IN" 2>/dev/null | wc -l)

kill -TERM "$NATGW_PID" 2>/dev/null
for _ in $(seq 1 200); do kill -0 "$NATGW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$NATGW_PID"
rc=$?
NATGW_PID=
check "natgw stopped on SIGTERM with status 0 ($rc)" test "$rc" = 0 -a -s "$TMP/report.json"
"$PY" - "$TMP/report.json" "${sent:-0}" "$n_gw" <<'PYEOF' || nfail=$((nfail + 1))
import json, sys
rep = json.load(open(sys.argv[1]))
sent, seen = int(sys.argv[2]), int(sys.argv[3])
d, m = rep["drops"], rep["metrics"]
ok = True
def check(c, what):
    global ok
    print("%s: %s" % ("PASS" if c else "FAIL", what))
    ok &= bool(c)
# What natgw sent the inside is what the inside host captured: the sessions'
# own packets.
check(m["PacketsOutToSource"] == seen,
      "natgw sent the inside %d packets, the %d the inside host saw" % (
          m["PacketsOutToSource"], seen))
# Every other packet it read from outside, it dropped as unsolicited; a few of
# the sweep's may be lost before natgw reads them (the veth's ring, the packet
# socket's), none after.
other = sum(v for k, v in d.items() if k != "no_session_inbound")
check(m["PacketsInFromDestination"] == m["PacketsOutToSource"] + d["no_session_inbound"] and
      other == 0,
      "every inbound packet was a session's or dropped as no_session_inbound (%d in, %d out, "
      "%d dropped, %d other drops)" % (m["PacketsInFromDestination"], m["PacketsOutToSource"],
                                       d["no_session_inbound"], other))
check(d["no_session_inbound"] >= 0.9 * sent,
      "natgw read and dropped %d of the %d swept" % (d["no_session_inbound"], sent))
sys.exit(0 if ok else 1)
PYEOF
[ "$nfail" = 0 ]
