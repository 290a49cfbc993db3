#!/bin/sh
# kafka_ipfix.sh - IPFIX to Kafka (-n "kafka://BROKERS/TOPIC?format=ipfix")
# into a mock cluster of 3 brokers, 4 partitions (tests/kafka/l7mock), on
# the shipped capture and one of the corpus with IPv6, uniflow and
# --biflow:
#   - every Kafka message is keyed and is exactly one IPFIX message;
#   - the messages of each partition, concatenated, are read by
#     libfixbuf's ipfixDump from the partition's start, without a
#     complaint (each flow's messages carry the templates they need);
#   - the flow records of all partitions are those of the json: output
#     written in the same run, per direction; one flow, one partition;
#   - into a topic of one partition (the shipped capture, uniflow): the
#     partition is one IPFIX stream with gapless sequence numbers
#     (ipfixDump finds no message out of sequence), the documented way to
#     get them.
#
# Exit: 0 pass, 1 fail, 77 skip (built without librdkafka or libfixbuf,
# ipfixDump missing), 99 hard error. About 10 s.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/kafka_lib.sh"

skip_unless_kafka
skip_unless_cmd ipfixDump "$PYTHON"
skip_unless_ipfix

caps=$srcdir/tests/data/instagram.pcap
[ -f "$L7_PCAPS/ndpi/1kxun.pcap" ] && caps="$caps $L7_PCAPS/ndpi/1kxun.pcap"
fail=0
i=0
for cap in $caps; do
	for mode in uniflow biflow; do
		i=$((i + 1))
		extra=
		[ $mode = biflow ] && extra=--biflow
		mock_start m$i -n 3 -p 4
		# shellcheck disable=SC2086
		timeout 120 "$L7PROBE" -r "$cap" $extra --active-timeout 5 \
		    -n "kafka://$brokers/flows?format=ipfix&compression.codec=lz4" \
		    -n "json:$tmp/m$i.json" 2>"$tmp/m$i.err"
		rc=$?
		mock_stop
		echo "== $cap $mode"
		grep "collector kafka" "$tmp/m$i.err"
		if [ $rc -ne 0 ]; then
			echo "FAIL: probe exit status $rc"
			cat "$tmp/m$i.err"
			fail=1
		fi
		# shellcheck disable=SC2086
		"$PYTHON" "$here/kafka_check.py" ipfix --out "$tmp/m$i.out" \
		    --dir "$tmp/m$i.d" --json "$tmp/m$i.json" $extra || fail=1
	done
done

echo "== one partition"
mock_start one -n 3 -p 1
timeout 120 "$L7PROBE" -r "$srcdir/tests/data/instagram.pcap" \
    --active-timeout 5 -n "kafka://$brokers/flows?format=ipfix" \
    -n "json:$tmp/one.json" 2>"$tmp/one.err"
rc=$?
mock_stop
grep "collector kafka" "$tmp/one.err"
[ $rc -eq 0 ] || { echo "FAIL: probe exit status $rc"; cat "$tmp/one.err"; fail=1; }
"$PYTHON" "$here/kafka_check.py" ipfix --out "$tmp/one.out" \
    --dir "$tmp/one.d" --json "$tmp/one.json" --one-partition || fail=1
exit $fail
