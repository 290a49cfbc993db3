#!/bin/sh
# plugins.sh - the bundled plugins on real captures: every value of every
# flow checked against an independent computation from the capture with
# scapy, in the JSON output; the same values in IPFIX (ipfixDump names the
# fields through the RFC 5610 type records) and in NetFlow v9 (decoded
# here from the wire, field types 49152 + id), and in IPFIX over UDP as
# tshark decodes it (enterprise elements under PEN 32473, named in the RFC
# 5610 records).
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"
skip_unless_cmd "$PYTHON" ipfixDump tshark
"$PYTHON" -c 'import scapy' 2>/dev/null || exit 77
[ -d "$L7_PCAPS" ] || { echo "skip: no corpus at $L7_PCAPS"; exit 77; }
port=$(free_port udp)
"$PYTHON" - "$L7PROBE" "$L7_PCAPS" "$tmp" "$port" \
    "$srcdir/templates/first_pkts.rules" <<'PYEOF'
import json, math, os, re, socket, struct, subprocess, sys, time
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import PcapReader, IP, IPv6, TCP, UDP

probe, corpus, tmp, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
shipped_rules = sys.argv[5]
CAPS = ["ipfixprobe/http.pcap", "ipfixprobe/tls.pcap", "ipfixprobe/dns.pcap",
        "ndpi/443-chrome.pcap"]
GT, NTH = 100, 2
failures = []

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)

def flows_of(path):
    """Packets per flow, as the probe keys them (5-tuple, first sender is
    the source): {key: [(ts_us, dir, ip_len, tcp_flags)]}."""
    flows, order = {}, {}
    for p in PcapReader(path):
        if IP in p:
            ip = p[IP]
            if ip.flags.MF or ip.frag:
                continue
            src, dst, proto, ln = ip.src, ip.dst, ip.proto, ip.len
        elif IPv6 in p:
            ip = p[IPv6]
            src, dst, proto, ln = ip.src, ip.dst, ip.nh, ip.plen + 40
        else:
            continue
        sp = dp = 0
        flags = 0
        if TCP in p:
            sp, dp, flags = p[TCP].sport, p[TCP].dport, int(p[TCP].flags)
        elif UDP in p:
            sp, dp = p[UDP].sport, p[UDP].dport
        k = (src, sp, dst, dp, proto)
        r = (dst, dp, src, sp, proto)
        if k in flows:
            d = 0
        elif r in flows:
            k, d = r, 1
        else:
            flows[k] = []
            d = 0
        flows[k].append((int(round(float(p.time) * 1e6)), d, ln, flags))
    return flows

def stats(xs):
    if not xs:
        return 0, 0.0, 0.0, 0
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs)) if len(xs) > 1 else 0.0
    return min(xs), m, sd, max(xs)

def expected(pk):
    e = {"count_pkts_gt": sum(1 for p in pk if p[2] > GT)}
    fwd = [p for p in pk if p[1] == 0]
    e["nth_pkt_size"] = fwd[NTH - 1][2] if len(fwd) >= NTH else 0
    for d, pre in ((0, "src2dst_"), (1, "dst2src_")):
        ps = [p for p in pk if p[1] == d]
        mn, m, sd, mx = stats([p[2] for p in ps])
        e.update({pre + "min_ps": mn, pre + "mean_ps": m,
                  pre + "stddev_ps": sd, pre + "max_ps": mx})
        iat = [max(0, b[0] - a[0]) for a, b in zip(ps, ps[1:])]
        mn, m, sd, mx = stats(iat)
        e.update({pre + "min_piat_us": mn, pre + "mean_piat_us": m,
                  pre + "stddev_piat_us": sd, pre + "max_piat_us": mx})
    for i, f in enumerate(("fin", "syn", "rst", "psh", "ack", "urg", "ece",
                           "cwr")):
        e["bidirectional_%s_packets" % f] = sum(
            1 for p in pk if p[3] & (1 << i))
    return e

def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b

def rkey_proto(jbykey, x):
    """The protocol of the JSON record with x's addresses and ports."""
    for k in jbykey:
        if k[:4] == (x["SrcAddr"], int(x["SrcPort"]), x["DstAddr"],
                     int(x["DstPort"])):
            return k[4]
    return None

def rkey(r):
    return (r["ip_src"], r["src_port"], r["ip_dst"], r["dst_port"],
            r["ip_protocol"])

PLUGINS = ["--plugin", "count_pkts_gt:%d" % GT, "--plugin",
           "nth_pkt_size:%d" % NTH, "--plugin", "pkt_stats"]

def v9_decode(data, tmpls, out):
    """Records of l7probe's v9 data templates, as {field type: bytes}."""
    count, = struct.unpack("!H", data[2:4])
    off = 20
    while off + 4 <= len(data):
        fsid, ln = struct.unpack("!HH", data[off:off + 4])
        if ln < 4:
            break
        body = data[off + 4:off + ln]
        if fsid == 0:
            o = 0
            while o + 4 <= len(body):
                tid, n = struct.unpack("!HH", body[o:o + 4])
                tmpls[tid] = [struct.unpack("!HH", body[o + 4 + 4 * i:
                                                        o + 8 + 4 * i])
                              for i in range(n)]
                o += 4 + 4 * n
        elif fsid in tmpls and fsid in (256, 257):
            t = tmpls[fsid]
            rl = sum(l for _, l in t)
            o = 0
            while o + rl <= len(body):
                rec, p = {}, o
                for ft, l in t:
                    rec[ft] = body[p:p + l]
                    p += l
                out.append(rec)
                o += rl
        off += ln

checked = 0
for cap in CAPS:
    path = os.path.join(corpus, cap)
    if not os.path.exists(path):
        print("skip: %s missing" % cap)
        continue
    jpath = os.path.join(tmp, "out.json")
    xpath = os.path.join(tmp, "out.ipfix")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
    sock.bind(("127.0.0.1", port))
    usock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    usock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
    usock.bind(("127.0.0.1", 0))
    p = subprocess.run([probe, "-r", path, "-n", "json:" + jpath, "-n",
                        "ipfix-file:" + xpath, "-n",
                        "nfv9://127.0.0.1:%d" % port, "-n",
                        "ipfix://127.0.0.1:%d" % usock.getsockname()[1]]
                       + PLUGINS, capture_output=True, text=True,
                       timeout=300)
    check(p.returncode == 0, "%s: exit 0 (%s)" % (cap, p.stderr.strip()[-300:]))
    v9, ux = [], []
    for so, out in ((sock, v9), (usock, ux)):
        so.settimeout(0.5)
        try:
            while True:
                out.append(so.recv(65535))
        except socket.timeout:
            pass
        so.close()
    recs = [json.loads(l) for l in open(jpath)]
    ref = flows_of(path)
    keys = {}
    for r in recs:
        keys.setdefault(rkey(r), []).append(r)
    n = bad = 0
    for k, pk in ref.items():
        rs = keys.get(k, [])
        # A key the probe split (TCP end then reuse) is not compared.
        if len(rs) != 1 or rs[0]["src_to_dst_pkts"] + \
                rs[0]["dst_to_src_pkts"] != len(pk):
            continue
        n += 1
        e = expected(pk)
        diff = [(f, rs[0].get(f), v) for f, v in e.items()
                if not same(rs[0].get(f), v)]
        if diff:
            bad += 1
            if bad <= 3:
                print("  %s: %s" % (k, diff[:4]))
    # Keys the probe split (a TCP connection ended, then reused) are not
    # compared; tls.pcap has 6 of 29.
    check(n >= 0.75 * len(ref) and n > 0,
          "%s: %d of %d flows compared" % (cap, n, len(ref)))
    check(bad == 0, "%s: JSON plugin values = scapy's in every flow (%d bad)"
          % (cap, bad))
    checked += n

    # IPFIX: the forward record of each flow carries the JSON values.
    d = subprocess.run(["ipfixDump", "--rfc5610", "-d", "--in", xpath],
                       capture_output=True, text=True, timeout=120).stdout
    xrecs, cur = [], None
    for line in d.splitlines():
        if line.startswith("--- data record"):
            cur = {}
            xrecs.append(cur)
        elif cur is not None and " : " in line and line.startswith("\t("):
            name, val = line.split(" : ", 1)
            cur[name.split()[-1]] = val.strip()
    xflows = [x for x in xrecs if x.get("biflowDirection") == "1"]
    jbykey = {rkey(r): r for r in recs}
    fields = list(expected([]).keys())
    bad = 0
    named = all(all(f in x for f in fields) for x in xflows)
    for x in xflows:
        k = (x.get("sourceIPv4Address", x.get("sourceIPv6Address")),
             int(x["sourceTransportPort"]),
             x.get("destinationIPv4Address", x.get("destinationIPv6Address")),
             int(x["destinationTransportPort"]), int(x["protocolIdentifier"]))
        r = jbykey.get(k)
        if r is None or any(not same(float(x[f]), float(r[f]))
                            for f in fields if f in x):
            bad += 1
    check(len(xflows) == len(recs) and named,
          "%s: IPFIX: %d forward records (JSON %d), every plugin field named"
          % (cap, len(xflows), len(recs)))
    check(bad == 0, "%s: IPFIX values = JSON values (%d bad)" % (cap, bad))

    # NetFlow v9.
    tmpls, vrecs = {}, []
    for m in v9:
        v9_decode(m, tmpls, vrecs)
    ids = {"count_pkts_gt": 100, "nth_pkt_size": 101}
    for i, f in enumerate(fields[2:]):
        ids[f] = 120 + i
    FLOATS = {f for f in fields if "mean" in f or "stddev" in f}
    bad = fwd = 0
    for v in vrecs:
        if 8 in v:
            src = socket.inet_ntop(socket.AF_INET, v[8])
            dst = socket.inet_ntop(socket.AF_INET, v[12])
        else:
            src = socket.inet_ntop(socket.AF_INET6, v[27])
            dst = socket.inet_ntop(socket.AF_INET6, v[28])
        k = (src, int.from_bytes(v[7], "big"), dst,
             int.from_bytes(v[11], "big"), v[4][0])
        r = jbykey.get(k)
        if r is None:
            continue		# a reverse record
        fwd += 1
        for f, i in ids.items():
            raw = v.get(49152 + i)
            val = None if raw is None else (
                struct.unpack("!d", raw)[0] if f in FLOATS
                else int.from_bytes(raw, "big"))
            if val is None or not same(val, r[f]):
                bad += 1
                break
    check(fwd == len(recs), "%s: NetFlow v9: %d forward records (JSON %d)"
          % (cap, fwd, len(recs)))
    check(bad == 0, "%s: NetFlow v9 values = JSON values (%d bad)"
          % (cap, bad))

    # IPFIX over UDP as tshark decodes it: the datagrams received, put
    # in a capture, each flow record's PEN 32473 elements by id.
    from scapy.all import Ether, Raw, wrpcap
    upcap = os.path.join(tmp, "ipfix.pcap")
    wrpcap(upcap, [Ether() / IP(src="127.0.0.1", dst="127.0.0.1") /
                   UDP(sport=4739, dport=4739) / Raw(m) for m in ux])
    d = subprocess.run(["tshark", "-r", upcap, "-V"], capture_output=True,
                       text=True, timeout=120).stdout
    tflows, cur = [], None
    for line in d.splitlines():
        t = line.strip()
        if re.match(r"Flow \d+$", t):
            cur = {}
            tflows.append(cur)
        elif cur is None:
            continue
        elif t.startswith(("SrcAddr: ", "DstAddr: ", "SrcPort: ",
                           "DstPort: ")):
            cur[t.split(":")[0]] = t.split(": ", 1)[1]
        else:
            m = re.match(r"Enterprise Private entry: \(Example Enterprise "
                         r"Number for Documentation Use\) Type (\d+): "
                         r"Value \(hex bytes\): ([0-9a-f ]+)$", t)
            if m:
                cur[int(m.group(1))] = bytes.fromhex(m.group(2))
    named = all(("Information Element Name: %s" % f) in d for f in fields)
    bad = fwd = 0
    for x in tflows:
        if "SrcAddr" not in x:
            continue
        r = jbykey.get((x["SrcAddr"], int(x["SrcPort"]), x["DstAddr"],
                        int(x["DstPort"]), rkey_proto(jbykey, x)))
        if r is None:
            continue
        fwd += 1
        for f, i in ids.items():
            raw = x.get(i)
            val = None if raw is None else (
                struct.unpack("!d", raw)[0] if f in FLOATS
                else int.from_bytes(raw, "big"))
            if val is None or not same(val, r[f]):
                bad += 1
                break
    check(fwd == len(recs) and named, "%s: tshark: %d forward IPFIX records "
          "(JSON %d), every plugin field named in the RFC 5610 records"
          % (cap, fwd, len(recs)))
    check(bad == 0, "%s: tshark's IPFIX values = JSON values (%d bad)"
          % (cap, bad))

check(checked >= 20, "%d flows checked in all" % checked)

# first_pkts: sizes and directions of the first 3 packets, the label of
# the first matching rule (the shipped example rule file, read here by its
# documented format), export forced once 3 packets are seen.
rules = shipped_rules

def parse_rules(path):
    out = []
    for line in open(path):
        w = line.split("#", 1)[0].split()
        if not w:
            continue
        specs = []
        for t in w[1:]:
            d = -1
            if t[0] in "<>":
                d, t = (0 if t[0] == ">" else 1), t[1:]
            if t == "*":
                lo, hi = 0, 1 << 32
            elif "-" in t:
                a, b = t.split("-", 1)
                lo, hi = int(a or 0), int(b) if b else 1 << 32
            else:
                lo = hi = int(t)
            specs.append((d, lo, hi))
        out.append((w[0], specs))
    return out

RULES = parse_rules(rules)
check(len(RULES) >= 3, "%d rules in %s" % (len(RULES), rules))

def label(pk):
    for name, specs in RULES:
        if len(specs) <= len(pk) and all(
                (d < 0 or d == p[1]) and lo <= p[2] <= hi
                for (d, lo, hi), p in zip(specs, pk)):
            return name
    return "unknown"

for cap in CAPS[:3]:
    path = os.path.join(corpus, cap)
    if not os.path.exists(path):
        continue
    p = subprocess.run([probe, "-r", path, "--plugin",
                        "first_pkts:n=3,rules=" + rules],
                       capture_output=True, text=True, timeout=300)
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    first = {}
    for r in recs:
        k = frozenset([(r["ip_src"], r["src_port"]), (r["ip_dst"], r["dst_port"])])
        if k not in first or r["start_time"] < first[k]["start_time"]:
            first[k] = r
    ref = flows_of(path)
    n = bad = 0
    for k, pk in ref.items():
        r = first.get(frozenset([(k[0], k[1]), (k[2], k[3])]))
        if r is None or (r["ip_src"], r["src_port"]) != (k[0], k[1]):
            continue
        n += 1
        pk3 = pk[:3]
        want = (",".join(str(x[2]) for x in pk3),
                ",".join(str(x[1]) for x in pk3), label(pk3),
                3 if len(pk) >= 3 else r["export_reason"])
        got = (r["first_pkts_sizes"], r["first_pkts_dirs"],
               r["first_pkts_label"], r["export_reason"])
        if want != got or (len(pk) < 3 and r["export_reason"] == 3):
            bad += 1
            if bad <= 3:
                print("  %s: want %s got %s" % (k, want, got))
    check(p.returncode == 0 and n >= 0.8 * len(ref),
          "%s: first_pkts: %d of %d flows compared" % (cap, n, len(ref)))
    check(bad == 0, "%s: first_pkts sizes, directions, labels and forced "
          "export as computed from the capture (%d bad)" % (cap, bad))
    check(any(r["first_pkts_label"] != "unknown" for r in recs),
          "%s: some flows labelled by a rule" % cap)

if failures:
    print("%d failures" % len(failures))
    sys.exit(1)
PYEOF
exit $?
