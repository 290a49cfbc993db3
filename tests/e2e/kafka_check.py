#!/usr/bin/python3
"""kafka_check.py - check what the probe exported to Kafka, as consumed by
the mock cluster (tests/kafka/l7mock: lines "PARTITION OFFSET KEY VALUE",
key and value in hex).

    kafka_check.py json  --out MOCK.out --json FILE.json [--err PROBE.err]
                         [--pcap CAP [--no-tunnels]] [--probe-id ID]
                         [--lossy] [--min-partitions N]
    kafka_check.py ipfix --out MOCK.out --dir MOCK.d --json FILE.json
                         [--biflow] [--one-partition]

json: every message is keyed by its flow (the key decodes to the record's
oriented key: IP version, protocol, addresses, ports, VLAN, tunnel id),
its value is one JSON object without a newline; all records of one flow
are in one partition and in order (start times grow with offsets); more
than N partitions are used (default 1); the records are exactly those
the probe wrote to FILE.json at the same time (--lossy: a subset, and the
missing ones are the probe's "not delivered" count: nothing silently
lost); with --pcap, the flows equal tshark's per direction (flowcmp.py).

ipfix: every message is keyed and holds exactly one IPFIX message; each
partition's messages, concatenated (MOCK.d/P.bin), are read by ipfixDump
without complaint, from the partition's start; the flow records of all
partitions are those of FILE.json (one per direction with packets, or one
per flow with --biflow), and each flow's records sit in one partition;
more than one partition is used. With --one-partition (a topic of one
partition): that partition is one gapless IPFIX stream, ipfixDump finds
no message out of sequence.

Prints "ok: ..." / "FAIL: ..." lines; exit 0 when all hold, 1 otherwise.
"""

import argparse
import collections
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowcmp  # noqa: E402

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def read_mock(path):
    """[(partition, offset, key bytes or None, value bytes)] in file order
    (the consumer's: offsets grow within a partition)."""
    msgs = []
    with open(path) as f:
        for line in f:
            p, o, k, v = line.split()
            msgs.append((int(p), int(o), None if k == "-" else
                         bytes.fromhex(k) if k != '""' else b"",
                         bytes.fromhex(v) if v != '""' else b""))
    return msgs


def key_of_record(r):
    """The key the probe must use for JSON record <r> (exp_flow_key)."""
    v = r["ip_version"]
    src = ipaddress.ip_address(r["ip_src"]).packed
    dst = ipaddress.ip_address(r["ip_dst"]).packed
    return (bytes([v, r["ip_protocol"]]) + src + dst +
            r["src_port"].to_bytes(2, "big") +
            r["dst_port"].to_bytes(2, "big") +
            r["vlan_id"].to_bytes(2, "big") +
            r["tunnel_id"].to_bytes(4, "big"))


def flow_id(r):
    return (r["ip_version"], r["ip_src"], r["src_port"], r["ip_dst"],
            r["dst_port"], r["ip_protocol"], r["vlan_id"], r["tunnel_id"])


def partitions_per_flow(msgs, flow_of):
    """Checks every flow's messages share one partition and key."""
    where = collections.defaultdict(set)
    keys = collections.defaultdict(set)
    for p, _, k, v in msgs:
        fid = flow_of(v)
        if fid is None:
            continue
        where[fid].add(p)
        keys[fid].add(k)
    split = [f for f, ps in where.items() if len(ps) > 1]
    check(not split, "every flow's records in one partition (%d flows%s)"
          % (len(where), ", split: %s" % (split[:3],) if split else ""))
    check(all(len(k) == 1 for k in keys.values()),
          "one key per flow")
    return where


def do_json(a):
    msgs = read_mock(a.out)
    check(len(msgs) > 0, "%d messages consumed" % len(msgs))
    check(all(k is not None and len(k) > 0 for _, _, k, _ in msgs),
          "every message keyed")
    check(all(not v.endswith(b"\n") for _, _, _, v in msgs),
          "no message ends with a newline")
    recs = []
    bad = 0
    for p, o, k, v in msgs:
        try:
            r = json.loads(v.decode("utf-8"))
        except ValueError:
            bad += 1
            continue
        recs.append((p, o, k, r))
    check(bad == 0, "every message is one JSON object (%d bad)" % bad)
    check(all(k == key_of_record(r) for _, _, k, r in recs),
          "every key is its record's flow key")
    if a.probe_id is not None:
        ids = {r.get("probe_id") for _, _, _, r in recs}
        check(ids == {a.probe_id}, "probe_id %s in every record: %s" %
              (a.probe_id, sorted(map(str, ids))))

    byflow = collections.defaultdict(list)
    for p, o, k, r in recs:
        byflow[flow_id(r)].append((p, o, r))
    split = [f for f, l in byflow.items() if len({p for p, _, _ in l}) > 1]
    check(not split, "every flow's records in one partition (%d flows, "
          "%d with several records)" % (len(byflow), sum(
              len(l) > 1 for l in byflow.values())))
    unordered = [f for f, l in byflow.items()
                 if [r["start_time"] for _, _, r in sorted(l, key=lambda x:
                     x[1])] != sorted(r["start_time"] for _, _, r in l)]
    check(not unordered, "every flow's records in order (%d out of order)"
          % len(unordered))
    used = {p for p, _, _, _ in recs}
    check(len(used) >= a.min_partitions,
          "%d partitions used (at least %d)" % (len(used), a.min_partitions))

    with open(a.json) as f:
        want = collections.Counter(l.rstrip("\n") for l in f if l.strip())
    got = collections.Counter(v.decode("utf-8") for _, _, _, v in msgs)
    extra = got - want
    missing = want - got
    check(not extra, "no record beyond the probe's own (%d extra, %d "
          "duplicated)" % (sum(extra.values()),
                           sum(n - 1 for n in got.values() if n > 1)))
    not_delivered = None
    if a.err:
        err = open(a.err).read()
        m = re.search(r"records not delivered (\d+)", err)
        if check(m is not None, "probe reports records not delivered"):
            not_delivered = int(m.group(1))
    if a.lossy:
        check(sum(missing.values()) > 0, "some records were lost (%d)" %
              sum(missing.values()))
        check(not_delivered == sum(missing.values()),
              "every lost record counted: %d missing, probe says %s" %
              (sum(missing.values()), not_delivered))
    else:
        check(not missing, "every record arrived once (%d records, %d "
              "missing)" % (sum(want.values()), sum(missing.values())))
        if not_delivered is not None:
            check(not_delivered == 0, "probe says all delivered")

    if a.pcap:
        frames, err = flowcmp.run_tshark(a.pcap)
        exp, _ = flowcmp.expected_flows(frames, not a.no_tunnels)
        got_f = collections.defaultdict(flowcmp.Counts)
        for _, _, _, r in recs:
            key, swapped = flowcmp.flow_key(
                r["ip_version"], ipaddress.ip_address(r["ip_src"]),
                r["src_port"], ipaddress.ip_address(r["ip_dst"]),
                r["dst_port"], r["ip_protocol"], r["vlan_id"],
                r["tunnel_id"])
            c = got_f[key]
            d = int(bool(swapped))
            c.add(d, r["src_to_dst_pkts"], r["src_to_dst_bytes"])
            c.add(d if swapped is None else 1 - d, r["dst_to_src_pkts"],
                  r["dst_to_src_bytes"])
        diffs = [k for k in set(exp) | set(got_f)
                 if k not in exp or k not in got_f or
                 not exp[k].same(got_f[k])]
        check(not diffs, "%s: %d flows equal tshark's per direction%s" % (
            os.path.basename(a.pcap), len(exp),
            "; differ: " + "; ".join(flowcmp.fmt_key(k) for k in
                                     sorted(diffs, key=str)[:5])
            if diffs else ""))


DUMP_FIELDS = re.compile(r"\(\S+\)\s*(?:\(S\))?\s+(\w+) : ([^\n]*)")


def ipfix_flows(dump):
    """Flow records (tid 256-259) of an ipfixDump text, as dicts."""
    out = []
    for r in re.split(r"--- data record \d+ ---", dump)[1:]:
        tid = int(re.search(r"tid:\s+(\d+)", r).group(1))
        if 256 <= tid <= 259:
            out.append(dict((k, v.strip()) for k, v in
                            DUMP_FIELDS.findall(r)))
    return out


def ipfix_tuple(f, reverse=False):
    src = f.get("sourceIPv4Address") or f.get("sourceIPv6Address")
    dst = f.get("destinationIPv4Address") or f.get(
        "destinationIPv6Address")
    pre = "reverse" if reverse else ""
    pk = "reversePacketDeltaCount" if reverse else "packetDeltaCount"
    ok = "reverseOctetDeltaCount" if reverse else "octetDeltaCount"
    return (str(ipaddress.ip_address(src)), int(f.get("sourceTransportPort",
            0)), str(ipaddress.ip_address(dst)),
            int(f.get("destinationTransportPort", 0)),
            int(f["protocolIdentifier"]), int(f.get(pk, 0)),
            int(f.get(ok, 0)), pre)


def do_ipfix(a):
    msgs = read_mock(a.out)
    check(len(msgs) > 0, "%d messages consumed" % len(msgs))
    check(all(k is not None and len(k) > 0 for _, _, k, _ in msgs),
          "every message keyed")
    one = [len(v) >= 16 and v[0:2] == b"\x00\x0a" and
           int.from_bytes(v[2:4], "big") == len(v) for _, _, _, v in msgs]
    check(all(one), "every message is exactly one IPFIX message (%d not)" %
          one.count(False))
    # A flow's message carries the RFC 6759 record of its own application
    # (set 261, one fixed-size record), never the whole table.
    app_sets = []
    bare = 0
    for _, _, _, v in msgs:
        off, sets = 16, []
        while off + 4 <= len(v):
            sid, slen = struct.unpack("!HH", v[off:off + 4])
            if slen < 4:
                break
            sets.append((sid, slen))
            off += slen
        if any(256 <= sid <= 259 for sid, _ in sets):
            apps = [slen for sid, slen in sets if sid == 261]
            app_sets.append(apps)
            bare += len(apps) != 1
    sizes = {a[0] for a in app_sets if len(a) == 1}
    check(app_sets and bare == 0 and len(sizes) == 1 and
          max(sizes) < 4 + 2 * 141,
          "every flow message carries one application record (%d flow "
          "messages, %d without exactly one set 261, set sizes %s)" % (
              len(app_sets), bare, sorted(sizes)))
    parts = sorted({p for p, _, _, _ in msgs})
    got = collections.Counter()
    flow_part = collections.defaultdict(set)
    n_flow_recs = 0
    for p in parts:
        path = os.path.join(a.dir, "%d.bin" % p)
        r = subprocess.run(["ipfixDump", "--in", path], capture_output=True,
                           text=True, timeout=120, check=False)
        # Sequence numbers count the records of the whole export: a
        # partition holds some of them, so its reader sees gaps that are
        # the other partitions' records (documented); anything else is a
        # complaint, and those too when the topic has one partition.
        errs = [l for l in r.stderr.splitlines() if l.strip() and
                (a.one_partition or "out of sequence" not in l)]
        check(r.returncode == 0 and not errs,
              "partition %d: ipfixDump reads it from its start (%s)" %
              (p, ("; ".join(errs) or "clean")[:200]))
        st = re.search(r"File Stats: (\d+) Messages, (\d+) Data Records",
                       r.stdout)
        n_msgs = sum(1 for q, _, _, _ in msgs if q == p)
        check(st is not None and int(st.group(1)) == n_msgs,
              "partition %d: ipfixDump reads its %d messages (%s)" %
              (p, n_msgs, st.group(1) if st else "?"))
        for f in ipfix_flows(r.stdout):
            n_flow_recs += 1
            t = ipfix_tuple(f)
            got[t[:7]] += 1
            ends = frozenset([(t[0], t[1]), (t[2], t[3])])
            flow_part[(ends, t[4])].add(p)
            if a.biflow:
                rt = ipfix_tuple(f, reverse=True)
                got[(t[2], t[3], t[0], t[1], t[4], rt[5], rt[6])] += 1
    check(n_flow_recs > 0, "%d flow records decoded" % n_flow_recs)
    check(all(len(ps) == 1 for ps in flow_part.values()),
          "every flow's records in one partition")
    if a.one_partition:
        check(parts == [0], "one partition used")
    else:
        check(len(parts) > 1, "%d partitions used" % len(parts))

    want = collections.Counter()
    with open(a.json) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            fw = (r["ip_src"], r["src_port"], r["ip_dst"], r["dst_port"],
                  r["ip_protocol"])
            rv = (r["ip_dst"], r["dst_port"], r["ip_src"], r["src_port"],
                  r["ip_protocol"])
            if a.biflow or r["src_to_dst_pkts"] > 0:
                want[fw + (r["src_to_dst_pkts"], r["src_to_dst_bytes"])] += 1
            if a.biflow or r["dst_to_src_pkts"] > 0:
                want[rv + (r["dst_to_src_pkts"], r["dst_to_src_bytes"])] += 1
    # Records are canonical: addresses as ipaddress prints them.
    want = collections.Counter({(str(ipaddress.ip_address(k[0])), k[1],
                                 str(ipaddress.ip_address(k[2])), k[3],
                                 k[4], k[5], k[6]): n
                                for k, n in want.items()})
    if a.biflow:
        # A biflow record with no packets one way is no uniflow record.
        want = collections.Counter({k: n for k, n in want.items()
                                    if k[5] > 0})
        got = collections.Counter({k: n for k, n in got.items()
                                   if k[5] > 0})
    check(got == want, "IPFIX flow records equal the JSON records per "
          "direction (%d; %d missing, %d extra)" % (
              sum(want.values()), sum((want - got).values()),
              sum((got - want).values())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["json", "ipfix"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--dir")
    ap.add_argument("--err")
    ap.add_argument("--pcap")
    ap.add_argument("--no-tunnels", action="store_true")
    ap.add_argument("--probe-id")
    ap.add_argument("--lossy", action="store_true")
    ap.add_argument("--biflow", action="store_true")
    ap.add_argument("--one-partition", action="store_true")
    ap.add_argument("--min-partitions", type=int, default=2)
    a = ap.parse_args()
    if a.mode == "json":
        do_json(a)
    else:
        do_ipfix(a)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
