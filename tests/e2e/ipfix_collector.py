#!/usr/bin/python3
"""ipfix_collector.py - a small IPFIX collector for the end-to-end tests.

    ipfix_collector.py (--tcp PORT | --udp PORT) --out FILE [--no-read]
                       [--rcvbuf BYTES]

Listens on 127.0.0.1, splits the stream (TCP) or datagrams (UDP) into
IPFIX messages (RFC 7011), learns templates and options templates per
observation domain (and per connection for TCP, as RFC 7011 scopes them),
walks every data set record by record (variable-length fields too), and
appends one JSON line per message to FILE, flushed at once, so a
collector killed with SIGKILL keeps everything it read:

    {"t": wall time, "conn": n, "seq": s, "domain": d, "len": bytes,
     "digest": sha1 of the message, "records": {tid: count},
     "flows": [[src, sport, dst, dport, proto, packets], ...],
     "undecoded_sets": count of data sets with an unknown template}

Flows are the records of templates 256-259 (l7probe's flow templates).
--no-read accepts a TCP connection and never reads it, with a small
receive buffer: a collector that stalls. --rcvbuf BYTES sets a small
receive buffer on a collector that reads (stopped with SIGSTOP, it holds
little). It prints "listening" on stdout
once it listens. Standard library only.
"""

import argparse
import hashlib
import ipaddress
import json
import select
import signal
import socket
import struct
import sys
import time

FLOW_TIDS = (256, 257, 258, 259)


class Decoder:
    """Templates and message decoding for one transport session."""

    def __init__(self):
        self.templates = {}     # (domain, tid) -> [(pen, id, len)]

    def message(self, msg, conn, out):
        ver, length, _, seq, domain = struct.unpack("!HHIII", msg[:16])
        line = {"t": time.time(), "conn": conn, "seq": seq,
                "domain": domain, "len": length,
                "digest": hashlib.sha1(msg).hexdigest(), "records": {},
                "flows": [], "undecoded_sets": 0, "bad": ver != 10}
        off = 16
        while off + 4 <= length:
            sid, slen = struct.unpack("!HH", msg[off:off + 4])
            if slen < 4:
                line["bad"] = True
                break
            body = msg[off + 4:off + slen]
            off += slen
            if sid in (2, 3):
                self.parse_templates(domain, sid, body)
            elif sid >= 256:
                self.parse_data(domain, sid, body, line)
        out.write(json.dumps(line) + "\n")
        out.flush()

    def parse_templates(self, domain, sid, body):
        p = 0
        while p + 4 <= len(body):
            tid, count = struct.unpack("!HH", body[p:p + 4])
            p += 4
            if sid == 3:
                p += 2          # scope field count
            fields = []
            for _ in range(count):
                fid, flen = struct.unpack("!HH", body[p:p + 4])
                p += 4
                pen = 0
                if fid & 0x8000:
                    pen = struct.unpack("!I", body[p:p + 4])[0]
                    p += 4
                    fid &= 0x7fff
                fields.append((pen, fid, flen))
            self.templates[(domain, tid)] = fields

    def parse_data(self, domain, tid, body, line):
        fields = self.templates.get((domain, tid))
        if fields is None:
            line["undecoded_sets"] += 1
            return
        minlen = sum(1 if f[2] == 65535 else f[2] for f in fields)
        p = 0
        n = 0
        while len(body) - p >= max(minlen, 1):
            vals = {}
            for pen, fid, flen in fields:
                if flen == 65535:
                    flen = body[p]
                    p += 1
                    if flen == 255:
                        flen = struct.unpack("!H", body[p:p + 2])[0]
                        p += 2
                vals[(pen, fid)] = body[p:p + flen]
                p += flen
            n += 1
            if tid in FLOW_TIDS:
                line["flows"].append(flow_of(vals))
        line["records"][str(tid)] = line["records"].get(str(tid), 0) + n


def num(b):
    return int.from_bytes(b, "big") if b else 0


def flow_of(v):
    if (0, 8) in v:
        src, dst = v[(0, 8)], v.get((0, 12), b"")
    else:
        src, dst = v.get((0, 27), b""), v.get((0, 28), b"")
    addr = lambda b: str(ipaddress.ip_address(b)) if len(b) in (4, 16) \
        else ""
    return [addr(src), num(v.get((0, 7))), addr(dst), num(v.get((0, 11))),
            num(v.get((0, 4))), num(v.get((0, 2)))]


def serve_tcp(port, out, no_read, rcvbuf=0):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if no_read or rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf or 4096)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    print("listening", flush=True)
    conns = {}                  # socket -> [conn number, buffer, decoder]
    held = []
    nconn = 0
    while True:
        r, _, _ = select.select([ls] + list(conns), [], [], 1.0)
        for s in r:
            if s is ls:
                c, _ = ls.accept()
                nconn += 1
                if no_read:
                    held.append(c)
                else:
                    conns[c] = [nconn, b"", Decoder()]
                continue
            st = conns[s]
            data = s.recv(1 << 16)
            if not data:
                s.close()
                del conns[s]
                continue
            st[1] += data
            while len(st[1]) >= 4:
                length = struct.unpack("!H", st[1][2:4])[0]
                if length < 16:
                    sys.exit("ipfix_collector: bad message length")
                if len(st[1]) < length:
                    break
                st[2].message(st[1][:length], st[0], out)
                st[1] = st[1][length:]


def serve_udp(port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("127.0.0.1", port))
    print("listening", flush=True)
    dec = Decoder()
    while True:
        msg = s.recv(65535)
        dec.message(msg, 0, out)


def main():
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--tcp", type=int)
    g.add_argument("--udp", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-read", action="store_true")
    ap.add_argument("--rcvbuf", type=int, default=0,
                    help="TCP receive buffer, bytes (a small window)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(a.out, "a") as out:
        try:
            if a.tcp:
                serve_tcp(a.tcp, out, a.no_read, a.rcvbuf)
            else:
                serve_udp(a.udp, out)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
