#!/bin/sh
# kafka_json.sh - JSON records to Kafka (-n kafka://BROKERS/TOPIC), into a
# mock cluster of 3 brokers and a topic of 4 partitions on loopback
# (tests/kafka/l7mock, librdkafka's mock cluster: the real protocol over
# TCP), on the shipped capture and a few of the corpus (IPv6, VXLAN):
#   - every record arrives once: the messages are exactly the lines the
#     json: output wrote in the same run, none missing, none twice;
#   - the flows equal tshark's per direction (flowcmp.py);
#   - every message is keyed by its flow, one flow's records (several,
#     with --active-timeout 2) are in one partition and in order, more
#     than one partition is used; --probe-id is in every record;
#   - collector URIs that cannot work are refused with exit status 2.
#
# Exit: 0 pass, 1 fail, 77 skip (built without librdkafka, tshark
# missing), 99 hard error. About 20 s.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/kafka_lib.sh"

skip_unless_kafka
skip_unless_cmd tshark "$PYTHON"

fail=0

# Refused at start, exit 2, with the reason.
while read -r uri says; do
	"$L7PROBE" -q -r "$srcdir/tests/data/instagram.pcap" -n "$uri" \
	    >/dev/null 2>"$tmp/cli.err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q "$says" "$tmp/cli.err"; then
		echo "FAIL: '$uri': exit $rc, wanted 2 and '$says':"
		cat "$tmp/cli.err"
		fail=1
	else
		echo "ok: '$uri' refused: $(cat "$tmp/cli.err")"
	fi
done <<'EOF2'
kafka:// missing BROKER
kafka://127.0.0.1:1 no topic
kafka://127.0.0.1:1/ no topic
kafka://127.0.0.1:1/a%20b bad topic
kafka://127.0.0.1:1/t?format=xml unknown format 'xml'
kafka://127.0.0.1:1/t?no.such.setting=1 setting 'no.such.setting'
kafka://127.0.0.1:1/t?acks=sometimes setting 'acks'
kafka://127.0.0.1:1/t?linger.ms is not KEY=VALUE
kafka://127.0.0.1:1/t?bootstrap.servers=x:1 named before the topic
kafka://127.0.0.1:99999/t bad port
kafka://a,,b/t empty broker
EOF2

# Secrets in the settings stay out of the messages and counters.
"$L7PROBE" -r "$srcdir/tests/data/instagram.pcap" --kafka-flush-timeout 100 \
    -n "kafka://127.0.0.1:1/t?ssl.key.password=hunter2&linger.ms=1" \
    >/dev/null 2>"$tmp/secret.err"
if grep -q hunter2 "$tmp/secret.err" ||
    ! grep -q "ssl.key.password=\*\*\*&linger.ms=1" "$tmp/secret.err"; then
	echo "FAIL: the password shows, or the URI is not shown hidden:"
	cat "$tmp/secret.err"
	fail=1
else
	echo "ok: settings named *password* are shown as ***"
fi

caps=$srcdir/tests/data/instagram.pcap
for c in ndpi/1kxun.pcap tcpdump/vxlan.pcap ipfixprobe/vlan.pcap; do
	[ -f "$L7_PCAPS/$c" ] && caps="$caps $L7_PCAPS/$c"
done
i=0
for cap in $caps; do
	i=$((i + 1))
	mock_start m$i -n 3 -p 4
	timeout 120 "$L7PROBE" -r "$cap" --no-dpi --active-timeout 2 \
	    --probe-id "probe-$$" -n "kafka://$brokers/flows?linger.ms=2" \
	    -n "json:$tmp/m$i.json" 2>"$tmp/m$i.err"
	rc=$?
	mock_stop
	echo "== $cap"
	if [ $rc -ne 0 ]; then
		echo "FAIL: probe exit status $rc"
		cat "$tmp/m$i.err"
		fail=1
	fi
	"$PYTHON" "$here/kafka_check.py" json --out "$tmp/m$i.out" \
	    --json "$tmp/m$i.json" --err "$tmp/m$i.err" --pcap "$cap" \
	    --probe-id "probe-$$" \
	    --min-partitions "$([ "$(wc -l <"$tmp/m$i.json")" -ge 8 ] &&
	    echo 2 || echo 1)" || fail=1
done
exit $fail
