#!/usr/bin/python3
"""pcapfeed.py - replay a classic pcap file as a live-looking pcap stream.

    pcapfeed.py FILE --seconds S [--pps N] [--pause-at T --pause-for P]

Writes a pcap file header, then the packets of FILE over and over, N per
second (default 2000) in bursts every 0.1 s, each stamped with the wall
clock at writing, for S seconds; with --pause-at, writes nothing (the
pipe stays open) from T to T+P seconds. For `l7probe -r -`: packet time
then runs like a clock, so idle and active timeouts end records while the
feed goes on, and a pause keeps the probe quiet (blocked reading).

Prints "fed PACKETS packets in SECONDS s" on stderr at the end: a reader
that blocks shows up as a longer time than asked for. Standard library
only.
"""

import argparse
import struct
import sys
import time


def read_pcap(path):
    """(header bytes, linktype, list of packet data) of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit("pcapfeed: %s: not a classic pcap file" % path)
    snaplen, linktype = struct.unpack(endian + "II", data[16:24])
    pkts = []
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(endian + "IIII",
                                              data[off:off + 16])
        off += 16
        pkts.append((data[off:off + caplen], wirelen))
        off += caplen
    return snaplen, linktype, pkts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--pps", type=int, default=2000)
    ap.add_argument("--pause-at", type=float, default=None)
    ap.add_argument("--pause-for", type=float, default=0.0)
    a = ap.parse_args()

    snaplen, linktype, pkts = read_pcap(a.file)
    out = sys.stdout.buffer
    # Microsecond pcap, little endian, written by us.
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0,
                          max(snaplen, 65535), linktype))
    out.flush()
    start = time.time()
    sent = 0
    i = 0
    per_burst = max(1, a.pps // 10)
    while True:
        now = time.time()
        el = now - start
        if el >= a.seconds:
            break
        if a.pause_at is not None and a.pause_at <= el < a.pause_at + \
                a.pause_for:
            time.sleep(0.05)
            continue
        buf = []
        for _ in range(per_burst):
            data, wirelen = pkts[i % len(pkts)]
            i += 1
            t = time.time()
            sec = int(t)
            buf.append(struct.pack("<IIII", sec, int((t - sec) * 1e6),
                                   len(data), wirelen) + data)
        try:
            out.write(b"".join(buf))
            out.flush()
        except BrokenPipeError:
            break
        sent += per_burst
        nxt = start + (int(el * 10) + 1) / 10.0
        if nxt > time.time():
            time.sleep(nxt - time.time())
    print("fed %d packets in %.2f s" % (sent, time.time() - start),
          file=sys.stderr)


if __name__ == "__main__":
    main()
