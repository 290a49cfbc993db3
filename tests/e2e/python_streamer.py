#!/usr/bin/python3
"""python_streamer.py - the l7probe Python module on real captures, its
values checked against an independent count from the capture (scapy).

    python_streamer.py CAPTURE...

For each capture (tunnels off, timeouts long, so only TCP ends and the
plugin split flows):
  - without callbacks: the packets and bytes of every flow key, per
    direction, equal scapy's;
  - user_metrics: count_pkts_gt_666 (packets with IP length > 999, as the
    tutorial has it), summed per flow key, equals scapy's count; the size
    of the 4th packet of a flow equals scapy's 4th packet of that key
    (keys with one flow only);
  - user_classifiers: a classifier that forces the export at the third
    packet: no record has more than 3 packets, a 3-packet record has
    export_reason 3, no packet is lost; on_flow_init / on_flow_terminate
    are paired, on_exit runs once;
  - print(flow) is one JSON object with the documented keys.
  - two Streamers with different user_metrics, iterated interleaved:
    each one's metrics equal scapy's count (packets > 999 for one,
    > 100 and the 4th packet's size for the other), neither has the
    other's;
And: a bad source or filter raises ValueError naming it; a Streamer
left early (200 times), or whose flows' last records are empty (active
timeout, then silence), keeps no flow alive once its flows are dropped.
Exit 0 pass, 1 fail.
"""
import collections
import io
import contextlib
import gc
import json
import sys

import l7probe
from scapy.all import IP, IPv6, TCP, UDP, PcapReader  # noqa: E402

LONG = 1000000
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)
        print("FAIL:", msg)


def canon(a, pa, b, pb, proto):
    """Flow key and the direction of (a, pa) -> (b, pb): 0 or 1."""
    if (a, pa) <= (b, pb):
        return (a, pa, b, pb, proto), 0
    return (b, pb, a, pa, proto), 1


def scapy_view(path):
    """Per key: [pkts, bytes] per direction in first-seen orientation,
    IP lengths in order, count of lengths > 999."""
    first = {}
    flows = collections.defaultdict(lambda: {"c": [[0, 0], [0, 0]],
                                             "lens": [], "gt": 0,
                                             "gt100": 0})
    total = 0
    with PcapReader(path) as rd:
        for p in rd:
            if IP in p:
                ip = p[IP]
                n, proto = ip.len, ip.proto
                if ip.frag != 0 or ip.flags.MF:
                    continue            # the test captures have none
            elif IPv6 in p:
                ip = p[IPv6]
                n, proto = 40 + ip.plen, ip.nh
            else:
                continue
            sp = dp = 0
            if TCP in p or UDP in p:
                l4 = p[TCP] if TCP in p else p[UDP]
                sp, dp = l4.sport, l4.dport
            k, d = canon(ip.src, sp, ip.dst, dp, proto)
            if k not in first:
                first[k] = d
            d ^= first[k]
            f = flows[k]
            f["c"][d][0] += 1
            f["c"][d][1] += n
            f["lens"].append(n)
            f["gt"] += n > 999
            f["gt100"] += n > 100
            total += 1
    return flows, total


def key_of(flow):
    k, d = canon(flow.ip_src, flow.src_port, flow.ip_dst, flow.dst_port,
                 flow.ip_protocol)
    return k, d


def count_pkts_gt_666(packet_information, flow, direction):
    if packet_information.length > 999:
        return flow.metrics["count_pkts_gt_666"] + 1
    return flow.metrics["count_pkts_gt_666"]


def count_pkts_gt_100(packet_information, flow, direction):
    return flow.metrics["count_pkts_gt_100"] + (packet_information.length
                                                > 100)


def pkt_4_size(packet_information, flow, direction):
    if flow.total_pkts == 4:
        return packet_information.length
    return flow.metrics["pkt_4_size"]


class ThreePackets(l7probe.Classifier):
    def __init__(self, name):
        super().__init__(name)
        self.inits = self.terms = self.exits = 0

    def on_flow_init(self, flow):
        self.inits += 1
        flow.classifiers[self.name]["packets"] = 0

    def on_flow_update(self, packet_information, flow, direction):
        flow.classifiers[self.name]["packets"] += 1
        if flow.classifiers[self.name]["packets"] == 3:
            flow.export_reason = 3

    def on_flow_terminate(self, flow):
        self.terms += 1

    def on_exit(self):
        self.exits += 1


def run(path):
    want, total = scapy_view(path)
    check(total > 0, "%s: no IP packets" % path)
    opts = dict(source=path, decode_tunnels=False, active_timeout=LONG,
                inactive_timeout=LONG)

    got = collections.defaultdict(lambda: [[0, 0], [0, 0]])
    n = 0
    for flow in l7probe.Streamer(**opts):
        k, d = key_of(flow)
        got[k][d][0] += flow.src_to_dst_pkts
        got[k][d][1] += flow.src_to_dst_bytes
        got[k][1 - d][0] += flow.dst_to_src_pkts
        got[k][1 - d][1] += flow.dst_to_src_bytes
        if n == 0:
            shown = json.loads(str(flow))
            for key in ("ip_src", "src_port", "ip_dst", "dst_port",
                        "ip_protocol", "src_to_dst_pkts", "dst_to_src_pkts",
                        "src_to_dst_bytes", "dst_to_src_bytes",
                        "application_name", "category_name", "start_time",
                        "end_time", "export_reason"):
                check(key in shown and shown[key] == getattr(flow, key),
                      "%s: print(flow): %s" % (path, key))
        n += 1
    # Orientation: the probe's first packet decides, like scapy's.
    for k in set(want) | set(got):
        w = want[k]["c"] if k in want else None
        g = got.get(k)
        check(g is not None and w is not None and
              (g == w or g == [w[1], w[0]]),
              "%s: flow %s: library %s, scapy %s" % (path, k, g, w))

    sums = collections.Counter()
    fourth = collections.defaultdict(list)
    for flow in l7probe.Streamer(user_metrics={
            "count_pkts_gt_666": count_pkts_gt_666,
            "pkt_4_size": pkt_4_size}, **opts):
        k, _ = key_of(flow)
        sums[k] += flow.metrics["count_pkts_gt_666"]
        fourth[k].append((flow.total_pkts, flow.metrics["pkt_4_size"]))
    for k, f in want.items():
        check(sums[k] == f["gt"], "%s: flow %s: count_pkts_gt_666 %d, "
              "scapy %d" % (path, k, sums[k], f["gt"]))
        if len(fourth[k]) == 1:
            pk, size = fourth[k][0]
            exp = f["lens"][3] if len(f["lens"]) >= 4 else 0
            check(size == exp, "%s: flow %s: 4th packet size %d, scapy %d"
                  % (path, k, size, exp))
    check(sum(f["gt"] for f in want.values()) == sum(sums.values()),
          "%s: count_pkts_gt_666 total" % path)

    cl = ThreePackets("three")
    pkts = forced = 0
    for flow in l7probe.Streamer(user_classifiers=[cl], **opts):
        pkts += flow.total_pkts
        check(flow.total_pkts <= 3, "%s: record of %d packets" %
              (path, flow.total_pkts))
        if flow.total_pkts == 3:
            forced += 1
            check(flow.export_reason == 3, "%s: 3 packets, export_reason %d"
                  % (path, flow.export_reason))
        check(flow.classifiers["three"]["packets"] == flow.total_pkts,
              "%s: classifier storage %s, %d packets" %
              (path, flow.classifiers, flow.total_pkts))
    check(pkts == total, "%s: %d packets in records, scapy %d" %
          (path, pkts, total))
    check(cl.exits == 1 and cl.inits == cl.terms,
          "%s: init %d terminate %d exit %d" %
          (path, cl.inits, cl.terms, cl.exits))
    print("%s: %d packets, %d flows, %d forced at 3 packets, %d packets "
          "> 999" % (path, total, n, forced,
                     sum(f["gt"] for f in want.values())))
    interleaved(path, want, opts)


def interleaved(path, want, opts):
    """Two Streamers at once, each with its own user_metrics, advanced
    one flow each in turn."""
    a = iter(l7probe.Streamer(user_metrics={
        "count_pkts_gt_666": count_pkts_gt_666}, **opts))
    b = iter(l7probe.Streamer(user_metrics={
        "count_pkts_gt_100": count_pkts_gt_100,
        "pkt_4_size": pkt_4_size}, **opts))
    gt, gt100 = collections.Counter(), collections.Counter()
    fourth = collections.defaultdict(list)
    na = nb = 0
    while a is not None or b is not None:
        fa = next(a, None) if a is not None else None
        fb = next(b, None) if b is not None else None
        if fa is None:
            a = None
        else:
            na += 1
            gt[key_of(fa)[0]] += fa.metrics["count_pkts_gt_666"]
            check(set(fa.metrics) == {"count_pkts_gt_666"},
                  "%s: first streamer's metrics %s" % (path, fa.metrics))
        if fb is None:
            b = None
        else:
            nb += 1
            k = key_of(fb)[0]
            gt100[k] += fb.metrics["count_pkts_gt_100"]
            fourth[k].append(fb.metrics["pkt_4_size"])
            check(set(fb.metrics) == {"count_pkts_gt_100", "pkt_4_size"},
                  "%s: second streamer's metrics %s" % (path, fb.metrics))
    check(na > 0 and na == nb, "%s: interleaved: %d and %d flows" %
          (path, na, nb))
    for k, f in want.items():
        check(gt[k] == f["gt"] and gt100[k] == f["gt100"],
              "%s: interleaved: flow %s: > 999: %d (scapy %d), > 100: %d "
              "(scapy %d)" % (path, k, gt[k], f["gt"], gt100[k],
                              f["gt100"]))
        if len(fourth[k]) == 1:
            exp = f["lens"][3] if len(f["lens"]) >= 4 else 0
            check(fourth[k][0] == exp, "%s: interleaved: flow %s: 4th "
                  "packet size %d, scapy %d" % (path, k, fourth[k][0], exp))


class Tag:
    """Counts the live instances: one a flow, in the flow's storage."""
    live = 0

    def __init__(self):
        Tag.live += 1

    def __del__(self):
        Tag.live -= 1


class Tagger(l7probe.Classifier):
    def on_flow_init(self, flow):
        flow.classifiers[self.name]["tag"] = Tag()


def leaks(path):
    """Flows the iteration did not hand out are freed with the Streamer
    (before: every open flow's object stayed alive for good)."""
    for i in range(200):
        for flow in l7probe.Streamer(source=path,
                                     user_classifiers=[Tagger("t")]):
            break
        for flow in l7probe.Streamer(source=path, user_metrics={
                "tag": lambda pi, f, d: Tag()}):
            break
    del flow
    gc.collect()
    check(Tag.live == 0, "%s: left early 400 times: %d flows still alive"
          % (path, Tag.live))
    # A 1 s active timeout: flows are cut, many then stay silent, and
    # their last record (no packets) is never handed out.
    Tag.live = 0
    flows = list(l7probe.Streamer(source=path, active_timeout=1,
                                  user_classifiers=[Tagger("t")]))
    cut = sum(f.export_reason == 1 for f in flows)
    check(cut > 0, "%s: no active timeout with 1 s" % path)
    del flows
    gc.collect()
    check(Tag.live == 0, "%s: active timeouts: %d flows still alive"
          % (path, Tag.live))


def errors(path):
    for kw, what in ((dict(source="/nonexistent/x.pcap"), "x.pcap"),
                     (dict(source=path, bpf_filter="tcp port"), "tcp port"),
                     (dict(source=path, user_metrics={"bad name": len}),
                      "bad name")):
        try:
            l7probe.Streamer(**kw)
            check(False, "no error for %s" % kw)
        except ValueError as e:
            check(what in str(e), "error does not name %s: %s" % (what, e))
    # A callback that raises: the iteration raises it.
    def boom(pi, flow, d):
        raise KeyError("boom")
    try:
        for _ in l7probe.Streamer(source=path, user_metrics={"b": boom}):
            pass
        check(False, "callback exception lost")
    except KeyError as e:
        check("boom" in str(e), "wrong exception %r" % e)
    # Nothing printed by the library.
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        sum(1 for _ in l7probe.Streamer(source=path))
    check(out.getvalue() == "" and err.getvalue() == "", "output printed")


def main():
    for p in sys.argv[1:]:
        run(p)
    errors(sys.argv[1])
    leaks(sys.argv[1])
    if fails:
        print("%d failure(s)" % len(fails))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
