#!/usr/bin/python3
"""Builds the benchmark captures of l7probe, deterministically.

corpus.pcap   every Ethernet (linktype 1) packet of the nDPI corpus
              (classic pcap and pcapng files of the corpus directory, in name
              order), on one monotonic clock: a file's inner gaps are kept
              but capped at --max-gap seconds, --file-gap seconds separate two
              files (so the flows of one file idle out before the next), and
              the whole corpus is repeated --repeat times. In repeat k > 0 the
              first octet of the outer IPv4 source and destination addresses
              is XORed with k (no checksum is recomputed: neither the probe
              nor nDPI checks them), so each repeat makes new flows.
flows.pcap    the same Ethernet packets, one pass on one monotonic clock (gaps
              capped at --max-gap, --flows-file-gap seconds between files),
              each packet written --replicas times in a row: replica k > 0
              has the low 16 bits of its outer IPv4 addresses XORed with
              (k * 0x9E37) mod 2^16 and the low 64 bits (interface id) of its
              outer IPv6 addresses XORed with (k * 0x9E3779B97F4A7C15) mod
              2^64, the same mask for source and destination. Each mask is a
              bijection of the address space and differs per replica, so
              replicas are the same traffic between different hosts: K times
              the flows, alive at the same time (hundreds of thousands with
              the default 47 replicas). Inner addresses of tunnelled packets
              are kept (a few flows of GRE, GTP-U, VXLAN captures, which
              a probe that opens tunnels merges across replicas).
dns-N.pcap    N DNS query/response pairs over UDP (Ethernet/IPv4), each pair a
              distinct 5-tuple (source 10.x.y.z, varying source port), one
              pair every 10 us: every flow is still active at the end of the
              capture. Also dns-M.pcap with the first M pairs (--dns-small).
dns-M-of-N.pcap
              the control for memory per flow: the same N pairs, the same
              times and frame sizes as dns-N.pcap (pair i asks for the same
              name), but pair i uses the 5-tuple of pair i mod M, so the
              capture has M flows and only the flow count differs from
              dns-N.pcap (a reader that keeps file pages resident keeps as
              many for both; see doc/BENCHMARKS.md, "(b) Memory per active
              flow"). Built for M = --dns-small (1000) and M = --dns-mid
              (half of N): the second gives the marginal cost of a flow
              between two counts at which every fixed cost is paid.

Output is classic little-endian pcap, microsecond timestamps. Files that are
already there with the same parameters are kept (see the .params files).
Standard library only.
"""

import argparse
import glob
import json
import os
import struct
import sys

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
LINKTYPE_ETHERNET = 1
BASE_TS_US = 1_700_000_000 * 1_000_000      # 2023-11-14, arbitrary, fixed


def die(msg):
    sys.stderr.write("make-bench-pcap: %s\n" % msg)
    sys.exit(1)


# ---------------------------------------------------------------- reading

def read_pcap(data):
    """Packets of a classic pcap: list of (ts_us, orig_len, frame), or None
    when the linktype is not Ethernet."""
    magic_le = struct.unpack_from("<I", data, 0)[0]
    if magic_le in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        e = "<"
    else:
        e = ">"
    magic = struct.unpack_from(e + "I", data, 0)[0]
    if magic not in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        return None
    nano = magic == PCAP_MAGIC_NS
    linktype = struct.unpack_from(e + "I", data, 20)[0] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        return None
    hdr = struct.Struct(e + "IIII")
    pkts = []
    off = 24
    n = len(data)
    while off + 16 <= n:
        sec, frac, incl, orig = hdr.unpack_from(data, off)
        off += 16
        if incl > 262144 or off + incl > n:
            break                       # truncated file: keep what is whole
        ts = sec * 1_000_000 + (frac // 1000 if nano else frac)
        pkts.append((ts, orig, data[off:off + incl]))
        off += incl
    return pkts


def tsresol_to_div(v):
    """if_tsresol byte to (multiplier, divisor) from ticks to microseconds."""
    if v & 0x80:
        units = 1 << (v & 0x7F)
    else:
        units = 10 ** v
    if units >= 1_000_000:
        return 1, units // 1_000_000
    return 1_000_000 // units, 1


def read_pcapng(data):
    """Packets of Ethernet interfaces of a pcapng file (EPB and SPB blocks;
    other blocks skipped). Returns a list, possibly empty."""
    pkts = []
    off = 0
    n = len(data)
    e = "<"
    ifaces = []             # per section: (linktype, mul, div)
    last_ts = 0
    while off + 12 <= n:
        btype_le = struct.unpack_from("<I", data, off)[0]
        if btype_le == PCAPNG_SHB:
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                break
            ifaces = []
        btype, blen = struct.unpack_from(e + "II", data, off)
        if blen < 12 or blen % 4 or off + blen > n:
            break
        body = off + 8
        end = off + blen - 4
        if btype == 1:                                  # IDB
            linktype = struct.unpack_from(e + "H", data, body)[0]
            mul, div = 1, 1
            o = body + 8
            while o + 4 <= end:
                code, olen = struct.unpack_from(e + "HH", data, o)
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    mul, div = tsresol_to_div(data[o + 4])
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((linktype, mul, div))
        elif btype == 6:                                # EPB
            ifid, tsh, tsl, incl, orig = struct.unpack_from(e + "IIIII",
                                                            data, body)
            if ifid < len(ifaces) and ifaces[ifid][0] == LINKTYPE_ETHERNET \
                    and body + 20 + incl <= end:
                _, mul, div = ifaces[ifid]
                ts = ((tsh << 32) | tsl) * mul // div
                last_ts = ts
                pkts.append((ts, orig, data[body + 20:body + 20 + incl]))
        elif btype == 3:                                # SPB: interface 0
            orig = struct.unpack_from(e + "I", data, body)[0]
            if ifaces and ifaces[0][0] == LINKTYPE_ETHERNET:
                incl = min(orig, end - (body + 4))
                pkts.append((last_ts, orig, data[body + 4:body + 4 + incl]))
        off += blen
    return pkts


def read_capture(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    if struct.unpack_from("<I", data, 0)[0] == PCAPNG_SHB:
        return read_pcapng(data)
    return read_pcap(data)


# ---------------------------------------------------------------- writing

def pcap_header(snaplen=262144):
    return struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, snaplen,
                       LINKTYPE_ETHERNET)


REC = struct.Struct("<IIII")


def rec(ts_us, orig, frame):
    return REC.pack(ts_us // 1_000_000, ts_us % 1_000_000, len(frame),
                    orig) + frame


def ipv4_offset(frame):
    """Offset of the outer IPv4 header of an Ethernet frame (after up to two
    VLAN tags), or -1."""
    off = 12
    for _ in range(3):
        if len(frame) < off + 2:
            return -1
        et = (frame[off] << 8) | frame[off + 1]
        if et in (0x8100, 0x88A8, 0x9100):
            off += 4
            continue
        if et == 0x0800 and len(frame) >= off + 2 + 20 \
                and (frame[off + 2] >> 4) == 4:
            return off + 2
        return -1
    return -1


def rewrite(frame, k):
    """Frame with the first octet of its outer IPv4 addresses XORed by k."""
    ip = ipv4_offset(frame)
    if ip < 0:
        return frame
    b = bytearray(frame)
    b[ip + 12] ^= k & 0xFF
    b[ip + 16] ^= k & 0xFF
    return bytes(b)


def load_pass(args):
    """The Ethernet packets of the corpus, per file: lists of (t, orig,
    frame), t in microseconds from the file's first packet on one
    monotonic clock (gaps capped at --max-gap, a backwards step counts as
    0). Returns (per_file, files skipped)."""
    files = sorted(glob.glob(os.path.join(args.corpus, "*.pcap")) +
                   glob.glob(os.path.join(args.corpus, "*.pcapng")))
    if not files:
        die("no capture in %s" % args.corpus)
    per_file = []
    skipped = 0
    cap = int(args.max_gap * 1_000_000)
    for p in files:
        try:
            pkts = read_capture(p)
        except (OSError, struct.error):
            pkts = None
        if not pkts:
            skipped += 1
            continue
        rel = []
        t = 0
        prev = pkts[0][0]
        for ts, orig, frame in pkts:
            gap = ts - prev
            prev = ts
            if gap < 0:
                gap = 0
            elif gap > cap:
                gap = cap
            t += gap
            rel.append((t, orig, frame))
        per_file.append(rel)
    return per_file, skipped


def build_corpus(args, out_path):
    per_file, skipped = load_pass(args)
    one_pass = sum(len(r) for r in per_file)
    repeat = args.repeat
    if repeat is None:
        repeat = max(1, -(-args.target_packets // one_pass))
    if repeat > 255:
        die("--repeat above 255 would reuse XOR masks")
    file_gap = int(args.file_gap * 1_000_000)
    now = BASE_TS_US
    npkts = 0
    nbytes = 0
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(pcap_header())
        for k in range(repeat):
            chunk = []
            for rel in per_file:
                for t, orig, frame in rel:
                    if k:
                        frame = rewrite(frame, k)
                    chunk.append(rec(now + t, orig, frame))
                    nbytes += len(frame)
                now += rel[-1][0] + file_gap
                npkts += len(rel)
            out.write(b"".join(chunk))
    os.replace(tmp, out_path)
    return {"files_used": len(per_file), "files_skipped": skipped,
            "packets_per_pass": one_pass, "repeat": repeat,
            "packets": npkts, "captured_bytes": nbytes}


def ip_offset(frame):
    """(version, offset) of the outer IP header of an Ethernet frame (after
    up to two VLAN tags), or (0, -1)."""
    off = 12
    for _ in range(3):
        if len(frame) < off + 2:
            return 0, -1
        et = (frame[off] << 8) | frame[off + 1]
        if et in (0x8100, 0x88A8, 0x9100):
            off += 4
            continue
        if et == 0x0800 and len(frame) >= off + 2 + 20 \
                and (frame[off + 2] >> 4) == 4:
            return 4, off + 2
        if et == 0x86DD and len(frame) >= off + 2 + 40 \
                and (frame[off + 2] >> 4) == 6:
            return 6, off + 2
        return 0, -1
    return 0, -1


def replica_masks(k):
    """XOR masks of replica k: (IPv4 low 16 bits, IPv6 low 64 bits) as
    bytes. Multiplying by an odd constant is a bijection modulo 2^n, so
    replicas 0 .. 2^16 - 1 all get different masks (replica 0: none)."""
    m4 = (k * 0x9E37) & 0xFFFF
    m6 = (k * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    return m4.to_bytes(2, "big"), m6.to_bytes(8, "big")


def rewrite_replica(frame, masks):
    """Frame with its outer IPv4 or IPv6 addresses XORed by the masks of
    its replica (source and destination alike)."""
    v, ip = ip_offset(frame)
    if v == 0:
        return frame
    b = bytearray(frame)
    if v == 4:
        m = masks[0]
        for a in (ip + 14, ip + 18):        # low 16 bits of src, dst
            b[a] ^= m[0]
            b[a + 1] ^= m[1]
    else:
        m = masks[1]
        for a in (ip + 16, ip + 32):        # low 64 bits of src, dst
            for i in range(8):
                b[a + i] ^= m[i]
    return bytes(b)


def build_flows(args, out_path):
    per_file, skipped = load_pass(args)
    one_pass = sum(len(r) for r in per_file)
    masks = [replica_masks(k) for k in range(args.replicas)]
    file_gap = int(args.flows_file_gap * 1_000_000)
    now = BASE_TS_US
    npkts = 0
    nbytes = 0
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(pcap_header())
        for rel in per_file:
            chunk = []
            for t, orig, frame in rel:
                for k in range(args.replicas):
                    f = rewrite_replica(frame, masks[k]) if k else frame
                    chunk.append(rec(now + t, orig, f))
                    nbytes += len(f)
            out.write(b"".join(chunk))
            npkts += len(rel) * args.replicas
            now += rel[-1][0] + file_gap
    os.replace(tmp, out_path)
    return {"files_used": len(per_file), "files_skipped": skipped,
            "packets_per_pass": one_pass, "replicas": args.replicas,
            "packets": npkts, "captured_bytes": nbytes}


# ---------------------------------------------------------------- DNS

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def dns_frame(src, dst, sport, dport, payload, smac, dmac):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64,
                     17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + udp


def qname(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) \
        + b"\0"


def build_dns(n, out_path, flows=None):
    """N pairs; pair i on the 5-tuple of pair i mod <flows> (default N)."""
    if flows is None:
        flows = n
    cmac = bytes.fromhex("020000000001")
    smac = bytes.fromhex("020000000002")
    server = bytes([192, 0, 2, 53])
    t0 = BASE_TS_US
    npkts = 0
    nbytes = 0
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(pcap_header())
        chunk = []
        for i in range(n):
            j = i % flows                       # the flow of pair i
            client = bytes([10, (j >> 16) & 0xFF, (j >> 8) & 0xFF, j & 0xFF])
            sport = 20000 + (j % 40000)
            txid = (i * 7919) & 0xFFFF
            q = qname("host%d.example.com" % i) + struct.pack("!HH", 1, 1)
            query = struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + q
            ans = struct.pack("!HHHIH4s", 0xC00C, 1, 1, 300, 4,
                              bytes([198, 51, (i >> 8) & 0xFF, i & 0xFF]))
            resp = struct.pack("!HHHHHH", txid, 0x8180, 1, 1, 0, 0) + q + ans
            f1 = dns_frame(client, server, sport, 53, query, cmac, smac)
            f2 = dns_frame(server, client, 53, sport, resp, smac, cmac)
            t = t0 + i * 10
            chunk.append(rec(t, len(f1), f1))
            chunk.append(rec(t + 5, len(f2), f2))
            npkts += 2
            nbytes += len(f1) + len(f2)
            if len(chunk) >= 65536:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))
    os.replace(tmp, out_path)
    return {"pairs": n, "flows": flows, "packets": npkts,
            "captured_bytes": nbytes}


# ---------------------------------------------------------------- main

def up_to_date(path, params):
    try:
        with open(path + ".params") as f:
            old = json.load(f)
    except (OSError, ValueError):
        return None
    if not os.path.exists(path) or old.get("params") != params:
        return None
    return old.get("stats")


def make(path, params, fn, force, quiet):
    stats = None if force else up_to_date(path, params)
    if stats is None:
        if not quiet:
            sys.stderr.write("make-bench-pcap: writing %s\n" % path)
        stats = fn()
        with open(path + ".params", "w") as f:
            json.dump({"params": params, "stats": stats}, f, sort_keys=True)
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--outdir", default="/tmp/bench",
                    help="output directory (default /tmp/bench)")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--corpus",
                    default=os.path.join(os.environ.get(
                        "L7_PCAPS", os.path.join(here, "..", "..", "shared",
                                                 "pcaps")), "ndpi"),
                    help="directory of the nDPI captures "
                    "(default $L7_PCAPS/ndpi, L7_PCAPS=../shared/pcaps)")
    ap.add_argument("-k", "--repeat", type=int, default=None,
                    help="corpus repeats (default: enough for "
                    "--target-packets)")
    ap.add_argument("--target-packets", type=int, default=2_500_000,
                    help="packets aimed at when -k is not given "
                    "(default 2500000)")
    ap.add_argument("--max-gap", type=float, default=1.0,
                    help="cap on a gap inside one file, seconds (default 1)")
    ap.add_argument("--file-gap", type=float, default=300.0,
                    help="seconds between two files (default 300)")
    ap.add_argument("--replicas", type=int, default=47,
                    help="replicas of the corpus in flows.pcap (default 47: "
                    "about 4.8 million packets)")
    ap.add_argument("--flows-file-gap", type=float, default=1.0,
                    help="seconds between two files in flows.pcap "
                    "(default 1)")
    ap.add_argument("--flows", action="store_true",
                    help="also build flows.pcap (many distinct flows)")
    ap.add_argument("--dns", type=int, default=200_000,
                    help="DNS pairs of the many-flows capture (default "
                    "200000)")
    ap.add_argument("--dns-small", type=int, default=1000,
                    help="DNS pairs of the small capture, and flows of "
                    "the control capture dns-M-of-N.pcap (default 1000)")
    ap.add_argument("--dns-mid", type=int, default=None,
                    help="flows of the second control capture "
                    "dns-M-of-N.pcap, for the marginal cost of a flow "
                    "(default: half of --dns)")
    ap.add_argument("--no-corpus", action="store_true",
                    help="do not build corpus.pcap")
    ap.add_argument("--no-dns", action="store_true",
                    help="do not build the DNS captures")
    ap.add_argument("--force", action="store_true",
                    help="rebuild even if up to date")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    if args.dns_mid is None:
        args.dns_mid = max(1, args.dns // 2)
    if args.dns < 1 or args.dns_small < 1 or args.dns > (1 << 24) or \
            args.dns_mid < 1:
        die("--dns, --dns-small and --dns-mid must be in 1..16777216")
    if not 1 <= args.replicas <= 65536:
        die("--replicas must be in 1..65536")
    os.makedirs(args.outdir, exist_ok=True)
    result = {}
    if not args.no_corpus:
        p = os.path.join(args.outdir, "corpus.pcap")
        params = {"corpus": os.path.abspath(args.corpus),
                  "repeat": args.repeat, "target": args.target_packets,
                  "max_gap": args.max_gap, "file_gap": args.file_gap,
                  "version": 1}
        result[p] = make(p, params, lambda: build_corpus(args, p),
                         args.force, args.quiet)
    if args.flows:
        p = os.path.join(args.outdir, "flows.pcap")
        params = {"corpus": os.path.abspath(args.corpus),
                  "replicas": args.replicas, "max_gap": args.max_gap,
                  "file_gap": args.flows_file_gap, "version": 1}
        result[p] = make(p, params, lambda: build_flows(args, p),
                         args.force, args.quiet)
    if not args.no_dns:
        for n in (args.dns, args.dns_small):
            p = os.path.join(args.outdir, "dns-%d.pcap" % n)
            result[p] = make(p, {"pairs": n, "version": 3},
                             lambda n=n, p=p: build_dns(n, p),
                             args.force, args.quiet)
        for m in sorted({args.dns_small, args.dns_mid}):
            if m >= args.dns:
                continue
            p = os.path.join(args.outdir, "dns-%d-of-%d.pcap" %
                             (m, args.dns))
            result[p] = make(p, {"pairs": args.dns, "flows": m,
                                 "version": 3},
                             lambda p=p, m=m: build_dns(args.dns, p, m),
                             args.force, args.quiet)
    for p, s in result.items():
        print("%s %s" % (p, " ".join("%s=%s" % kv for kv in sorted(
            s.items()))))


if __name__ == "__main__":
    main()
