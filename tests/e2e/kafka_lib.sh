# kafka_lib.sh - for the Kafka tests, sourced after lib.sh:
#
#	. "$(dirname "$0")/kafka_lib.sh"
#
# Sets L7MOCK (the mock cluster, tests/kafka/l7mock; make check sets it).
# Functions:
#   skip_unless_kafka        exit 77 when the probe was built without
#                            librdkafka or the mock cluster was not built
#   mock_start NAME [ARGS]   starts l7mock: messages into $tmp/NAME.out,
#                            partitions into $tmp/NAME.d/P.bin, its log in
#                            $tmp/NAME.log; sets $mock_pid and $brokers
#   mock_down / mock_up      all brokers down (connections refused on the
#                            same ports) / back; returns once done
#   mock_stop                lets it consume the rest of the topic, stops it
# POSIX sh.

: "${L7MOCK:=./tests/kafka/l7mock}"

skip_unless_kafka() {
	[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
	if ! "$L7PROBE" -V | grep -q '^Kafka: librdkafka'; then
		echo "SKIP: l7probe was built without librdkafka"
		exit 77
	fi
	if [ ! -x "$L7MOCK" ]; then
		echo "SKIP: no mock Kafka cluster ($L7MOCK: librdkafka without rdkafka_mock.h)"
		exit 77
	fi
}

mock_start() {
	_km_name=$1
	shift
	mkdir -p "$tmp/$_km_name.d"
	"$L7MOCK" -o "$tmp/$_km_name.out" -d "$tmp/$_km_name.d" \
	    -b "$tmp/$_km_name.boot" "$@" >/dev/null 2>"$tmp/$_km_name.log" &
	mock_pid=$!
	_km_log=$tmp/$_km_name.log
	at_exit "kill $mock_pid"
	_km_i=0
	while [ ! -s "$tmp/$_km_name.boot" ]; do
		_km_i=$((_km_i + 1))
		if [ $_km_i -gt 200 ] || ! kill -0 $mock_pid 2>/dev/null; then
			echo "ERROR: the mock cluster did not start"
			cat "$_km_log"
			exit 99
		fi
		sleep 0.1
	done
	brokers=$(cat "$tmp/$_km_name.boot")
}

# _mock_signal SIG TEXT: sends SIG, waits for one more TEXT line in the log.
_mock_signal() {
	_km_n=$(grep -c "$2" "$_km_log")
	kill -"$1" $mock_pid
	_km_i=0
	while [ "$(grep -c "$2" "$_km_log")" -le "$_km_n" ]; do
		_km_i=$((_km_i + 1))
		[ $_km_i -gt 100 ] && { echo "ERROR: mock cluster: no '$2'"; exit 99; }
		sleep 0.1
	done
}

mock_down() {
	_mock_signal USR1 "brokers down"
}

mock_up() {
	_mock_signal USR2 "brokers up"
}

mock_stop() {
	kill -TERM $mock_pid
	wait $mock_pid
}
