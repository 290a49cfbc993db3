#!/usr/bin/python3
"""pcapng_mixed.py - helper of pcapng_mixed.sh.

  pcapng_mixed.py make FILE     writes a pcapng file whose interfaces have
                                different link types: section 1 (little
                                endian) Ethernet, raw IP (nanosecond
                                timestamps) and Linux cooked; section 2 (big
                                endian) raw IP then Ethernet. Packets of
                                TCP, UDP and ICMP flows alternate between
                                the interfaces.
  pcapng_mixed.py compare FILE JSON
                                per flow (5-tuple) packets and bytes as
                                tshark reads FILE against the sums of the
                                probe's JSON records; exit 1 on a difference.
Standard library only (tshark for compare).
"""

import ipaddress
import json
import struct
import subprocess
import sys


def ip4(src, dst, proto, l4, ident):
    total = 20 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0, 64, proto,
                      0, ipaddress.IPv4Address(src).packed,
                      ipaddress.IPv4Address(dst).packed)
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    return hdr + l4


def udp(sp, dp, payload):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


def tcp(sp, dp, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 5 << 4, flags, 65535, 0,
                       0) + payload


def icmp(typ, seq):
    return struct.pack("!BBHHH", typ, 0, 0, 1, seq) + b"x" * 16


def eth(ip):
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00" + ip


def sll(ip):
    # packet type, ARPHRD_ETHER, address length, address (8), protocol
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x03\0\0",
                       0x0800) + ip


class Writer:
    def __init__(self):
        self.out = b""
        self.e = "<"

    def block(self, btype, body):
        while len(body) % 4:
            body += b"\0"
        n = 12 + len(body)
        self.out += struct.pack(self.e + "II", btype, n) + body + \
            struct.pack(self.e + "I", n)

    def shb(self, big):
        self.e = ">" if big else "<"
        self.block(0x0A0D0D0A, struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1,
                                           0, -1))

    def idb(self, linktype, tsresol=None):
        opts = b""
        if tsresol is not None:
            opts += struct.pack(self.e + "HH", 9, 1) + bytes([tsresol]) + \
                b"\0\0\0"
        opts += struct.pack(self.e + "HH", 0, 0)
        self.block(1, struct.pack(self.e + "HHI", linktype, 0, 0) + opts)

    def epb(self, ifid, ts, data):
        self.block(6, struct.pack(self.e + "IIIII", ifid, ts >> 32,
                                  ts & 0xFFFFFFFF, len(data), len(data))
                   + data)


def make(path):
    w = Writer()
    t0 = 1700000000
    # Section 1: if 0 Ethernet (us), if 1 raw IP (ns), if 2 cooked (us).
    w.shb(False)
    w.idb(1)
    w.idb(101, 9)
    w.idb(113)
    seq = 0
    for i in range(6):
        us = (t0 + i) * 1000000
        w.epb(0, us, eth(ip4("10.1.0.1", "10.1.0.2", 17,
                             udp(40000, 53, b"q" * (10 + i)), seq)))
        w.epb(1, (us + 100) * 1000, ip4("10.2.0.1", "10.2.0.2", 6,
                                        tcp(40001, 443, 0x18, b"t" * i),
                                        seq + 1))
        w.epb(2, us + 200, sll(ip4("10.3.0.1", "10.3.0.2", 1,
                                   icmp(8, i), seq + 2)))
        w.epb(2, us + 300, sll(ip4("10.3.0.2", "10.3.0.1", 1,
                                   icmp(0, i), seq + 3)))
        seq += 4
    # Section 2 (big endian): if 0 raw IP, if 1 Ethernet.
    w.shb(True)
    w.idb(101)
    w.idb(1)
    for i in range(4):
        us = (t0 + 10 + i) * 1000000
        w.epb(0, us, ip4("10.4.0.1", "10.4.0.2", 17,
                         udp(5000, 6000, b"r" * 30), seq))
        w.epb(1, us + 50, eth(ip4("10.1.0.2", "10.1.0.1", 17,
                                  udp(53, 40000, b"a" * 40), seq + 1)))
        seq += 2
    with open(path, "wb") as f:
        f.write(w.out)


def key(proto, a, ap, b, bp):
    return (proto,) + tuple(sorted([(a, ap), (b, bp)]))


def compare(pcap, js):
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=,",
         "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto", "-e", "ip.len",
         "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport",
         "-e", "udp.dstport"], check=True, capture_output=True,
        text=True).stdout
    ref = {}
    frames = 0
    for line in out.splitlines():
        frames += 1
        src, dst, proto, ln, ts, td, us, ud = line.split(",")
        sp = int(ts or us or 0)
        dp = int(td or ud or 0)
        k = key(int(proto), src, sp, dst, dp)
        p, b = ref.get(k, (0, 0))
        ref[k] = (p + 1, b + int(ln))
    got = {}
    with open(js) as f:
        for line in f:
            r = json.loads(line)
            k = key(r["ip_protocol"], r["ip_src"], r["src_port"],
                    r["ip_dst"], r["dst_port"])
            p, b = got.get(k, (0, 0))
            got[k] = (p + r["src_to_dst_pkts"] + r["dst_to_src_pkts"],
                      b + r["src_to_dst_bytes"] + r["dst_to_src_bytes"])
    bad = 0
    for k in sorted(set(ref) | set(got)):
        ok = ref.get(k) == got.get(k)
        bad += not ok
        print("  %s %s tshark %s probe %s" % ("ok" if ok else "!!", k,
                                               ref.get(k), got.get(k)))
    print("pcapng_mixed: tshark read %d frames, %d flows; probe %d flows"
          % (frames, len(ref), len(got)))
    return 1 if bad or frames != 32 or len(ref) != 4 else 0


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
        sys.exit(0)
    sys.exit(compare(sys.argv[2], sys.argv[3]))
