#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Make a long capture for replay benchmarks: COUNT copies of a nanosecond pcap
back to back in time, each shifted past the end of the one before.

usage: repeat_pcap.py IN.pcap COUNT OUT.pcap

Works on the raw records (no parsing), so it is fast and byte-exact; the
input must be a classic little-endian nanosecond pcap, as tools/gen_captures.py
writes."""

import struct
import sys


def main():
    src, count, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(src, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    if magic != 0xA1B23C4D:
        sys.exit("repeat_pcap: %s is not a little-endian nanosecond pcap" % src)
    recs = []
    off = 24
    while off < len(data):
        sec, nsec, caplen, wirelen = struct.unpack_from("<IIII", data, off)
        recs.append((sec * 10**9 + nsec, data[off + 16:off + 16 + caplen], wirelen))
        off += 16 + caplen
    span = recs[-1][0] - recs[0][0] + 10**9
    with open(dst, "wb") as f:
        f.write(data[:24])
        for k in range(count):
            for ts, body, wirelen in recs:
                sec, nsec = divmod(ts + k * span, 10**9)
                f.write(struct.pack("<IIII", sec, nsec, len(body), wirelen))
                f.write(body)
    print("%s: %d frames" % (dst, count * len(recs)))


if __name__ == "__main__":
    main()
