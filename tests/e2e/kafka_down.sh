#!/bin/sh
# kafka_down.sh - Kafka brokers that are away do not stop the probe, and
# what they miss is counted, never silently lost (mock cluster of 3
# brokers on loopback, tests/kafka/l7mock):
#   1. brokers down at start (connections refused), back 2 s later while
#      the probe waits at exit (--kafka-flush-timeout): every record is
#      delivered once, exit status 0;
#   2. brokers gone in the middle of a live-like export (pcapfeed.py feeds
#      packets with the clock's time) with a queue of 30 messages
#      (--export-queue): the capture goes on, the records queued while
#      they were away are delivered when they return, the others are
#      counted ("records not delivered"), and every record of the json:
#      output written at the same time is either consumed or counted;
#      exit status 1;
#   3. brokers that never return: the probe waits --kafka-flush-timeout
#      at exit, no longer, and counts every record as not delivered.
#
# Exit: 0 pass, 1 fail, 77 skip (built without librdkafka), 99 hard
# error. About 25 s.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/kafka_lib.sh"

skip_unless_kafka
skip_unless_cmd "$PYTHON"

cap=$srcdir/tests/data/instagram.pcap
fail=0

echo "== 1. brokers down at start, back 2 s later"
mock_start a --down
"$L7PROBE" -r "$cap" --kafka-flush-timeout 30000 -n "kafka://$brokers/flows" \
    -n "json:$tmp/a.json" 2>"$tmp/a.err" &
probe=$!
sleep 2
if ! kill -0 $probe 2>/dev/null; then
	echo "FAIL: the probe did not wait for the brokers"
	fail=1
fi
mock_up
wait $probe
rc=$?
mock_stop
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc"; fail=1; }
grep -q "no broker reachable" "$tmp/a.err" || {
	echo "FAIL: no warning about the brokers"; fail=1; }
"$PYTHON" "$here/kafka_check.py" json --out "$tmp/a.out" \
    --json "$tmp/a.json" --err "$tmp/a.err" || fail=1
cat "$tmp/a.err"

echo "== 2. brokers gone in the middle, queue of 30 messages"
mock_start b
"$PYTHON" "$here/pcapfeed.py" "$cap" --seconds 7 --pps 1000 2>"$tmp/feed.err" |
    "$L7PROBE" -r - --idle-timeout 1 --active-timeout 1 --export-queue 30 \
    --kafka-flush-timeout 20000 -n "kafka://$brokers/flows" \
    -n "json:$tmp/b.json" 2>"$tmp/b.err" &
probe=$!
sleep 2
before=$(wc -l <"$tmp/b.out")
mock_down
sleep 6
[ -s "$tmp/feed.err" ] || echo "(feed still running)"
mock_up
wait $probe
rc=$?
sleep 1
mock_stop
after=$(wc -l <"$tmp/b.out")
cat "$tmp/b.err"
echo "consumed before the brokers went away: $before, in all: $after"
[ "$before" -gt 0 ] || { echo "FAIL: nothing delivered before"; fail=1; }
[ $rc -eq 1 ] || { echo "FAIL: exit status $rc, wanted 1 (records lost)"; fail=1; }
grep -q "records were dropped.* by 1 collector" "$tmp/b.err" || {
	echo "FAIL: the exit message does not say records were dropped"; fail=1; }
grep -q "queue full" "$tmp/b.err" || {
	echo "FAIL: no warning about the full queue"; fail=1; }
"$PYTHON" - "$tmp/b.err" "$tmp/b.json" "$before" "$after" <<'PYEOF' || fail=1
import re, sys
err = open(sys.argv[1]).read()
lines = sum(1 for _ in open(sys.argv[2]))
before, after = int(sys.argv[3]), int(sys.argv[4])
m = re.search(r"records delivered (\d+), bytes \d+, records not delivered "
              r"(\d+), waiting (\d+)", err)
ok = m is not None
if ok:
    d, nd, w = map(int, m.groups())
    print("probe: delivered %d, not delivered %d, waiting %d; json %d" %
          (d, nd, w, lines))
    ok = (d + nd == lines and w == 0 and d == after and nd > 0 and
          0 < after - before)
print(("ok" if ok else "FAIL") + ": delivered + not delivered = records, "
      "the queued ones delivered after the brokers returned")
sys.exit(0 if ok else 1)
PYEOF
"$PYTHON" "$here/kafka_check.py" json --out "$tmp/b.out" \
    --json "$tmp/b.json" --err "$tmp/b.err" --lossy || fail=1

echo "== 3. brokers that never return"
mock_start c --down
start=$(date +%s)
"$L7PROBE" -r "$cap" --kafka-flush-timeout 1500 -n "kafka://$brokers/flows" \
    -n "json:$tmp/c.json" 2>"$tmp/c.err"
rc=$?
took=$(($(date +%s) - start))
mock_stop
cat "$tmp/c.err"
n=$(wc -l <"$tmp/c.json")
[ $rc -eq 1 ] || { echo "FAIL: exit status $rc, wanted 1"; fail=1; }
[ "$took" -le 6 ] || { echo "FAIL: took $took s with a 1.5 s flush timeout"; fail=1; }
grep -q "records delivered 0, bytes 0, records not delivered $n, waiting 0" \
    "$tmp/c.err" || { echo "FAIL: not every record ($n) counted as not delivered"; fail=1; }
[ ! -s "$tmp/c.out" ] || { echo "FAIL: messages got through"; fail=1; }
exit $fail
