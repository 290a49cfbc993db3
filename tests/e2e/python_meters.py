#!/usr/bin/python3
"""python_meters.py - the l7probe Python module with flow workers
(n_meters / threads) on real captures.

    python_meters.py CAPTURE...

For each capture (tunnels off, timeouts long):
  - without callbacks: the records with n_meters=2 equal those with
    n_meters=1, as sets (every field the record has);
  - user_metrics on n_meters=2: the callback runs on threads other than
    the iterating one (the workers), and count_pkts_gt_666 (IP length
    > 999) summed per flow key equals scapy's count; the records equal
    those of n_meters=1 with the same metric;
  - threads=2 is the same as n_meters=2; n_meters=0 (one worker a core)
    gives the same records;
  - a classifier forcing the export at the third packet on n_meters=2:
    no record over 3 packets, no packet lost, hooks paired, on_exit once;
  - a callback that raises on a worker: the iteration raises it;
  - left early (30 times) with callbacks on workers: no deadlock, no Flow
    kept alive.
And: n_meters / threads negative, over 64, not an int, or both given
and different: ValueError / TypeError naming the parameter.
Exit 0 pass, 1 fail.
"""
import collections
import gc
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l7probe  # noqa: E402
from python_streamer import (check, fails, scapy_view, key_of,  # noqa: E402
                             count_pkts_gt_666, ThreePackets, LONG)


def record(f):
    return (f.ip_version, f.ip_src, f.src_port, f.ip_dst, f.dst_port,
            f.ip_protocol, f.vlan_id, f.tunnel_id, f.start_time, f.end_time,
            f.src_to_dst_pkts, f.src_to_dst_bytes, f.dst_to_src_pkts,
            f.dst_to_src_bytes, f.src_to_dst_tcp_flags,
            f.dst_to_src_tcp_flags, f.application_name, f.category_name,
            f.export_reason, tuple(sorted(f.metrics.items())))


def records(**kw):
    return collections.Counter(record(f) for f in l7probe.Streamer(**kw))


def run(path):
    want, total = scapy_view(path)
    check(total > 0, "%s: no IP packets" % path)
    opts = dict(source=path, decode_tunnels=False, active_timeout=LONG,
                inactive_timeout=LONG)

    one = records(**opts)
    two = records(n_meters=2, **opts)
    check(len(one) > 0, "%s: no records" % path)
    check(one == two, "%s: n_meters=2 records differ from n_meters=1: "
          "%d only in 1, %d only in 2" % (path, len(one - two),
                                          len(two - one)))
    check(records(threads=2, **opts) == two,
          "%s: threads=2 differs from n_meters=2" % path)
    check(records(n_meters=0, **opts) == one,
          "%s: n_meters=0 differs from n_meters=1" % path)

    main = threading.get_ident()
    where = set()

    def gt(pi, flow, d):
        where.add(threading.get_ident())
        return count_pkts_gt_666(pi, flow, d)

    metric = {"count_pkts_gt_666": gt}
    got = collections.Counter()
    pkts = 0
    m2 = collections.Counter()
    for f in l7probe.Streamer(user_metrics=metric, n_meters=2, **opts):
        k, _ = key_of(f)
        got[k] += f.metrics["count_pkts_gt_666"]
        pkts += f.total_pkts
        m2[record(f)] += 1
    check(main not in where and len(where) >= 1,
          "%s: callbacks ran on %d thread(s), the iterating one %s" %
          (path, len(where), "among them" if main in where else "not"))
    check(pkts == total, "%s: %d packets in records, scapy %d" %
          (path, pkts, total))
    bad = [k for k in want if got[k] != want[k]["gt"]]
    check(not bad, "%s: count_pkts_gt_666 differs from scapy for %d of %d "
          "keys (e.g. %s: %s vs %s)" % (path, len(bad), len(want),
                                       bad[:1], [got[k] for k in bad[:1]],
                                       [want[k]["gt"] for k in bad[:1]]))
    check(sum(got.values()) > 0 or sum(w["gt"] for w in want.values()) == 0,
          "%s: the metric counted nothing" % path)
    m1 = records(user_metrics={"count_pkts_gt_666": count_pkts_gt_666},
                 **opts)
    check(m1 == m2, "%s: records with the metric differ between "
          "n_meters=1 and 2" % path)

    c = ThreePackets("three")
    n = 0
    for f in l7probe.Streamer(user_classifiers=[c], n_meters=2, **opts):
        check(f.total_pkts <= 3, "%s: a record of %d packets" %
              (path, f.total_pkts))
        n += f.total_pkts
    check(n == total, "%s: classifier on workers: %d packets, scapy %d" %
          (path, n, total))
    check(c.inits == c.terms and c.inits > 0 and c.exits == 1,
          "%s: hooks inits %d terms %d exits %d" %
          (path, c.inits, c.terms, c.exits))

    def boom(pi, flow, d):
        raise KeyError("boom")
    try:
        for _ in l7probe.Streamer(source=path, user_metrics={"b": boom},
                                  n_meters=2):
            pass
        check(False, "%s: exception of a worker's callback lost" % path)
    except KeyError as e:
        check("boom" in str(e), "wrong exception %r" % e)

    for i in range(30):
        it = iter(l7probe.Streamer(user_metrics=metric, n_meters=2,
                                   source=path, active_timeout=1))
        for _, _ in zip(range(i), it):
            pass
        del it
    gc.collect()
    alive = sum(1 for o in gc.get_objects() if isinstance(o, l7probe.Flow))
    check(alive == 0, "%s: %d Flow objects alive after the streamers" %
          (path, alive))


def errors(path):
    for name in ("n_meters", "threads"):
        for v, exc in ((-1, ValueError), (65, ValueError),
                       (10 ** 30, ValueError), ("2", TypeError),
                       (2.0, TypeError), (True, TypeError)):
            try:
                l7probe.Streamer(source=path, **{name: v})
                check(False, "%s=%r accepted" % (name, v))
            except exc as e:
                check(name in str(e), "%s=%r: message %r does not name it"
                      % (name, v, str(e)))
            except Exception as e:  # noqa: BLE001
                check(False, "%s=%r: %r, not %s" % (name, v, e,
                                                    exc.__name__))
    try:
        l7probe.Streamer(source=path, n_meters=2, threads=3)
        check(False, "n_meters=2 with threads=3 accepted")
    except ValueError as e:
        check("n_meters" in str(e) and "threads" in str(e),
              "conflict message %r" % str(e))
    sum(1 for _ in l7probe.Streamer(source=path, n_meters=64, threads=64))


def main():
    for p in sys.argv[1:]:
        run(p)
    errors(sys.argv[1])
    if fails:
        print("%d failure(s)" % len(fails))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
