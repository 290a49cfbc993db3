#!/bin/sh
# lib_c.sh - a C program built against libl7probe through pkg-config
# (tests/lib/flows.c, compiled here with the build tree's
# l7probe-uninstalled.pc) iterates real captures:
#   - its flows equal tshark's per flow and direction (flowcmp.py drives
#     it like the probe), with and without tunnels;
#   - its flows equal the l7probe program's JSON records, field by field
#     (classification and export reason included);
#   - two streamers in two threads at once give what each gives alone;
#   - two streamers at once with different plugins and C callbacks: each
#     record's plugin fields equal the l7probe program's with the same
#     plugins, C metrics equal their weight times the flow's bytes;
#   - options by the program's long names give the program's records, a
#     bad one an error naming it; run to the end exports like the program;
#   - with two flow workers, the records of one (as a set);
#   - a bad source, a bad filter, a missing interface: an error value with
#     a message naming it, the program goes on;
#   - closed after its first flow: the open flows still come, every
#     packet read is in a record or ignored;
#   - live on lo: next() times out while nothing comes; closed from a
#     signal handler, the open flow comes, then the end.
# Exit: 0 pass, 1 fail, 77 skip (no tshark or C compiler), 99 hard error.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

: "${CC:=cc}"
: "${L7_BUILDDIR:=$(pwd)}"
skip_unless_cmd tshark "$PYTHON" pkg-config "$CC"
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }

PKG_CONFIG_PATH=$L7_BUILDDIR; export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs l7probe) || { echo "ERROR: pkg-config"; exit 99; }
case $flags in
*"$L7_BUILDDIR"*) ;;
*) echo "ERROR: pkg-config found another l7probe: $flags"; exit 99 ;;
esac
# shellcheck disable=SC2086
$CC -Wall -Wextra -Werror -o "$tmp/flows" "$srcdir/tests/lib/flows.c" \
    $flags ${SAN_LDFLAGS:-} -lpthread ||
    { echo "ERROR: cannot build flows.c"; exit 99; }
LD_LIBRARY_PATH=$L7_BUILDDIR/.libs; export LD_LIBRARY_PATH
flows=$tmp/flows
# It runs on the shared object of the build tree.
ldd "$flows" | grep -q "$L7_BUILDDIR/.libs/libl7probe.so.0" ||
    bad "flows does not use the build tree's libl7probe.so.0"

data=$srcdir/tests/data
echo "$data/instagram.pcap" >"$tmp/files"
echo "$data/vxlan.pcap" >>"$tmp/files"
# A sample of the corpus: every 15th capture, in a stable order.
if [ -d "$L7_PCAPS/ndpi" ]; then
	find "$L7_PCAPS/ndpi" "$L7_PCAPS/tcpdump" -type f \
	    \( -name '*.pcap' -o -name '*.pcapng' \) 2>/dev/null | sort |
	    awk 'NR % 15 == 1' >>"$tmp/files"
fi
echo "flows vs tshark: $(wc -l <"$tmp/files") captures"
"$PYTHON" "$here/flowcmp.py" --both --jobs 2 --probe "$flows" \
    --files-from "$tmp/files" >"$tmp/cmp" 2>&1 || { cat "$tmp/cmp"; bad "flowcmp"; }
tail -1 "$tmp/cmp"

# Same records as the program's JSON output.
while read -r f; do
	# One worker, as the library runs: with several, a flow's end reason
	# may differ in captures whose clock jumps (doc/ARCHITECTURE.md, Threads).
	"$L7PROBE" -q --threads 1 -r "$f" -n json:- >"$tmp/probe.json" 2>/dev/null
	st=$?
	"$flows" -r "$f" >"$tmp/lib.json" 2>"$tmp/lib.err"
	lst=$?
	if [ $st -eq 2 ]; then
		[ $lst -eq 2 ] || bad "$f: l7probe refuses it, the library does not"
		continue
	fi
	[ $lst -eq 3 ] && bad "$f: fields by name differ: $(cat "$tmp/lib.err")"
	"$PYTHON" - "$tmp/probe.json" "$tmp/lib.json" "$f" <<'PYEOF' || fail=1
import json, sys
keys = ("ip_src", "src_port", "ip_dst", "dst_port", "ip_protocol",
        "ip_version", "vlan_id", "tunnel_id", "src_to_dst_pkts",
        "dst_to_src_pkts", "src_to_dst_bytes", "dst_to_src_bytes",
        "start_time", "end_time", "export_reason", "application_name",
        "category_name")
def load(p):
    return sorted(tuple(json.loads(l)[k] for k in keys)
                  for l in open(p) if l.strip())
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    print("FAIL: %s: library %d records, l7probe %d; first differences:"
          % (sys.argv[3], len(b), len(a)))
    print("  only l7probe:", [r for r in a if r not in b][:2])
    print("  only library:", [r for r in b if r not in a][:2])
    sys.exit(1)
PYEOF
done <"$tmp/files"
echo "flows vs l7probe JSON: done"

# Two flow workers behind the streamer: the records of one thread, as a
# set (captures whose clock does not jump; doc/ARCHITECTURE.md, Threads).
for f in instagram vxlan dns_fragmented mixed stun smb_frags 4in6tunnel; do
	f=$data/$f.pcap
	"$flows" --threads 1 -r "$f" >"$tmp/probe.json" 2>/dev/null
	"$flows" --threads 2 -r "$f" >"$tmp/lib.json" 2>"$tmp/lib.err" ||
	    bad "$f: --threads 2: exit $? $(cat "$tmp/lib.err")"
	grep -q "packets: read [1-9][0-9]*, in records" "$tmp/lib.err" ||
	    bad "$f: --threads 2: no counters"
	"$PYTHON" - "$tmp/probe.json" "$tmp/lib.json" "$f" <<'PYEOF' || fail=1
import json, sys
def load(p):
    return sorted(json.dumps(json.loads(l), sort_keys=True)
                  for l in open(p) if l.strip())
a, b = load(sys.argv[1]), load(sys.argv[2])
if not a or a != b:
    print("FAIL: %s: two workers %d records, one %d"
          % (sys.argv[3], len(b), len(a)))
    print("  only one:", [r for r in a if r not in b][:1])
    print("  only two:", [r for r in b if r not in a][:1])
    sys.exit(1)
PYEOF
done
echo "flows --threads 2 vs --threads 1: done"

# Two streamers at once.
"$flows" -r "$data/instagram.pcap" >"$tmp/a.json" 2>/dev/null
"$flows" -r "$data/vxlan.pcap" >"$tmp/b.json" 2>/dev/null
sums() {
	"$PYTHON" -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(len(r), sum(x["src_to_dst_pkts"]+x["dst_to_src_pkts"] for x in r),
      sum(x["src_to_dst_bytes"]+x["dst_to_src_bytes"] for x in r))' "$1"
}
set -- $(sums "$tmp/a.json") $(sums "$tmp/b.json")
want="$data/instagram.pcap flows $1 pkts $2 bytes $3
$data/vxlan.pcap flows $4 pkts $5 bytes $6"
got=$("$flows" --two "$data/instagram.pcap" "$data/vxlan.pcap") ||
    bad "two streamers: exit $?"
[ "$got" = "$want" ] || bad "two streamers: got
$got
want
$want"
[ "$1" -gt 30 ] && [ "$4" -ge 2 ] || bad "too few flows: $1, $4"

# Two streamers at once, each with its own plugins and C callback (the
# same field names, other arguments): their fields equal the program's
# with the same plugins, run alone.
inst=$data/instagram.pcap
"$flows" --two-plugins "$inst" "$tmp/p1.json" "$inst" "$tmp/p2.json" ||
    bad "two streamers with plugins: exit $?"
"$L7PROBE" -q --threads 1 -r "$inst" --plugin count_pkts_gt:100 \
    -n json:- >"$tmp/q1.json" 2>/dev/null || bad "l7probe with plugins (1)"
"$L7PROBE" -q --threads 1 -r "$inst" --plugin nth_pkt_size:2 \
    --plugin count_pkts_gt:500 -n json:- >"$tmp/q2.json" 2>/dev/null ||
    bad "l7probe with plugins (2)"
"$PYTHON" - "$tmp" <<'PYEOF' || bad "two streamers with plugins: records"
import json, sys
t = sys.argv[1]
def load(p, keys):
    return sorted(tuple(json.loads(l)[k] for k in keys)
                  for l in open(p) if l.strip())
base = ("ip_src", "src_port", "ip_dst", "dst_port", "ip_protocol",
        "start_time", "count_pkts_gt")
ok = True
for lib, prog, keys in (("p1", "q1", base),
                        ("p2", "q2", base + ("nth_pkt_size",))):
    a, b = load("%s/%s.json" % (t, lib), keys), load("%s/%s.json" % (t, prog), keys)
    if a != b or len(a) < 30:
        print("FAIL: %s: library %d records, l7probe %d; only library: %s, "
              "only l7probe: %s" % (lib, len(a), len(b),
              [r for r in a if r not in b][:2], [r for r in b if r not in a][:2]))
        ok = False
# The fields are each streamer's own: the thresholds differ, so must
# some counts, and the second streamer's nth_pkt_size is not all zero.
c1 = [r[6] for r in load(t + "/p1.json", base)]
c2 = [r[6] for r in load(t + "/p2.json", base)]
n2 = [r[7] for r in load(t + "/p2.json", base + ("nth_pkt_size",))]
if c1 == c2 or sum(c1) <= sum(c2) or not any(n2):
    print("FAIL: plugin values do not depend on their streamer: %d %d %d"
          % (sum(c1), sum(c2), sum(n2)))
    ok = False
sys.exit(0 if ok else 1)
PYEOF

# Options by the program's long names: the records are the program's
# with the same options; a refused one says why; run to the end exports
# as the program does.
inst=$data/instagram.pcap
"$flows" --set no-dpi --set idle-timeout=5 --set active-timeout=10 \
    -r "$inst" >"$tmp/o1.json" 2>/dev/null || bad "options by name: exit $?"
"$L7PROBE" -q --threads 1 --no-dpi --idle-timeout 5 --active-timeout 10 \
    -r "$inst" -n json:- >"$tmp/o2.json" 2>/dev/null || bad "l7probe options"
"$PYTHON" - "$tmp/o1.json" "$tmp/o2.json" <<'PYEOF' || bad "options by name: records"
import json, sys
keys = ("ip_src", "src_port", "ip_dst", "dst_port", "start_time",
        "src_to_dst_pkts", "dst_to_src_pkts", "export_reason",
        "application_name")
a, b = ([tuple(json.loads(l)[k] for k in keys) for l in open(p)]
        for p in sys.argv[1:3])
# A 10 s active timeout and a 5 s idle one cut flows the defaults keep.
if sorted(a) != sorted(b) or not any(r[7] in (0, 1) for r in a) or \
        any(r[8] != "Unknown" for r in a):
    print("FAIL: by name %d records, l7probe %d" % (len(a), len(b)))
    sys.exit(1)
PYEOF
out=$("$flows" --set idle-timeout=x -r "$inst" 2>&1) && bad "bad value accepted"
case $out in *"--idle-timeout 'x': not a whole number"*) ;; *) bad "bad value: $out" ;; esac
out=$("$flows" --set no-such-option -r "$inst" 2>&1) && bad "unknown option accepted"
case $out in *"unknown option 'no-such-option'"*) ;; *) bad "unknown option: $out" ;; esac
"$flows" --run --set "collector=json:$tmp/run.json" --set plugin=count_pkts_gt:100 \
    -r "$inst" 2>"$tmp/run.err" >"$tmp/run.out" || bad "run: exit $?"
[ -s "$tmp/run.out" ] && bad "run: printed records on stdout"
grep -q "collector json:$tmp/run.json: records given" "$tmp/run.err" ||
    bad "run: no counters: $(cat "$tmp/run.err")"
"$L7PROBE" -q --threads 1 --plugin count_pkts_gt:100 -r "$inst" \
    -n json:"$tmp/run2.json" 2>/dev/null
"$PYTHON" - "$tmp/run.json" "$tmp/run2.json" <<'PYEOF' || bad "run: records differ"
import json, sys
keys = ("ip_src", "src_port", "ip_dst", "dst_port", "start_time",
        "src_to_dst_bytes", "dst_to_src_bytes", "count_pkts_gt")
a, b = (sorted(tuple(json.loads(l)[k] for k in keys) for l in open(p))
        for p in sys.argv[1:3])
sys.exit(0 if a == b and len(a) > 30 else 1)
PYEOF

# Errors are values.
check_err() {
	out=$("$flows" --bad "$@") || bad "open of $* did not fail: $out"
	echo "$out"
}
out=$(check_err "$tmp/none.pcap")
case $out in *"none.pcap"*"No such file"*) ;; *) bad "missing file: $out" ;; esac
out=$(check_err "$data/instagram.pcap" "tcp port")
case $out in *"filter 'tcp port'"*) ;; *) bad "bad filter: $out" ;; esac
out=$(check_err "nosuchif$$")
case $out in *"nosuchif$$"*) ;; *) bad "missing interface: $out" ;; esac
out=$(check_err "")
case $out in *"no source"*) ;; *) bad "empty source: $out" ;; esac

# Closed early: drained, nothing lost.
out=$("$flows" --close "$data/instagram.pcap") || bad "close: $out"
echo "$out"
case $out in "closed: flows 1 "*) bad "close: nothing drained: $out" ;; esac

# Live on loopback: a timeout while nothing comes, a close from a signal
# handler, the open flow drained.
if [ "$(id -u)" = 0 ]; then
	port=$(free_port udp)
	out=$("$flows" --live lo "$port" 2>"$tmp/live.err") ||
	    bad "live: $out $(cat "$tmp/live.err")"
	echo "$out"
	[ "$out" = "live: timeout, flow 3 packets, end" ] || bad "live: $out"
else
	echo "live part not run: needs root to capture on lo"
fi

[ $fail -eq 0 ] && echo "PASS"
exit $fail
