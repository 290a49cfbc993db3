#!/bin/sh
# kafka_refused.sh - a Kafka cluster that refuses the idempotent producer
# (InitProducerId answered CLUSTER_AUTHORIZATION_FAILED, as a cluster with
# ACLs does for a client without IdempotentWrite; mock cluster of 3
# brokers, tests/kafka/l7mock -e):
#   1. the probe says so in one error naming the collector, the broker's
#      answer and what to do (grant IdempotentWrite, or
#      enable.idempotence=false); no record is counted as delivered, the
#      exit status is 1;
#   2. with enable.idempotence=false in the URI, as the message says, the
#      same cluster takes every record, exit status 0.
#
# Exit: 0 pass, 1 fail, 77 skip (built without librdkafka), 99 hard
# error. About 3 s.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/kafka_lib.sh"

skip_unless_kafka
skip_unless_cmd "$PYTHON"

cap=$srcdir/tests/data/instagram.pcap
fail=0
# Kafka API 22 InitProducerId, error 31 CLUSTER_AUTHORIZATION_FAILED,
# for every request of the test.
mock_start m -e 22:31:10000

echo "== 1. idempotence refused"
"$L7PROBE" -r "$cap" --kafka-flush-timeout 2000 -n "kafka://$brokers/flows" \
    -n "json:$tmp/a.json" 2>"$tmp/a.err"
rc=$?
cat "$tmp/a.err"
[ $rc -eq 1 ] || { echo "FAIL: exit status $rc, wanted 1"; fail=1; }
grep -q "error: collector 'kafka://$brokers/flows': the Kafka producer cannot go on: .*Cluster authorization failed (.*IdempotentWrite.*enable.idempotence=false" \
    "$tmp/a.err" || { echo "FAIL: no error naming the refusal and the remedy"; fail=1; }
grep -q "collector kafka://$brokers/flows: records delivered 0," "$tmp/a.err" || {
	echo "FAIL: records counted as delivered"; fail=1; }
[ "$(wc -l <"$tmp/a.json")" -gt 0 ] || { echo "ERROR: no records"; exit 99; }

echo "== 2. enable.idempotence=false"
"$L7PROBE" -r "$cap" --kafka-flush-timeout 5000 \
    -n "kafka://$brokers/flows?enable.idempotence=false" \
    -n "json:$tmp/b.json" 2>"$tmp/b.err"
rc=$?
grep collector "$tmp/b.err"
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc"; cat "$tmp/b.err"; fail=1; }
n=$(wc -l <"$tmp/b.json")
grep -q "records delivered $n, bytes [0-9]*, records not delivered 0, waiting 0" \
    "$tmp/b.err" || { echo "FAIL: not every record ($n) delivered"; fail=1; }
mock_stop
# What the cluster holds: the second run's records only.
"$PYTHON" "$here/kafka_check.py" json --out "$tmp/m.out" \
    --json "$tmp/b.json" --err "$tmp/b.err" || fail=1
exit $fail
