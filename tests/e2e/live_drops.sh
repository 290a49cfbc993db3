#!/bin/bash
# live_drops.sh - kernel drops are counted, per interface, and told.
#
# Two namespaces joined by a veth; in A the probe (a 1 MiB ring,
# --buffer-size 1) and tcpdump (a 32 MiB ring, 128-byte snap: the
# reference, which must not drop) capture the same veth end. The probe is
# stopped (SIGSTOP) while B sends 20000 datagrams of 1000 bytes, far more
# than its ring holds, then continued. The probe must log a warning naming
# the interface and the drops, and at exit say per interface: read +
# kernel drops == the datagrams tcpdump saw, kernel drops > 0, and every
# packet read is in a record. The IPFIX statistics record (ipfix-file:,
# read back with ipfixDump) carries the same drops.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 no l7probe binary. Under 40 s.

NAME=live_drops WATCHDOG_S=40
. "$(dirname "$0")/live_lib.sh"

ns_new NSA a
ns_new NSB b
veth_new "$NSA" l7d0 "$NSB" l7d1 10.83.0.1 fd00:83::1 10.83.0.2 fd00:83::2
ip netns exec "$NSB" ping -n -q -c 1 -W 2 10.83.0.1 >/dev/null || fail "ping"
# A sink in A: no ICMP port unreachable back on the link.
bg "$NSA" "$PYTHON" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.83.0.1", 9998)); time.sleep(3600)'
sleep 0.3

start_tcpdump "$NSA" l7d0 "$T/ref.pcap" 128
tcpdump_pid=$last_pid
base=$(packet_sockets "$NSA")
ipfix=
if command -v ipfixDump >/dev/null 2>&1 &&
    ! "$L7PROBE" -q -r "$srcdir/tests/data/instagram.pcap" \
    -n "ipfix-file:$T/check.ipfix" 2>&1 | grep -q "without libfixbuf"; then
	ipfix="-n ipfix-file:$T/probe.ipfix"
fi
bg "$NSA" "$L7PROBE" -i l7d0 --buffer-size 1 -f "udp and dst port 9998" \
	-n "json:$T/probe.json" $ipfix >"$T/probe.out" 2>"$T/probe.err"
probe_pid=$last_pid
wait_capture "$NSA" "$probe_pid" "$base" "$T/probe.err"
sleep 0.5
kill -STOP "$probe_pid"
ip netns exec "$NSB" "$PYTHON" "$check_py" udp-burst 10.83.0.1 9998 \
	20000 1000 || fail "udp-burst"
sleep 0.5
kill -CONT "$probe_pid"
sleep 1.5	# a tick or two: the drop warning
stop_pid "$probe_pid" 10
st=$stop_rc
sleep 0.3
stop_pid "$tcpdump_pid" 5
echo "--- l7probe stderr"
cat "$T/probe.err"
echo "--- tcpdump"
cat "$T/ref.pcap.err"
echo "---"
rc=0
[ "$st" = 0 ] || { echo "  [FAIL] exit status '$st'"; rc=1; }
grep -q "^0 packets dropped by kernel" "$T/ref.pcap.err" ||
	fail "tcpdump, the reference, dropped packets: cannot judge"
n=$(tshark -n -r "$T/ref.pcap" -Y "udp.dstport == 9998 and not icmp" \
	2>/dev/null | wc -l)
line=$(grep "capture l7d0: read" "$T/probe.err")
read_n=$(echo "$line" | sed -n 's/.*read \([0-9]*\),.*/\1/p')
drops=$(echo "$line" | sed -n 's/.*kernel drops \([0-9]*\),.*/\1/p')
say "tcpdump saw $n datagrams; probe read ${read_n:-?}, kernel drops ${drops:-?}"
[ -n "$read_n" ] && [ -n "$drops" ] || { echo "  [FAIL] no per-interface line"; rc=1; }
if [ "$rc" = 0 ]; then
	[ "$n" = 20000 ] || { echo "  [FAIL] tcpdump saw $n of 20000"; rc=1; }
	[ "$drops" -gt 0 ] || { echo "  [FAIL] no drop counted with a full ring"; rc=1; }
	[ $((read_n + drops)) = "$n" ] ||
		{ echo "  [FAIL] read + drops = $((read_n + drops)), tcpdump $n"; rc=1; }
fi
grep -q "warning: interface 'l7d0': [0-9]* packets dropped since the last report" \
	"$T/probe.err" || { echo "  [FAIL] no drop warning in the log"; rc=1; }
grep -q "packets: read $read_n, in records $read_n, ignored 0" "$T/probe.err" ||
	{ echo "  [FAIL] packets read are not all in records"; rc=1; }
# The IPFIX statistics record carries the drops (its last one, at exit).
if [ -n "$ipfix" ]; then
	got=$(ipfixDump --in "$T/probe.ipfix" 2>/dev/null |
		sed -n 's/.*droppedPacketTotalCount.*[^0-9]\([0-9][0-9]*\)$/\1/p' |
		tail -1)
	if [ "$got" = "$drops" ]; then
		echo "  [ok] IPFIX statistics record: droppedPacketTotalCount $got"
	else
		echo "  [FAIL] IPFIX droppedPacketTotalCount '$got', expected $drops"
		rc=1
	fi
else
	echo "  note: no ipfixDump or no IPFIX in this build: statistics record not checked"
fi
[ "$rc" = 0 ] && say "PASS" || say "FAIL"
exit "$rc"
