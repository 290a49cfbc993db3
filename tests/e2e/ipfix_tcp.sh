#!/bin/sh
# ipfix_tcp.sh - IPFIX over TCP when the collector goes away and when it
# stalls. A pcap stream fed through a pipe (pcapfeed.py | l7probe -r -)
# makes records all along (--active-timeout 1); ipfix_collector.py logs
# every message it reads, flushed as it goes.
#
# 1. Killed and restarted: collector A runs, is killed with SIGKILL in a
#    pause of the feed (everything sent so far was read), the feed goes
#    on while nobody listens (the probe queues, reconnects with backoff),
#    collector B starts on the same port. Every flow record the probe
#    exported arrives (A and B together; a message resent after the
#    break counts once), the records equal the JSON output written at
#    the same time, nothing was dropped, the probe reconnected, the
#    templates came first on both connections, sequence numbers follow
#    each other on each connection (RFC 7011), and the exit status is 0.
# 2. Stalled: a collector that accepts and never reads, a small
#    --export-queue: the feed is not slowed down (the probe never
#    blocks), the probe ends soon after its input, and it reports the
#    records it could not deliver (exit status 1): dropped (the queue
#    was full) or unacknowledged (in the socket, never read), every
#    record in exactly one of sent, dropped, unacknowledged.
#
# Exit: 0 pass, 1 fail, 77 skip (python3 missing), 99 hard error. About
# 25 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON" timeout
skip_unless_ipfix
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/ipfix_collector.py" ] || e2edir=$srcdir/tests/e2e
cap=$srcdir/tests/data/instagram.pcap

# start_collector NAME ARGS...: runs the collector, waits until it listens.
start_collector() {
	_name=$1
	shift
	"$PYTHON" "$e2edir/ipfix_collector.py" "$@" >"$tmp/$_name.stdout" \
	    2>"$tmp/$_name.stderr" &
	eval "${_name}_pid=$!"
	at_exit "kill -9 $! 2>/dev/null"
	_n=0
	until grep -q listening "$tmp/$_name.stdout" 2>/dev/null; do
		_n=$((_n + 1))
		if [ $_n -gt 100 ]; then
			echo "ERROR: collector $_name did not start"
			cat "$tmp/$_name.stderr"
			exit 99
		fi
		sleep 0.05
	done
}

# --- 1. killed and restarted -------------------------------------------
port=$(free_port tcp)
start_collector A --tcp "$port" --out "$tmp/a.lines"
start=$(date +%s.%N)
( "$PYTHON" "$e2edir/pcapfeed.py" "$cap" --seconds 10 --pause-at 3 \
    --pause-for 2 2>"$tmp/feed1.err" |
    timeout 40 "$L7PROBE" -r - --active-timeout 1 --idle-timeout 1 \
    --template-refresh 2 -n "ipfix+tcp://127.0.0.1:$port" \
    -n "json:$tmp/flows1.json" 2>"$tmp/probe1.err"
  echo $? >"$tmp/probe1.rc" ) &
run=$!
at_exit "kill $run 2>/dev/null"
sleep 4
kill -9 "$A_pid"
echo "collector A killed at $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '~4') s"
sleep 2.5
start_collector B --tcp "$port" --out "$tmp/b.lines"
wait $run
sleep 0.5
kill "$B_pid"
wait "$B_pid" 2>/dev/null

# --- 2. stalled collector ------------------------------------------------
port=$(free_port tcp)
start_collector C --tcp "$port" --out "$tmp/c.lines" --no-read
t0=$(date +%s)
"$PYTHON" "$e2edir/pcapfeed.py" "$cap" --seconds 5 --pps 4000 \
    2>"$tmp/feed2.err" |
    timeout 40 "$L7PROBE" -r - --active-timeout 1 --idle-timeout 1 \
    --export-queue 200 -n "ipfix+tcp://127.0.0.1:$port" \
    -n "json:$tmp/flows2.json" 2>"$tmp/probe2.err"
echo $? >"$tmp/probe2.rc"
t1=$(date +%s)
echo $((t1 - t0)) >"$tmp/run2.secs"
kill "$C_pid"

"$PYTHON" - "$tmp" <<'PYEOF'
import json, re, sys

tmp = sys.argv[1]
failures = []

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)

def lines(path):
    try:
        return [json.loads(l) for l in open(path) if l.strip()]
    except FileNotFoundError:
        return []

def expected(path):
    n = 0
    for l in open(path):
        r = json.loads(l)
        n += (r["src_to_dst_pkts"] > 0) + (r["dst_to_src_pkts"] > 0)
    return n

def stats(err):
    m = re.search(r"ipfix records (\d+), messages sent (\d+), bytes (\d+), "
                  r"messages dropped (\d+), records dropped (\d+), "
                  r"reconnects (\d+), queued (\d+), "
                  r"records unacknowledged (\d+)", err)
    return [int(x) for x in m.groups()] if m else None


# 1.
a, b = lines(tmp + "/a.lines"), lines(tmp + "/b.lines")
err1 = open(tmp + "/probe1.err").read()
rc1 = int(open(tmp + "/probe1.rc").read())
print(open(tmp + "/feed1.err").read().strip())
st = stats(err1)
check(rc1 == 0, "killed/restarted: probe exit status 0 (%d)" % rc1)
check(st is not None, "probe statistics line")
seen, dups, flows = set(), 0, 0
for m in a + b:
    if m["digest"] in seen:
        dups += 1
        continue
    seen.add(m["digest"])
    flows += len(m["flows"])
want = expected(tmp + "/flows1.json")
check(len(a) > 0 and len(b) > 0, "both collectors got messages (%d, %d)"
      % (len(a), len(b)))
check(sum(len(m["flows"]) for m in a) > 0 and
      sum(len(m["flows"]) for m in b) > 0, "both got flow records")
check(flows == want, "flow records: %d arrived, %d in the JSON output"
      % (flows, want))
if st:
    check(st[0] == want, "probe exported %d flow records" % st[0])
    check(st[4] == 0, "no record dropped (%d)" % st[4])
    check(st[5] >= 1, "reconnected (%d)" % st[5])
print("note: %d message(s) sent again after the break, counted once" % dups)
check(all(not m["bad"] and m["undecoded_sets"] == 0 for m in a + b),
      "every message decodes: templates came first on each connection")
breaks = 0
for ms in (a, b):
    for prev, m in zip(ms, ms[1:]):
        if m["conn"] == prev["conn"] and \
                m["seq"] != (prev["seq"] + sum(prev["records"].values())) % 2**32:
            breaks += 1
check(breaks == 0, "sequence numbers follow each other on each connection, "
      "queued messages included (%d breaks)" % breaks)
for name, ms in (("A", a), ("B", b)):
    first = next((i for i, m in enumerate(ms) if m["flows"]), None)
    check(first is not None and any(m["records"].get("260", 0) > 0
                                    for m in ms[:first]),
          "collector %s: RFC 5610 records before the first flow" % name)

# 2.
err2 = open(tmp + "/probe2.err").read()
rc2 = int(open(tmp + "/probe2.rc").read())
feed = open(tmp + "/feed2.err").read()
m = re.search(r"fed (\d+) packets in ([\d.]+) s", feed)
secs = int(open(tmp + "/run2.secs").read())
st = stats(err2)
print(feed.strip())
check(m is not None and float(m.group(2)) < 6.5,
      "stalled collector: the feed was not slowed down (%s)"
      % (m and m.group(2)))
check(secs <= 5 + 6, "the probe ended %d s after a 5 s feed" % secs)
check(rc2 == 1, "exit status 1: records were dropped (%d)" % rc2)
if st:
    want = expected(tmp + "/flows2.json")
    check(st[0] == want, "%d flow records for %d in the JSON" % (st[0], want))
    check(st[4] + st[7] > 0 and st[4] + st[7] <= st[0],
          "%d records dropped, %d unacknowledged, counted" % (st[4], st[7]))
    check(st[6] == 0, "nothing left queued at exit (%d)" % st[6])
else:
    check(False, "probe statistics line (stalled)")
check("export queue full" in err2 or "not acknowledged" in err2,
      "the loss was reported")
if failures:
    print("--- probe (1) stderr ---\n" + err1)
    sys.exit(1)
PYEOF
# Not exec: the exit trap of lib.sh stops the helpers and removes $tmp.
exit $?
