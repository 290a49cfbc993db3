#!/bin/sh
# nfv9_tshark.sh - NetFlow v9 export as Wireshark reads it: tshark captures
# the probe's packets on the loopback (capture filter on the port) and
# decodes them as cflow; every packet decodes without a malformed or
# expert item, sequence numbers run from 0 without a gap, and each flow's
# application names (APPLICATION_NAME 96 and ntop's L7_PROTO_NAME 57591)
# equal the application_name of the JSON records the same run wrote
# (-n json:FILE -n nfv9://...); the applicationId -> name options table
# agrees with the records.
#
# Exit: 0 pass, 1 fail, 77 skip (tshark missing or not allowed to capture
# on the loopback), 99 error. About 10 s.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

skip_unless_cmd tshark "$PYTHON"
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
shipped=$here/../data/instagram.pcap
[ -f "$shipped" ] || shipped=$srcdir/tests/data/instagram.pcap

set -- "$shipped"
for f in http_ipv6.pcap ookla.pcap dns_doh.pcap; do
	[ -f "$L7_PCAPS/ndpi/$f" ] && set -- "$@" "$L7_PCAPS/ndpi/$f"
done

# sink PORT: something listening, so no ICMP port unreachable comes back.
sink() {
	"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
try:
    while True:
        s.recv(65535)
except OSError:
    pass
' "$1" &
	_sink=$!
	at_exit "kill $_sink 2>/dev/null"
}

st=0
i=0
for pcap in "$@"; do
	i=$((i + 1))
	port=$(free_port udp)
	sink "$port"
	tshark -i lo -f "udp dst port $port" -w "$tmp/cap$i.pcap" \
	    >"$tmp/tshark$i.log" 2>&1 &
	tpid=$!
	at_exit "kill $tpid 2>/dev/null"
	n=0
	while ! grep -q "Capturing on" "$tmp/tshark$i.log"; do
		n=$((n + 1))
		if ! kill -0 $tpid 2>/dev/null || [ $n -gt 100 ]; then
			echo "SKIP: tshark cannot capture on the loopback:"
			cat "$tmp/tshark$i.log"
			exit 77
		fi
		sleep 0.1
	done
	# dumpcap says "Capturing on" before its filter is in place.
	sleep 0.5
	if ! timeout 30 "$L7PROBE" -q -r "$pcap" -n "json:$tmp/rec$i.json" \
	    -n "nfv9://127.0.0.1:$port" 2>"$tmp/probe$i.err"; then
		echo "FAIL: l7probe on $pcap:"
		cat "$tmp/probe$i.err"
		st=1
	fi
	sleep 1
	kill -INT $tpid
	wait $tpid
	kill $_sink 2>/dev/null
	echo "$(basename "$pcap"):"
	timeout 60 "$PYTHON" "$here/nfv9check.py" tshark "$tmp/cap$i.pcap" \
	    "$port" "$tmp/rec$i.json"
	r=$?
	[ $r -gt $st ] && st=$r
done
[ $st -eq 2 ] && st=99
exit $st
