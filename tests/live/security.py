#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The security test's helpers (tests/live/security.sh), each bounded in time.

  servers ADDR TCP_PORT UDP_PORT LOG   TCP and UDP echo servers in the outside
                                       namespace; each peer they see (natgw's
                                       public endpoint) is appended to LOG
  client SERVER TCP_PORT UDP_PORT CTL  in the inside namespace: opens a TCP
                                       connection and a UDP flow to the servers,
                                       echoes one message on each, then for every
                                       line read on the fifo CTL echoes again
                                       (prints "ok" or "FAIL ..."), until "quit"
  sweep PUBLIC SERVER PEERS            from the outside namespace, raw packets to
                                       PUBLIC: a TCP SYN and an ACK and a UDP
                                       datagram to every port 1-65535, ICMP
                                       echoes; then for each public endpoint in
                                       PEERS (the servers' log) packets from the
                                       wrong source address or port, spoofed
                                       RSTs among them. Prints the packets sent
"""
import json
import random
import socket
import struct
import sys
import time

SPOOFED = ("198.51.100.77", "192.0.2.1", "10.0.1.10", "203.0.113.10", "8.8.8.8")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, l4):
    # Checksum and identification left 0: the kernel fills them for IPPROTO_RAW.
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + l4


def pseudo(src, dst, proto, n):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, n)


def tcp(src, dst, sport, dport, flags, seq=1, ack=0):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 1024, 0, 0)
    c = csum(pseudo(src, dst, 6, len(h)) + h)
    return ip4(src, dst, 6, h[:16] + struct.pack("!H", c) + h[18:])


def udp(src, dst, sport, dport, data=b"probe"):
    h = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(src, dst, 17, len(h)) + h) or 0xffff
    return ip4(src, dst, 17, h[:6] + struct.pack("!H", c) + h[8:])


def icmp_echo(src, dst, ident, seq):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ping"
    return ip4(src, dst, 1, h[:2] + struct.pack("!H", csum(h)) + h[4:])


def servers(addr, tport, uport, log):
    import selectors
    sel = selectors.DefaultSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, tport))
    ls.listen(8)
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind((addr, uport))
    sel.register(ls, selectors.EVENT_READ)
    sel.register(us, selectors.EVENT_READ)
    out = open(log, "a", buffering=1)
    out.write("ready\n")
    end = time.time() + 300
    while time.time() < end:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            if s is ls:
                c, peer = ls.accept()
                out.write(json.dumps({"proto": "tcp", "peer": peer}) + "\n")
                sel.register(c, selectors.EVENT_READ)
            elif s is us:
                data, peer = us.recvfrom(2048)
                out.write(json.dumps({"proto": "udp", "peer": peer}) + "\n")
                us.sendto(data, peer)
            else:
                data = s.recv(2048)
                if not data:
                    sel.unregister(s)
                    s.close()
                else:
                    s.sendall(data)
    return 0


def client(server, tport, uport, ctl):
    t = socket.create_connection((server, tport), timeout=5)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3)
    u.connect((server, uport))

    def echo(i):
        msg = b"echo %d" % i
        try:
            t.sendall(msg)
            got_t = t.recv(100)
            u.send(msg)
            got_u = u.recv(100)
        except OSError as e:
            return "FAIL %s" % e
        if got_t != msg or got_u != msg:
            return "FAIL tcp %r udp %r" % (got_t, got_u)
        return "ok"
    print(echo(0), flush=True)
    end = time.time() + 240
    with open(ctl) as f:
        i = 0
        while time.time() < end:
            line = f.readline()
            if not line:
                time.sleep(0.1)
                continue
            if line.strip() == "quit":
                break
            i += 1
            print(echo(i), flush=True)
    return 0


def sweep(public, server, peers_log):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    n = 0

    def send(p):
        nonlocal n
        for _ in range(100):
            try:
                s.sendto(p, (public, 0))
                n += 1
                return
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:
                if e.errno != 105:  # ENOBUFS: the queue is full, wait
                    raise
                time.sleep(0.001)
    peers = []
    with open(peers_log) as f:
        for line in f:
            if line.startswith("{"):
                peers.append(json.loads(line))
    ports = list(range(1, 65536))
    random.Random(7).shuffle(ports)
    for i, p in enumerate(ports):
        # Never from the servers' own ports: those would be the sessions' replies.
        send(tcp(server, public, 40000, p, 0x02))
        send(tcp(server, public, 40001, p, 0x10, ack=12345))
        send(udp(server, public, 40002, p))
        if i % 256 == 0:
            send(icmp_echo(server, public, i // 256, 1))
            time.sleep(0.002)  # bounded bursts: the veth ring takes them all
    for pe in peers:
        pub_ip, pub_port = pe["peer"]
        for src in SPOOFED:
            for sport in (8080, 7001, 53, 443):
                if pe["proto"] == "tcp":
                    send(tcp(src, pub_ip, sport, pub_port, 0x18, seq=1, ack=1))
                    send(tcp(src, pub_ip, sport, pub_port, 0x04, seq=1))
                else:
                    send(udp(src, pub_ip, sport, pub_port, b"spoofed"))
    print(n)
    return 0


def main(argv):
    cmd, a = argv[1], argv[2:]
    if cmd == "servers":
        return servers(a[0], int(a[1]), int(a[2]), a[3])
    if cmd == "client":
        return client(a[0], int(a[1]), int(a[2]), a[3])
    if cmd == "sweep":
        return sweep(a[0], a[1], a[2])
    print("security.py: unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
