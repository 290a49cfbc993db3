#!/usr/bin/python3
"""Helper of live_veth.sh: traffic tools and the probe-vs-pcap comparison.

  live_check.py udp-echo ADDR PORT          UDP echo server (until killed)
  live_check.py udp-client ADDR PORT SIZE.. one datagram per size, waits for
                                            each echo; exit 1 if one is lost
  live_check.py raw-send IFACE COUNT        COUNT non-IP frames (ethertype
                                            0x88b5, local experimental)
  live_check.py dns-server ADDR PORT        answers every DNS query (A
                                            record 192.0.2.1) until killed
  live_check.py dns-client ADDR PORT NAME.. one query per name, waits for
                                            each answer; exit 1 if one is lost
  live_check.py udp-flood ADDR PORT RATE SECS [FIRST_SPORT]
                                            one datagram per source port
                                            (FIRST_SPORT, +1, ...): each is
                                            a flow of one packet
  live_check.py udp-burst ADDR PORT COUNT SIZE
                                            COUNT datagrams of SIZE bytes
                                            from one socket, at once
  live_check.py watch --v9-port P --json J --ipfix-udp U --ipfix-tcp T
                      --timeout S           listens for NetFlow v9 on P,
                                            watches the files; prints when
                                            the first ICMP record reached
                                            each (JSON, one line)
  live_check.py sigterm --pcap P --json J --stop-time T
                                            one-packet UDP flows: the probe's
                                            records vs tcpdump's, see below
  live_check.py compare --pcap P --json J --stderr E --http-ports 8080,8086
                        [--expect-http N] [--expect-udp-pkts N]

compare computes the flows of the reference capture with tshark (an
independent dissector), sums the probe's JSON records per flow key and
requires, per flow and per direction, the same packets and bytes (IP total
length), the same OR of TCP flags, and matching first/last packet times;
then checks the probe's packet counters against the capture's frame count.
Flow key: IP version, L4 protocol, vlan, tunnel, and the two (address,
port) endpoints in canonical (sorted) order; ports are 0 but for TCP/UDP.
IP fragments are accounted to the flow of their datagram.
--expect-udp-flows N: UDP echo flows per IP version (default 1).
Exit 0 when everything matches, 1 otherwise.

sigterm: every UDP flow (one datagram each) tcpdump saw before the stop
time T (epoch seconds, when SIGTERM was sent) is in the probe's records,
and every probe record is one of tcpdump's flows, with the same packets
and bytes: what the kernel captured before the stop was read and exported.
"""

import argparse
import ipaddress
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

ETH_IP4 = 0x0800
ETH_IP6 = 0x86DD


# --------------------------------------------------------------------------
# Traffic tools

def udp_echo(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("ready", flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def udp_client(addr, port, sizes):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.connect((addr, port))
    for i, size in enumerate(sizes):
        payload = bytes((i + j) & 0xFF for j in range(size))
        s.send(payload)
        try:
            back = s.recv(65535)
        except socket.timeout:
            print("udp-client: no echo for datagram %d (%d bytes)"
                  % (i, size), file=sys.stderr)
            return 1
        if back != payload:
            print("udp-client: bad echo for datagram %d" % i,
                  file=sys.stderr)
            return 1
    return 0


def raw_send(iface, count):
    with open("/sys/class/net/%s/address" % iface) as f:
        mac = bytes.fromhex(f.read().strip().replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for i in range(count):
        frame = (b"\xff" * 6 + mac + (0x88B5).to_bytes(2, "big")
                 + b"l7probe live_veth non-IP frame %d" % i)
        frame += b"\0" * max(0, 60 - len(frame))
        s.send(frame)
    return 0


# --------------------------------------------------------------------------
# Reference flows from the capture (tshark)

FIELDS = [
    "frame.number", "frame.time_epoch", "eth.type", "vlan.id",
    "ip.src", "ip.dst", "ip.proto", "ip.len", "ip.id", "ip.flags.mf",
    "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen",
    "ipv6.hopopts.nxt", "ipv6.dstopts.nxt", "ipv6.routing.nxt",
    "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.ident",
    "tcp.srcport", "tcp.dstport", "tcp.flags", "udp.srcport", "udp.dstport",
]


def num(s, default=None):
    if s is None or s == "":
        return default
    return int(s, 0)


def canon(ver, proto, vlan, tun, a, ap, b, bp):
    """Canonical key and whether (a, ap) -> (b, bp) is the key's forward
    direction."""
    ea = (ipaddress.ip_address(a), ap)
    eb = (ipaddress.ip_address(b), bp)
    if ea <= eb:
        return (ver, proto, vlan, tun, str(ea[0]), ea[1], str(eb[0]),
                eb[1]), True
    return (ver, proto, vlan, tun, str(eb[0]), eb[1], str(ea[0]),
            ea[1]), False


def new_flow():
    # pkts/bytes/flags forward, pkts/bytes/flags backward, first/last ms
    return {"p": [0, 0], "b": [0, 0], "f": [0, 0], "first": None,
            "last": None, "records": [], "reasons": []}


def pcap_flows(pcap, tshark):
    cmd = [tshark, "-n", "-r", pcap,
           "-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, timeout=30,
                         check=True, universal_newlines=True).stdout
    frames = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        frames.append(dict(zip(FIELDS, v)))

    # Pass 1: per IP frame, version, addresses, final protocol, length.
    info = {}
    nonip = []
    for fr in frames:
        n = int(fr["frame.number"])
        et = num(fr["eth.type"], -1)
        if fr["vlan.id"]:
            et = -2      # no VLAN in this test: count it as unexpected
        if et == ETH_IP4 and fr["ip.src"]:
            d = {"ver": 4, "src": fr["ip.src"], "dst": fr["ip.dst"],
                 "proto": num(fr["ip.proto"]), "len": num(fr["ip.len"]),
                 "frag": (fr["ip.id"] if num(fr["ip.flags.mf"], 0) or
                          num(fr["ip.frag_offset"], 0) else None)}
        elif et == ETH_IP6 and fr["ipv6.src"]:
            nh = num(fr["ipv6.nxt"])
            seen = 0
            while nh in (0, 43, 44, 60) and seen < 8:
                seen += 1
                nxt = {0: "ipv6.hopopts.nxt", 43: "ipv6.routing.nxt",
                       44: "ipv6.fraghdr.nxt",
                       60: "ipv6.dstopts.nxt"}[nh]
                nh = num(fr[nxt])
            d = {"ver": 6, "src": fr["ipv6.src"], "dst": fr["ipv6.dst"],
                 "proto": nh, "len": 40 + num(fr["ipv6.plen"]),
                 "frag": fr["ipv6.fraghdr.ident"] or None}
        else:
            nonip.append((n, fr["eth.type"]))
            continue
        d["t_ms"] = int(float(fr["frame.time_epoch"]) * 1000)
        d["flags"] = num(fr["tcp.flags"], 0) & 0xFF
        if d["proto"] == 6:
            d["ports"] = (num(fr["tcp.srcport"]), num(fr["tcp.dstport"]))
        elif d["proto"] == 17:
            d["ports"] = (num(fr["udp.srcport"]), num(fr["udp.dstport"]))
        else:
            d["ports"] = (0, 0)
        info[n] = d

    # Pass 2: fragments take the ports of their datagram. tshark (one
    # pass) dissects UDP/TCP on the fragment that completes the datagram:
    # fragments wait, grouped by datagram (addresses, protocol, IP id),
    # until that one comes.
    flows = {}
    nfrag = 0
    open_dgrams = {}
    order = []
    for n in sorted(info):
        d = info[n]
        if d["frag"] is not None and d["proto"] in (6, 17):
            nfrag += 1
            g = (d["ver"], d["src"], d["dst"], d["proto"], d["frag"])
            open_dgrams.setdefault(g, []).append(n)
            if d["ports"][0] is None:
                continue
            for m in open_dgrams.pop(g):
                info[m]["ports"] = d["ports"]
                order.append(m)
        else:
            order.append(n)
    if open_dgrams:
        raise SystemExit("live_check: fragments of %d datagram(s) never "
                         "completed: %s" % (len(open_dgrams),
                                            sorted(open_dgrams)))
    for n in order:
        d = info[n]
        ports = d["ports"]
        key, fwd = canon(d["ver"], d["proto"], 0, 0, d["src"], ports[0],
                         d["dst"], ports[1])
        fl = flows.setdefault(key, new_flow())
        i = 0 if fwd else 1
        fl["p"][i] += 1
        fl["b"][i] += d["len"]
        fl["f"][i] |= d["flags"] if d["proto"] == 6 else 0
        fl["first"] = d["t_ms"] if fl["first"] is None else min(
            fl["first"], d["t_ms"])
        fl["last"] = d["t_ms"] if fl["last"] is None else max(
            fl["last"], d["t_ms"])
    return flows, len(frames), nonip, nfrag


def dns_server(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("ready", flush=True)
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 12:
            continue
        # Header: same id, QR=1 RD RA, 1 question, 1 answer; the question
        # as asked, then an A record pointing at the question's name.
        ans = q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00"
        ans += q[12:]
        ans += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04"
        ans += bytes([192, 0, 2, 1])
        s.sendto(ans, peer)


def dns_client(addr, port, names):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for i, name in enumerate(names):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(2.0)
        qid = 0x1000 + i
        q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        for label in name.split("."):
            q += bytes([len(label)]) + label.encode()
        q += b"\x00\x00\x01\x00\x01"
        s.sendto(q, (addr, port))
        try:
            a = s.recv(512)
        except socket.timeout:
            print("dns-client: no answer for %s" % name, file=sys.stderr)
            return 1
        if struct.unpack("!H", a[:2])[0] != qid or not a[2] & 0x80:
            print("dns-client: bad answer for %s" % name, file=sys.stderr)
            return 1
        s.close()
    return 0


def udp_flood(addr, port, rate, secs, first_sport):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    n = int(rate * secs)
    start = time.time()
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("", first_sport + i))
        s.sendto(b"flow %d" % i, (addr, port))
        s.close()
        delay = start + (i + 1) / rate - time.time()
        if delay > 0:
            time.sleep(delay)
    return 0


def v9_has_icmp(msg, tmpl):
    """Learns the templates of a NetFlow v9 packet (RFC 3954) and says
    whether one of its data records has PROTOCOL (type 4) 1."""
    off = 20
    found = False
    while off + 4 <= len(msg):
        fsid, flen = struct.unpack("!HH", msg[off:off + 4])
        if flen < 4:
            break
        body = msg[off + 4:off + flen]
        off += flen
        if fsid == 0:
            p = 0
            while p + 4 <= len(body):
                tid, n = struct.unpack("!HH", body[p:p + 4])
                p += 4
                fields = [struct.unpack("!HH", body[p + 4 * i:p + 4 * i + 4])
                          for i in range(n)]
                p += 4 * n
                tmpl[tid] = fields
        elif fsid >= 256 and fsid in tmpl:
            fields = tmpl[fsid]
            size = sum(ln for _, ln in fields)
            p = 0
            while size and p + size <= len(body):
                q = p
                for ftype, ln in fields:
                    if ftype == 4 and body[q] == 1:
                        found = True
                    q += ln
                p += size
    return found


def udp_burst(addr, port, count, size):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    payload = b"d" * size
    for _ in range(count):
        s.sendto(payload, (addr, port))
    return 0


def watch(args):
    """Times when the first ICMP record reached each collector."""
    v9 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v9.bind(("127.0.0.1", args.v9_port))
    v9.setblocking(False)
    print("listening", flush=True)
    seen = {}
    tmpl = {}           # v9 template id -> [(field type, length)]
    end = time.time() + args.timeout
    while time.time() < end and len(seen) < 5:
        try:
            while True:
                msg = v9.recv(65535)
                if "nfv9" not in seen and v9_has_icmp(msg, tmpl):
                    seen["nfv9"] = time.time()
        except BlockingIOError:
            pass
        if "json" not in seen and os.path.exists(args.json):
            with open(args.json) as f:
                for line in f:
                    if line.endswith("\n") and \
                            json.loads(line).get("ip_protocol") == 1:
                        seen["json"] = time.time()
                        seen["end_time_ms"] = json.loads(line)["end_time"]
        for name, path in (("ipfix-udp", args.ipfix_udp),
                           ("ipfix-tcp", args.ipfix_tcp)):
            if name in seen or not os.path.exists(path):
                continue
            with open(path) as f:
                for line in f:
                    if line.endswith("\n") and any(
                            fl[4] == 1 for fl in json.loads(line)["flows"]):
                        seen[name] = json.loads(line)["t"]
        time.sleep(0.01)
    print(json.dumps(seen), flush=True)
    return 0


def sigterm_check(args):
    out = subprocess.run(
        ["tshark", "-n", "-r", args.pcap, "-Y", "udp and not icmp and not icmpv6", "-T", "fields",
         "-E", "separator=,", "-e", "frame.time_epoch", "-e", "ip.src",
         "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport",
         "-e", "ip.len"], check=True, capture_output=True,
        text=True).stdout
    ref = {}
    for line in out.splitlines():
        t, src, sp, dst, dp, ln = line.split(",")
        k = (src, int(sp), dst, int(dp))
        p, b, t0 = ref.get(k, (0, 0, float(t)))
        ref[k] = (p + 1, b + int(ln), min(t0, float(t)))
    got = {}
    with open(args.json) as f:
        for line in f:
            r = json.loads(line)
            if r["ip_protocol"] != 17:
                continue
            k = (r["ip_src"], r["src_port"], r["ip_dst"], r["dst_port"])
            p, b, t0 = got.get(k, (0, 0, r["start_time"] / 1000.0))
            got[k] = (p + r["src_to_dst_pkts"] + r["dst_to_src_pkts"],
                      b + r["src_to_dst_bytes"] + r["dst_to_src_bytes"], t0)
    before = [k for k in ref if ref[k][2] <= args.stop_time]
    missing = [k for k in before if k not in got]
    extra = [k for k in got if k not in ref]
    differ = [k for k in got if k in ref and got[k][:2] != ref[k][:2]]
    last = max((v[2] for v in got.values()), default=0)
    print("live_check: tcpdump %d UDP flows, %d before the stop; probe %d "
          "records' flows, last at %.3f (stop at %.3f)"
          % (len(ref), len(before), len(got), last, args.stop_time))
    for name, ks in (("missing from the probe", missing),
                     ("not in tcpdump", extra), ("counts differ", differ)):
        for k in sorted(ks)[:10]:
            print("  !! %s: %s:%d -> %s:%d tcpdump %s probe %s"
                  % (name, k[0], k[1], k[2], k[3], ref.get(k), got.get(k)))
    ok = not missing and not extra and not differ and len(before) > 0
    print("live_check: sigterm check %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


# --------------------------------------------------------------------------
# The probe's records

def probe_flows(path):
    flows = {}
    nrec = 0
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError as e:
                raise SystemExit("live_check: %s:%d: not JSON: %s"
                                 % (path, lineno, e))
            nrec += 1
            key, fwd = canon(r["ip_version"], r["ip_protocol"],
                             r["vlan_id"], r["tunnel_id"],
                             r["ip_src"], r["src_port"],
                             r["ip_dst"], r["dst_port"])
            fl = flows.setdefault(key, new_flow())
            i, j = (0, 1) if fwd else (1, 0)
            fl["p"][i] += r["src_to_dst_pkts"]
            fl["p"][j] += r["dst_to_src_pkts"]
            fl["b"][i] += r["src_to_dst_bytes"]
            fl["b"][j] += r["dst_to_src_bytes"]
            if r["ip_protocol"] == 6:
                fl["f"][i] |= r.get("src_to_dst_tcp_flags", 0) & 0xFF
                fl["f"][j] |= r.get("dst_to_src_tcp_flags", 0) & 0xFF
            st, en = r["start_time"], r["end_time"]
            fl["first"] = st if fl["first"] is None else min(fl["first"],
                                                             st)
            fl["last"] = en if fl["last"] is None else max(fl["last"], en)
            fl["records"].append((en, lineno, r))
    return flows, nrec


def parse_stderr(path):
    with open(path, errors="replace") as f:
        text = f.read()
    st = {"text": text}
    m = re.search(r"l7probe: packets: read (\d+), in records (\d+), "
                  r"ignored (\d+)", text)
    if m:
        st["read"], st["in_records"], st["ignored"] = map(int, m.groups())
    m = re.search(r"l7probe: ignored: (.*)", text)
    if m:
        st["ignored_by"] = {k: int(v) for k, v in
                            re.findall(r"(\w+) (\d+)", m.group(1))}
    m = re.search(r"kernel drops (\d+), interface drops (\d+)", text)
    if m:
        st["kernel_drops"], st["if_drops"] = map(int, m.groups())
    st["mismatch"] = "accounting mismatch" in text
    return st


# --------------------------------------------------------------------------

def fmt_key(k):
    ver, proto, vlan, tun, a, ap, b, bp = k
    pname = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6"}.get(proto,
                                                              str(proto))
    if ver == 6:
        return "%-5s [%s]:%d <-> [%s]:%d" % (pname, a, ap, b, bp)
    return "%-5s %s:%d <-> %s:%d" % (pname, a, ap, b, bp)


def compare(args):
    fails = []

    def check(ok, what):
        print("  [%s] %s" % ("ok" if ok else "FAIL", what))
        if not ok:
            fails.append(what)

    http_ports = {int(p) for p in args.http_ports.split(",") if p}
    ref, nframes, nonip, nfrag = pcap_flows(args.pcap, args.tshark)
    got, nrec = probe_flows(args.json)
    st = parse_stderr(args.stderr)

    print("live_check: reference %s: %d frames (%d IP, %d non-IP, %d IP "
          "fragments), %d flows"
          % (os.path.basename(args.pcap), nframes, nframes - len(nonip),
             len(nonip), nfrag, len(ref)))
    print("live_check: probe %s: %d records, %d flows"
          % (os.path.basename(args.json), nrec, len(got)))
    print("live_check: per flow, fwd/bwd packets and bytes "
          "(reference | probe):")
    keys = sorted(set(ref) | set(got), key=lambda k: (k[0], k[1], k[4],
                                                      k[5], k[6], k[7]))
    bad_flows = 0
    for k in keys:
        r, g = ref.get(k), got.get(k)
        rs = ("%3d/%-3d %7d/%-7d" % (r["p"][0], r["p"][1], r["b"][0],
                                     r["b"][1])) if r else "   (absent)"
        gs = ("%3d/%-3d %7d/%-7d" % (g["p"][0], g["p"][1], g["b"][0],
                                     g["b"][1])) if g else "   (absent)"
        why = []
        if r is None or g is None:
            why.append("missing")
        else:
            if r["p"] != g["p"] or r["b"] != g["b"]:
                why.append("counts differ")
            if k[1] == 6 and r["f"] != g["f"]:
                why.append("tcp flags ref 0x%02x/0x%02x probe 0x%02x/0x%02x"
                           % (r["f"][0], r["f"][1], g["f"][0], g["f"][1]))
            # Times: the probe keeps milliseconds of the same kernel
            # timestamps tcpdump saw; allow the rounding either way.
            if abs(r["first"] - g["first"]) > args.time_slack_ms or \
                    abs(r["last"] - g["last"]) > args.time_slack_ms:
                why.append("times ref %d..%d probe %d..%d"
                           % (r["first"], r["last"], g["first"], g["last"]))
        if why:
            bad_flows += 1
        print("  %s %-60s %s | %s%s" % ("  " if not why else "!!", fmt_key(k),
                                        rs, gs,
                                        "   <- " + "; ".join(why)
                                        if why else ""))
    check(bad_flows == 0, "every flow: same packets, bytes, TCP flags and "
          "times in each direction (%d of %d flows differ)"
          % (bad_flows, len(keys)))

    # What the traffic generator promised is really in the capture.
    def ref_flows(ver, proto, port=None):
        return [k for k in ref if k[0] == ver and k[1] == proto and
                (port is None or port in (k[5], k[7]))]

    for ver in (4, 6):
        icmp = 1 if ver == 4 else 58
        echo = [k for k in ref_flows(ver, icmp)
                if min(ref[k]["p"]) >= args.expect_ping]
        check(len(echo) >= 1, "IPv%d: ping flow with >= %d packets each way "
              "in the capture" % (ver, args.expect_ping))
        udp = [k for k in ref_flows(ver, 17, args.udp_port)
               if min(ref[k]["p"]) >= args.expect_udp_pkts]
        check(len(udp) == args.expect_udp_flows,
              "IPv%d: %d UDP echo flow(s) with >= %d packets each way in "
              "the capture" % (ver, args.expect_udp_flows,
                               args.expect_udp_pkts))
    check(nfrag >= 2, "the capture has IP fragments (%d)" % nfrag)
    check(len(nonip) >= args.expect_nonip, "the capture has >= %d non-IP "
          "frames (%d)" % (args.expect_nonip, len(nonip)))

    # HTTP: every connection is there and its last record ended well.
    http_ref = [k for k in ref if k[1] == 6 and
                (k[5] in http_ports or k[7] in http_ports)]
    http_got = [k for k in got if k[1] == 6 and
                (k[5] in http_ports or k[7] in http_ports)]
    check(len(http_ref) == args.expect_http, "HTTP connections in the "
          "capture: %d (expected %d)" % (len(http_ref), args.expect_http))
    check(len(http_got) == args.expect_http, "HTTP connections in the "
          "probe's records: %d (expected %d)"
          % (len(http_got), args.expect_http))
    for k in sorted(http_got):
        recs = sorted(got[k]["records"], key=lambda t: (t[0], t[1]))
        reasons = [t[2].get("flow_end_reason") for t in recs]
        apps = sorted({str(t[2].get("application_name")) for t in recs})
        check(reasons[-1] in (3, 4), "%s: flow_end_reason of its records %s, "
              "last is 3 (end) or 4 (forced); application %s"
              % (fmt_key(k), reasons, "/".join(apps)))

    # Counters.
    print("live_check: probe counters: %s" % (
        ", ".join("%s %s" % (k, st[k]) for k in ("read", "in_records",
                                                 "ignored", "kernel_drops",
                                                 "if_drops") if k in st)))
    if "ignored_by" in st:
        print("live_check: probe ignored by reason: %s"
              % ", ".join("%s %d" % kv for kv in st["ignored_by"].items()))
    check("read" in st, "stderr has the 'packets: read N, in records N, "
          "ignored N' line")
    if "read" in st:
        check(st["read"] == st["in_records"] + st["ignored"],
              "read %d == in records %d + ignored %d"
              % (st["read"], st["in_records"], st["ignored"]))
        check(st["read"] == nframes, "read %d == frames in the capture %d"
              % (st["read"], nframes))
        pkts = sum(sum(f["p"]) for f in got.values())
        check(st["in_records"] == pkts, "in records %d == packets summed "
              "over the JSON records %d" % (st["in_records"], pkts))
        check(st["ignored"] == len(nonip), "ignored %d == non-IP frames in "
              "the capture %d" % (st["ignored"], len(nonip)))
    check("ignored_by" in st and
          st["ignored_by"].get("not_ip") == len(nonip),
          "ignored not_ip %s == non-IP frames %d"
          % (st.get("ignored_by", {}).get("not_ip"), len(nonip)))
    check(st.get("kernel_drops") == 0, "kernel drops %s == 0"
          % st.get("kernel_drops"))
    check(not st["mismatch"], "no 'accounting mismatch' on stderr")

    if fails:
        print("live_check: %d check(s) FAILED" % len(fails))
        for f in fails:
            print("  - " + f)
        return 1
    print("live_check: all checks passed")
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "udp-echo":
        return udp_echo(sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) > 1 and sys.argv[1] == "udp-client":
        return udp_client(sys.argv[2], int(sys.argv[3]),
                          [int(x) for x in sys.argv[4:]])
    if len(sys.argv) > 1 and sys.argv[1] == "raw-send":
        return raw_send(sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) > 1 and sys.argv[1] == "dns-server":
        return dns_server(sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) > 1 and sys.argv[1] == "dns-client":
        return dns_client(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    if len(sys.argv) > 1 and sys.argv[1] == "udp-flood":
        return udp_flood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                         float(sys.argv[5]),
                         int(sys.argv[6]) if len(sys.argv) > 6 else 20000)
    if len(sys.argv) > 1 and sys.argv[1] == "udp-burst":
        return udp_burst(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                         int(sys.argv[5]))
    if len(sys.argv) > 1 and sys.argv[1] == "watch":
        ap = argparse.ArgumentParser(prog="live_check.py watch")
        ap.add_argument("cmd")
        ap.add_argument("--v9-port", type=int, required=True)
        ap.add_argument("--json", required=True)
        ap.add_argument("--ipfix-udp", required=True)
        ap.add_argument("--ipfix-tcp", required=True)
        ap.add_argument("--timeout", type=float, default=10)
        return watch(ap.parse_args())
    if len(sys.argv) > 1 and sys.argv[1] == "sigterm":
        ap = argparse.ArgumentParser(prog="live_check.py sigterm")
        ap.add_argument("cmd")
        ap.add_argument("--pcap", required=True)
        ap.add_argument("--json", required=True)
        ap.add_argument("--stop-time", type=float, required=True)
        return sigterm_check(ap.parse_args())
    ap = argparse.ArgumentParser(prog="live_check.py compare")
    ap.add_argument("cmd", choices=["compare"])
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--http-ports", default="")
    ap.add_argument("--udp-port", type=int, default=0)
    ap.add_argument("--expect-http", type=int, default=0)
    ap.add_argument("--expect-ping", type=int, default=1)
    ap.add_argument("--expect-udp-pkts", type=int, default=1)
    ap.add_argument("--expect-udp-flows", type=int, default=1)
    ap.add_argument("--expect-nonip", type=int, default=0)
    ap.add_argument("--time-slack-ms", type=int, default=2)
    return compare(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
