#!/usr/bin/python3
"""nfv9check.py - check NetFlow v9 (and IPFIX) export against oracles.

Subcommands, each exiting 0 (agree), 1 (mismatch) or 2 (tool error):

  nfdump DIR PCAP
      The flows nfcapd stored in DIR (one probe run on PCAP, with
      --no-tunnels) against tshark's reading of PCAP, by flowcmp.py's
      rules: the same flows, packets and bytes per direction, and each
      direction's first and last packet times within 1 ms.

  tshark CAPTURE PORT JSON
      The export packets tshark captured on PORT (CAPTURE, a pcap),
      decoded as cflow: every packet decodes with no malformed or expert
      item, sequence numbers run from 0 without a gap, and the
      application names of each flow (APPLICATION_NAME and ntop's
      L7_PROTO_NAME) equal the application_name of the probe's JSON
      records (JSON) for the same flows; the options table maps every
      applicationId seen to the name the records carry.

  same DIR_A DIR_B
      Two nfcapd directories of the same capture (IPFIX and NetFlow v9)
      hold the same flows, packets and bytes per direction.

  late DIR LOG UP REFRESH
      A collector started late, at UP (seconds since the epoch), the
      probe refreshing its templates every REFRESH seconds: every flow
      the feeder's LOG says was exported after UP + REFRESH (plus the
      probe's flush tick) is in DIR, with the first and last packet
      times the LOG gives, within 1 ms.

Reuses flowcmp.py (same directory) for tshark's side: its frame parser,
flow keys and expected flows. Only the standard library is used.
"""

import collections
import decimal
import ipaddress
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True     # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowcmp  # noqa: E402

NFDUMP_FMT = "fmt:%tsr|%td|%pr|%sa|%sp|%da|%dp|%pkt|%byt|%svln"
ICMP = (1, 58)


def to_ms(text):
    """Milliseconds (Decimal) of a decimal seconds string."""
    return decimal.Decimal(text.strip()) * 1000


class Dir:
    """Packets, bytes, first and last time (ms) of one flow direction."""
    __slots__ = ("pkts", "bytes", "first", "last")

    def __init__(self):
        self.pkts = self.bytes = 0
        self.first = self.last = None

    def add(self, pkts, nbytes, first, last):
        self.pkts += pkts
        self.bytes += nbytes
        if first is not None and (self.first is None or first < self.first):
            self.first = first
        if last is not None and (self.last is None or last > self.last):
            self.last = last


def nfdump_records(path):
    """Records of the nfcapd files under <path>: list of dicts."""
    p = subprocess.run(["nfdump", "-R", path, "-q", "-6", "-N", "-o",
                        NFDUMP_FMT], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise RuntimeError("nfdump -R %s: exit %d: %s" % (
            path, p.returncode, p.stderr.decode(errors="replace")[:300]))
    recs = []
    for line in p.stdout.decode(errors="replace").splitlines():
        c = [x.strip() for x in line.split("|")]
        if len(c) != 10:
            continue
        src, dst = ipaddress.ip_address(c[3]), ipaddress.ip_address(c[5])
        proto = int(c[2])
        # nfdump shows an ICMP type.code as the port; the key has none
        sport, dport = (0, 0) if proto in ICMP else (int(c[4]), int(c[6]))
        start = to_ms(c[0])
        recs.append({"version": src.version, "src": src, "sport": sport,
                     "dst": dst, "dport": dport, "proto": proto,
                     "vlan": int(c[9] or 0), "pkts": int(c[7]),
                     "bytes": int(c[8]), "first": start,
                     "last": start + to_ms(c[1])})
    return recs


def per_flow(recs):
    """Sums records by canonical flow key: key -> [Dir A->B, Dir B->A]."""
    flows = collections.defaultdict(lambda: [Dir(), Dir()])
    for r in recs:
        key, swapped = flowcmp.flow_key(r["version"], r["src"], r["sport"],
                                        r["dst"], r["dport"], r["proto"],
                                        r["vlan"], 0)
        flows[key][int(bool(swapped))].add(r["pkts"], r["bytes"],
                                           r["first"], r["last"])
    return flows


class TimedCounts(flowcmp.Counts):
    """flowcmp's Counts, also keeping each direction's first and last
    packet time (ms) through the frame numbers it is given."""
    __slots__ = ("first", "last")
    times = {}      # frame number -> ms, filled before expected_flows()

    def __init__(self):
        super().__init__()
        self.first = [None, None]
        self.last = [None, None]

    def add(self, direction, pkts, nbytes, frame=None):
        super().add(direction, pkts, nbytes, frame)
        t = TimedCounts.times.get(frame)
        if t is None:
            return
        if self.first[direction] is None or t < self.first[direction]:
            self.first[direction] = t
        if self.last[direction] is None or t > self.last[direction]:
            self.last[direction] = t


def expected(pcap):
    """tshark's flows of <pcap> without tunnels: key -> TimedCounts."""
    if "frame.time_epoch" not in flowcmp.FIELDS:
        flowcmp.FIELDS.append("frame.time_epoch")
    frames, err = flowcmp.run_tshark(pcap)
    if not frames:
        raise RuntimeError("tshark read no frame of %s: %s" % (pcap, err))
    TimedCounts.times = {fr.number: to_ms(fr.fields["frame.time_epoch"][0])
                         for fr in frames if "frame.time_epoch" in fr.fields}
    flowcmp.Counts = TimedCounts
    exp, _ = flowcmp.expected_flows(frames, False)
    return exp


def cmd_nfdump(args):
    path, pcap = args
    exp = expected(pcap)
    got = per_flow(nfdump_records(path))
    diffs = []
    for k in sorted(set(exp) | set(got), key=flowcmp.fmt_key):
        e, g = exp.get(k), got.get(k)
        if g is None:
            diffs.append("missing  %s: expected %s" % (flowcmp.fmt_key(k), e))
            continue
        if e is None:
            diffs.append("extra    %s: nfdump pkts %d/%d bytes %d/%d" % (
                flowcmp.fmt_key(k), g[0].pkts, g[1].pkts, g[0].bytes,
                g[1].bytes))
            continue
        for d in (0, 1):
            if (g[d].pkts, g[d].bytes) != (e.pkts[d], e.bytes[d]):
                diffs.append("differs  %s dir %d: expected pkts %d bytes %d,"
                             " nfdump pkts %d bytes %d" % (
                                 flowcmp.fmt_key(k), d, e.pkts[d],
                                 e.bytes[d], g[d].pkts, g[d].bytes))
            elif g[d].pkts and (abs(g[d].first - e.first[d]) > 1 or
                                abs(g[d].last - e.last[d]) > 1):
                diffs.append("times    %s dir %d: packets %s..%s ms, "
                             "nfdump %s..%s ms" % (
                                 flowcmp.fmt_key(k), d, e.first[d],
                                 e.last[d], g[d].first, g[d].last))
    print("%s: %d flows expected, %d in nfdump, %d differ" % (
        os.path.basename(pcap), len(exp), len(got), len(diffs)))
    for d in diffs[:30]:
        print("  " + d)
    return 1 if diffs or not exp else 0


def pairs_hook(pairs):
    """Keeps repeated JSON keys (tshark repeats some): a list of pairs."""
    return pairs


def walk(node, out):
    """Collects the NetFlow objects of tshark -T json: each FlowSet as
    (flowset id, [flow dicts]), in order, into <out>."""
    if not isinstance(node, list):
        return
    fs_id = None
    flows = []
    for k, v in node:
        if k == "cflow.flowset_id":
            fs_id = int(v)
        elif k.startswith("Flow ") and isinstance(v, list):
            flows.append(dict((fk, fv) for fk, fv in v
                              if not isinstance(fv, list)))
        else:
            walk(v, out)
    if fs_id is not None:
        out.append((fs_id, flows))


def v9_packets(capture, port):
    """(list of (sequence, count, [(flowset id, flows)]), problems) of the
    cflow packets tshark decodes in <capture>."""
    base = ["tshark", "-r", capture, "-n", "-d", "udp.port==%d,cflow" % port]
    p = subprocess.run(base + ["-Y", "_ws.malformed || _ws.expert"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=False)
    problems = [l for l in p.stdout.decode(errors="replace").splitlines()
                if l.strip()]
    p = subprocess.run(base + ["-T", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise RuntimeError("tshark -r %s: %s" % (
            capture, p.stderr.decode(errors="replace")[:300]))
    pkts = []
    for frame in json.loads(p.stdout, object_pairs_hook=pairs_hook):
        layers = dict(dict(frame)["_source"])["layers"]
        cflow = dict(layers).get("cflow")
        if cflow is None:
            problems.append("frame without cflow: %r" % (layers[:3],))
            continue
        top = dict(cflow)
        fsets = []
        walk(cflow, fsets)
        pkts.append((int(top["cflow.sequence"]), int(top["cflow.count"]),
                     fsets))
    return pkts, problems


def v9_flow_key(f):
    """Canonical key and direction of one decoded data record."""
    if "cflow.srcaddr" in f:
        src = ipaddress.ip_address(f["cflow.srcaddr"])
        dst = ipaddress.ip_address(f["cflow.dstaddr"])
    else:
        src = ipaddress.ip_address(f["cflow.srcaddrv6"])
        dst = ipaddress.ip_address(f["cflow.dstaddrv6"])
    proto = int(f["cflow.protocol"])
    sport, dport = int(f.get("cflow.srcport", 0)), int(f.get("cflow.dstport",
                                                              0))
    key, _ = flowcmp.flow_key(src.version, src, sport, dst, dport, proto,
                              int(f.get("cflow.vlanid", 0)), 0)
    return key


def cmd_tshark(args):
    capture, port, jsonfile = args[0], int(args[1]), args[2]
    pkts, problems = v9_packets(capture, port)
    bad = list(problems)
    seqs = sorted(s for s, _, _ in pkts)
    if seqs != list(range(len(seqs))):
        bad.append("sequence numbers not 0..%d without gap: %s" % (
            len(seqs) - 1, seqs[:20]))
    names = collections.defaultdict(set)      # key -> names in records
    ids = {}                                  # selector -> record name
    table = {}                                # selector -> options name
    records = 0
    for _, _, fsets in pkts:
        for fs_id, flows in fsets:
            for f in flows:
                if fs_id in (256, 257):
                    records += 1
                    key = v9_flow_key(f)
                    for field in ("cflow.appl_name",
                                  "cflow.pie.ntop.l7_proto_name"):
                        names[key].add((field, f.get(field)))
                    ids[f.get("cflow.appl_id.selector_id")] = \
                        f.get("cflow.appl_name")
                elif fs_id == 259:
                    table[f.get("cflow.appl_id.selector_id")] = \
                        f.get("cflow.appl_name")
    want = collections.defaultdict(set)
    with open(jsonfile, encoding="utf-8") as fp:
        for line in fp:
            r = json.loads(line)
            key, _ = flowcmp.flow_key(
                r["ip_version"], ipaddress.ip_address(r["ip_src"]),
                r["src_port"], ipaddress.ip_address(r["ip_dst"]),
                r["dst_port"], r["ip_protocol"], r["vlan_id"], 0)
            # v9 names are fixed 32-byte fields
            for field in ("cflow.appl_name", "cflow.pie.ntop.l7_proto_name"):
                want[key].add((field, r["application_name"][:32]))
    for k in sorted(set(want) | set(names), key=flowcmp.fmt_key):
        if want.get(k) != names.get(k):
            bad.append("names of %s: JSON %s, tshark %s" % (
                flowcmp.fmt_key(k), sorted(want.get(k, ())),
                sorted(names.get(k, ()))))
    for sel, name in sorted(ids.items(), key=str):
        if table.get(sel) != name:
            bad.append("applicationId %s: records say %r, options table %r"
                       % (sel, name, table.get(sel)))
    print("%d packets, %d records, %d flows, %d applications, %d problems"
          % (len(pkts), records, len(names), len(table), len(bad)))
    for b in bad[:30]:
        print("  " + b)
    return 1 if bad or not records else 0


def cmd_same(args):
    a, b = (per_flow(nfdump_records(p)) for p in args)
    diffs = []
    for k in sorted(set(a) | set(b), key=flowcmp.fmt_key):
        ca = [(d.pkts, d.bytes) for d in a[k]] if k in a else None
        cb = [(d.pkts, d.bytes) for d in b[k]] if k in b else None
        if ca != cb:
            diffs.append("%s: %s %s, %s %s" % (flowcmp.fmt_key(k), args[0],
                                               ca, args[1], cb))
    print("%d and %d flows, %d differ" % (len(a), len(b), len(diffs)))
    for d in diffs[:30]:
        print("  " + d)
    return 1 if diffs or not a else 0


def cmd_late(args):
    """LOG lines: 'flow SPORT T FIRST LAST': the flow's record was
    exported at T or later; its packets span FIRST..LAST (seconds since
    the epoch)."""
    path, log, up, refresh = args[0], args[1], float(args[2]), \
        float(args[3])
    flows = {}
    with open(log, encoding="utf-8") as fp:
        for line in fp:
            w = line.split()
            if w and w[0] == "flow":
                flows[int(w[1])] = (float(w[2]), to_ms(w[3]), to_ms(w[4]))
    got = {r["sport"]: r for r in nfdump_records(path)}
    # Templates go out at the first flush (once a second) after the
    # period; a record sent after that is decodable.
    due = sorted(p for p, v in flows.items() if v[0] >= up + refresh + 1.5)
    missing = [p for p in due if p not in got]
    bad = ["flow %d: packets %s..%s ms, nfdump %s..%s ms" % (
        p, flows[p][1], flows[p][2], r["first"], r["last"])
        for p, r in sorted(got.items()) if p in flows and (
            abs(r["first"] - flows[p][1]) > 1 or
            abs(r["last"] - flows[p][2]) > 1)]
    print("template refresh %.0f s: %d flows exported more than %.1f s "
          "after the collector started, %d missing; %d flows in nfdump, "
          "%d with times off by more than 1 ms" % (
              refresh, len(due), refresh + 1.5, len(missing), len(got),
              len(bad)))
    if missing:
        print("  missing source ports: %s" % missing)
    for b in bad:
        print("  " + b)
    return 1 if missing or bad or not due else 0


def main(argv):
    cmds = {"nfdump": (cmd_nfdump, 2), "tshark": (cmd_tshark, 3),
            "same": (cmd_same, 2), "late": (cmd_late, 4)}
    if len(argv) < 1 or argv[0] not in cmds or \
            len(argv) - 1 != cmds[argv[0]][1]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        return cmds[argv[0]][0](argv[1:])
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print("nfv9check: %s: %r" % (argv[0], e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
