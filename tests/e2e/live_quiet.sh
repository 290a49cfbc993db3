#!/bin/bash
# live_quiet.sh - records on time on a quiet link, and signals.
#
# Two namespaces joined by a veth; in A the probe captures its veth end
# with "-f icmp" (so nothing else ever wakes the capture) and exports to
# four collectors on A's loopback at once: a JSON file, IPFIX over UDP and
# over TCP (ipfix_collector.py), NetFlow v9 (live_check.py watch). B pings
# A three times, then the link stays silent. Each collector must get the
# ICMP record within idle timeout + 1.5 s of the flow's last packet (on
# Linux a libpcap read may block until the next packet: before the probe
# waited on its descriptors with a real timeout, the record came only at
# SIGTERM).
# Then signals: SIGUSR1 logs a statistics line now, SIGHUP (the JSON file
# moved away first: a new file of the same name is made), SIGUSR2 do not
# kill the probe; a second ping still makes a record, in the new file;
# SIGQUIT stops it like SIGTERM: exit 0, counters printed, the second flow
# exported.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 no l7probe binary. Under 40 s.

NAME=live_quiet WATCHDOG_S=40
. "$(dirname "$0")/live_lib.sh"
collector_py=$srcdir/tests/e2e/ipfix_collector.py
[ -f "$collector_py" ] || collector_py=$here/ipfix_collector.py
if "$L7PROBE" -q -r "$srcdir/tests/data/instagram.pcap" \
    -n "ipfix-file:$T/check.ipfix" 2>&1 | grep -q "without libfixbuf"; then
	skip "l7probe was built without libfixbuf"
fi

IDLE=2
ns_new NSA a
ns_new NSB b
veth_new "$NSA" l7q0 "$NSB" l7q1 10.79.0.1 fd00:79::1 10.79.0.2 fd00:79::2

# Collectors in A (its loopback), on fixed ports: the namespace is ours.
PU=4739 PT=4740 P9=2055
bg "$NSA" "$PYTHON" "$collector_py" --udp $PU --out "$T/ipfix-udp.lines" \
	>"$T/cu.out" 2>"$T/cu.err"
bg "$NSA" "$PYTHON" "$collector_py" --tcp $PT --out "$T/ipfix-tcp.lines" \
	>"$T/ct.out" 2>"$T/ct.err"
bg "$NSA" "$PYTHON" "$check_py" watch --v9-port $P9 --json "$T/probe.json" \
	--ipfix-udp "$T/ipfix-udp.lines" --ipfix-tcp "$T/ipfix-tcp.lines" \
	--timeout 20 >"$T/watch.out" 2>"$T/watch.err"
watch_pid=$last_pid
for f in cu ct; do
	for _ in $(seq 100); do
		grep -q listening "$T/$f.out" && break
		sleep 0.05
	done
	grep -q listening "$T/$f.out" || fail "collector $f did not start"
done
for _ in $(seq 100); do
	grep -q listening "$T/watch.out" && break
	sleep 0.05
done

base=$(packet_sockets "$NSA")
bg "$NSA" "$L7PROBE" -i l7q0 -f icmp --idle-timeout $IDLE \
	-n "json:$T/probe.json" -n "ipfix://127.0.0.1:$PU" \
	-n "ipfix+tcp://127.0.0.1:$PT" -n "nfv9://127.0.0.1:$P9" \
	>"$T/probe.out" 2>"$T/probe.err"
probe_pid=$last_pid
wait_capture "$NSA" "$probe_pid" "$base" "$T/probe.err"
sleep 0.5

ip netns exec "$NSB" ping -n -q -c 3 -i 0.2 -W 2 10.79.0.1 >/dev/null ||
	fail "ping"
# Nothing more on the link. The watcher ends once all four arrived.
for _ in $(seq 200); do
	kill -0 "$watch_pid" 2>/dev/null || break
	sleep 0.05
done
wait "$watch_pid" 2>/dev/null
kill -0 "$probe_pid" 2>/dev/null || fail "the probe died: $(cat "$T/probe.err")"
say "arrivals: $(cat "$T/watch.out" | tail -1)"
rc=0
"$PYTHON" - "$T/watch.out" "$IDLE" <<'PYEOF' || rc=1
import json, sys
seen = json.loads(open(sys.argv[1]).read().splitlines()[-1])
idle = float(sys.argv[2])
last = seen.get("end_time_ms", 0) / 1000.0
bad = 0
for c in ("json", "ipfix-udp", "ipfix-tcp", "nfv9"):
    if c not in seen or not last:
        print("  [FAIL] %s: no ICMP record while the link is quiet" % c)
        bad = 1
        continue
    d = seen[c] - last
    ok = d <= idle + 1.5
    bad |= not ok
    print("  [%s] %s: record %.2f s after the flow's last packet "
          "(limit %.1f)" % ("ok" if ok else "FAIL", c, d, idle + 1.5))
sys.exit(bad)
PYEOF

# --- signals ---------------------------------------------------------------
kill -USR1 "$probe_pid"
sleep 0.5
grep -q "stats: packets 6 " "$T/probe.err" ||
	{ echo "  [FAIL] SIGUSR1: no statistics line"; rc=1; }
# Log rotation: the file moved away, SIGHUP, the next record goes into a
# new file of the same name; nothing is lost.
mv "$T/probe.json" "$T/probe.json.1"
kill -HUP "$probe_pid"
sleep 0.3
kill -USR2 "$probe_pid"
sleep 0.3
if kill -0 "$probe_pid" 2>/dev/null; then
	echo "  [ok] alive after SIGUSR1, SIGHUP, SIGUSR2"
else
	echo "  [FAIL] a signal killed the probe"
	rc=1
fi
ip netns exec "$NSB" ping -n -q -c 2 -i 0.2 -W 2 10.79.0.1 >/dev/null ||
	fail "second ping"
sleep 0.3
kill -QUIT "$probe_pid"
st=
for _ in $(seq 100); do
	if ! kill -0 "$probe_pid" 2>/dev/null; then
		wait "$probe_pid"
		st=$?
		break
	fi
	sleep 0.05
done
echo "--- l7probe stderr"
cat "$T/probe.err"
echo "---"
# The v9 watcher ended once the first records arrived: the second
# ping's NetFlow v9 record was refused (ICMP port unreachable), a loss
# the probe knows: exit status 1, the collector named; the other
# collectors got everything.
[ "$st" = 1 ] || { echo "  [FAIL] exit status after SIGQUIT: '$st', expected 1 (the nfv9 record refused)"; rc=1; }
grep -q "collector 'nfv9://127.0.0.1:$P9': [1-9][0-9]* records lost over UDP" \
	"$T/probe.err" || { echo "  [FAIL] no loss message for nfv9"; rc=1; }
if grep "records lost" "$T/probe.err" | grep -v -q "nfv9://"; then
	echo "  [FAIL] a collector that got everything is said to lose records"
	rc=1
fi
grep -q "packets: read 10, in records 10, ignored 0" "$T/probe.err" ||
	{ echo "  [FAIL] counters at exit"; rc=1; }
n1=$(grep -c '"ip_protocol":1,' "$T/probe.json.1")
n2=$(grep -c '"ip_protocol":1,' "$T/probe.json")
if [ "$n1" = 1 ] && [ "$n2" = 1 ]; then
	echo "  [ok] SIGHUP: one ICMP record in the moved file, one in the new"
else
	echo "  [FAIL] SIGHUP rotation: $n1 ICMP records in the moved file, $n2 in the new, expected 1 and 1"
	rc=1
fi
[ "$rc" = 0 ] && say "PASS" || say "FAIL"
exit "$rc"
