#!/bin/sh
# kafka_clickhouse.sh - the ClickHouse pipeline of doc/collectors/kafka.md
# works as written: a ClickHouse server of this test's own (temporary
# directory, free loopback ports) with the page's <kafka> settings runs
# the page's CREATE statements (Kafka-engine table, MergeTree table,
# materialized view; only the broker list replaced) against a mock Kafka
# cluster of 3 brokers, 4 partitions (tests/kafka/l7mock). Two probes
# (two captures, two --probe-id, one with plugin fields that have no
# column) export JSON into the topic; once the
# materialized view has filled `flows`:
#   - its rows are the records of the probes' own json: output of the
#     same runs, one for one, every column compared (addresses through
#     IPv6NumToString, start = start_time in seconds);
#   - the page's query runs.
# The blocks are taken from the page by their markers
# (<!-- kafka_clickhouse.sh: NAME -->), so page and test cannot drift.
#
# Exit: 0 pass, 1 fail, 77 skip (built without librdkafka, no
# clickhouse-server or clickhouse-client), 99 hard error. About 15 s.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/kafka_lib.sh"

skip_unless_kafka
skip_unless_cmd clickhouse-server clickhouse-client "$PYTHON"

doc=$srcdir/doc/collectors/kafka.md
fail=0

# block NAME: the fenced block after the line <!-- kafka_clickhouse.sh: NAME -->
block() {
	awk -v m="<!-- kafka_clickhouse.sh: $1 -->" '
	    $0 == m { f = 1; next }
	    f == 1 && /^```/ { f = 2; next }
	    f == 2 && /^```/ { exit }
	    f == 2 { print }' "$doc"
}
for b in server schema query; do
	block $b >"$tmp/$b.txt"
	[ -s "$tmp/$b.txt" ] || { echo "ERROR: no '$b' block in $doc"; exit 99; }
done

mock_start m -n 3 -p 4 -t flows

# The server: its own directory, ports, users; the page's settings as a
# file of config.d/, and one of the test's (a short session timeout, so
# the mock's group coordinator, which waits for it, balances quickly).
ch=$tmp/ch
mkdir -p "$ch/config.d" "$ch/data/tmp" "$ch/data/user_files"
cp "$tmp/server.txt" "$ch/config.d/kafka.xml"
cat >"$ch/config.d/test.xml" <<EOF
<yandex>
    <kafka>
        <session_timeout_ms>6000</session_timeout_ms>
        <heartbeat_interval_ms>1000</heartbeat_interval_ms>
    </kafka>
</yandex>
EOF
tcp_port=$(free_port tcp)
http_port=$(free_port tcp)
cat >"$ch/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>trace</level>
        <log>$ch/server.log</log>
        <errorlog>$ch/server.err.log</errorlog>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp_port</tcp_port>
    <http_port>$http_port</http_port>
    <path>$ch/data/</path>
    <tmp_path>$ch/data/tmp/</tmp_path>
    <user_files_path>$ch/data/user_files/</user_files_path>
    <format_schema_path>$ch/data/format_schemas/</format_schema_path>
    <users_config>$ch/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
</yandex>
EOF
cat >"$ch/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default></default></quotas>
</yandex>
EOF
clickhouse-server --config-file="$ch/config.xml" >"$ch/stdout" 2>&1 &
ch_pid=$!
# stop_pids PID...: TERM, then KILL what is still there 3 s later (a
# server whose brokers are gone takes its time).
stop_pids() {
	kill "$@" 2>/dev/null
	_sp_i=0
	while kill -0 "$@" 2>/dev/null && [ $_sp_i -lt 30 ]; do
		sleep 0.1
		_sp_i=$((_sp_i + 1))
	done
	kill -9 "$@" 2>/dev/null
}
at_exit "stop_pids $ch_pid"
# Watchdog: the server and the mock cluster go when this test goes,
# however it goes (its directory too), and after 120 s at most.
test_pid=$$
(
	i=0
	while kill -0 $test_pid 2>/dev/null && [ $i -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	stop_pids $ch_pid $mock_pid
	if ! kill -0 $test_pid 2>/dev/null && [ "${L7_KEEP:-0}" != 1 ]; then
		rm -rf "$tmp"
	fi
) >/dev/null 2>&1 &
at_exit "kill $!"

chq() {
	timeout 30 clickhouse-client --host 127.0.0.1 --port "$tcp_port" "$@"
}
i=0
until chq --query 'SELECT 1' >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $ch_pid 2>/dev/null; then
		echo "ERROR: clickhouse-server did not start"
		cat "$ch/stdout" "$ch/server.err.log" 2>/dev/null | tail -20
		exit 99
	fi
	sleep 0.2
done
echo "== $(chq --query 'SELECT version()' | sed 's/^/ClickHouse /'), brokers $brokers"

sed "s/'k1:9092,k2:9092,k3:9092'/'$brokers'/" "$tmp/schema.txt" >"$tmp/schema.sql"
grep -q "'$brokers'" "$tmp/schema.sql" || {
	echo "ERROR: no broker list 'k1:9092,k2:9092,k3:9092' in the schema block"
	exit 99; }
if ! chq --multiquery <"$tmp/schema.sql"; then
	echo "FAIL: ClickHouse refused the page's CREATE statements"
	exit 1
fi

# Two probes, one topic.
n=0
# The second adds plugin fields, which have no column: skipped.
for run in "inst::$srcdir/tests/data/instagram.pcap" \
    "mixed:--plugin pkt_stats --plugin first_pkts:$srcdir/tests/data/mixed.pcap"; do
	id=${run%%:*}
	cap=${run##*:}
	extra=${run#*:}
	extra=${extra%%:*}
	# shellcheck disable=SC2086
	"$L7PROBE" -r "$cap" $extra --probe-id "probe-$id" \
	    -n "kafka://$brokers/flows" -n "json:$tmp/$id.json" 2>"$tmp/$id.err"
	rc=$?
	grep "collector kafka" "$tmp/$id.err"
	[ $rc -eq 0 ] || { echo "FAIL: probe exit status $rc"; cat "$tmp/$id.err"; fail=1; }
	n=$((n + $(wc -l <"$tmp/$id.json")))
done
cat "$tmp/inst.json" "$tmp/mixed.json" >"$tmp/all.json"

# Until the rows are in (the consumer group forms, then each block is
# written once its consumers have read the partitions).
i=0
while :; do
	rows=$(chq --query 'SELECT count() FROM flows' 2>/dev/null)
	[ "${rows:-0}" -ge $n ] && break
	i=$((i + 1))
	if [ $i -gt 80 ] || ! kill -0 $ch_pid 2>/dev/null; then
		echo "FAIL: $rows of $n records in flows after 40 s"
		grep -E '<Error>|Exception' "$ch/server.log" | tail -5
		fail=1
		break
	fi
	sleep 0.5
done
# Anything more would come now.
sleep 1
echo "records: $n sent, $(chq --query 'SELECT count() FROM flows') rows in flows"

# Every column of flows, the addresses as text, the DateTime as a number.
cols=$(chq --query "SELECT name FROM system.columns WHERE database = 'default'
    AND table = 'flows' AND name NOT IN ('start', 'ip_src', 'ip_dst')" |
    tr '\n' ',')
chq --output_format_json_quote_64bit_integers=0 --query "SELECT $cols
    IPv6NumToString(ip_src) AS src_text, IPv6NumToString(ip_dst) AS dst_text,
    toUInt64(start) AS start_s FROM flows FORMAT JSONEachRow" \
    >"$tmp/rows.json" || fail=1
"$PYTHON" - "$tmp/all.json" "$tmp/rows.json" <<'PYEOF' || fail=1
import collections, ipaddress, json, sys

def addr16(s):
    a = ipaddress.ip_address(s)
    if a.version == 4:
        a = ipaddress.IPv6Address("::ffff:" + s)
    return a.packed

ICMP = ("src_to_dst_icmp_type", "src_to_dst_icmp_code",
        "dst_to_src_icmp_type", "dst_to_src_icmp_code")
got = collections.Counter()
cols = set()
for line in open(sys.argv[2]):
    r = json.loads(line)
    r["ip_src"], r["ip_dst"] = addr16(r.pop("src_text")), addr16(r.pop("dst_text"))
    cols |= set(r)
    got[json.dumps(r, sort_keys=True, default=bytes.hex)] += 1
want = collections.Counter()
skipped = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    # Fields without a column (the plugins'): skipped by ClickHouse.
    for k in set(r) - cols - {"ip_src", "ip_dst"}:
        skipped.add(k)
        del r[k]
    for k in ICMP:
        r.setdefault(k, 0)
    r["ip_src"], r["ip_dst"] = addr16(r["ip_src"]), addr16(r["ip_dst"])
    r["start_s"] = r["start_time"] // 1000
    want[json.dumps(r, sort_keys=True, default=bytes.hex)] += 1
ok = want == got and len(skipped) > 0
print("%s: %d rows in flows, %d records in the json: output, %d columns "
      "compared, %d plugin fields skipped, probes %s" % (
      "ok" if ok else "FAIL", sum(got.values()), sum(want.values()),
      len(cols), len(skipped),
      sorted({json.loads(k)["probe_id"] for k in got})))
if not ok:
    for k in list((want - got).keys())[:3]:
        print("  only in json:", k)
    for k in list((got - want).keys())[:3]:
        print("  only in flows:", k)
sys.exit(0 if ok else 1)
PYEOF

if ! chq --multiquery <"$tmp/query.txt" >"$tmp/query.out"; then
	echo "FAIL: the page's query failed"
	fail=1
fi
stop_pids $ch_pid
mock_stop
exit $fail
