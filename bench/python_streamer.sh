#!/bin/sh
# bench/python_streamer.sh - what Python callbacks cost: packets per second
# through the library from C, from Python without callbacks, with one
# user metric, with a classifier, and the l7probe program for reference.
#
# Not a test: it prints figures (doc/BENCHMARKS.md), it fails only when
# something cannot run.
#
#   bench/python_streamer.sh [-n RUNS] [CAPTURE...]
#
# Default capture: the nDPI corpus on one clock
# (bench/make-bench-pcap.py -k 5: five times, new addresses each time;
# kept in /tmp/bench-lib). Each figure is
# the best of RUNS (default 3) passes over all the captures.
# Run from a built tree (./configure && make).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=3
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
if [ $# -eq 0 ]; then
	/usr/bin/python3 "$here/make-bench-pcap.py" -q -o /tmp/bench-lib -k 5 \
	    --no-dns
	set -- /tmp/bench-lib/corpus.pcap
fi
tmp=$(mktemp -d /tmp/l7bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
PKG_CONFIG_PATH=$top cc -O2 -o "$tmp/flows" "$top/tests/lib/flows.c" \
    $(PKG_CONFIG_PATH=$top pkg-config --cflags --libs l7probe) -lpthread
LD_LIBRARY_PATH=$top/.libs PYTHONPATH=$top/.libs \
    /usr/bin/python3 - "$runs" "$top/l7probe" "$tmp/flows" "$@" <<'PYEOF'
import os, subprocess, sys, time
import l7probe

runs, probe, flows, files = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]

def best(fn):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        n = fn()
        t.append(time.perf_counter() - t0)
    return n, min(t)

def cmd(argv):
    def run():
        for f in files:
            subprocess.run(argv + [f], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        return None
    return run

def py(**kw):
    def run():
        n = 0
        for f in files:
            for flow in l7probe.Streamer(source=f, **kw):
                n += flow.total_pkts
        return n
    return run

def count_pkts_gt_666(packet_information, flow, direction):
    if packet_information.length > 999:
        return flow.metrics["count_pkts_gt_666"] + 1
    return flow.metrics["count_pkts_gt_666"]

class Three(l7probe.Classifier):
    def on_flow_init(self, flow):
        flow.classifiers[self.name]["n"] = 0
    def on_flow_update(self, packet_information, flow, direction):
        flow.classifiers[self.name]["n"] += 1

pkts, _ = best(py(enable_ndpi=False))
print("captures: %d files, %d packets in flows; best of %d" % (
    len(files), pkts, runs))
rows = [
    ("l7probe program, JSON to /dev/null", cmd([probe, "-q", "-n", "json:/dev/null", "-r"])),
    ("C program on libl7probe", cmd([flows, "-r"])),
    ("Python, no callbacks", py()),
    ("Python, one user metric", py(user_metrics={"count_pkts_gt_666": count_pkts_gt_666})),
    ("Python, one classifier", py(user_classifiers=[Three("three")])),
]
for name, fn in rows:
    _, t = best(fn)
    print("%-40s %8.3f s  %10.0f packets/s" % (name, t, pkts / t))
PYEOF
