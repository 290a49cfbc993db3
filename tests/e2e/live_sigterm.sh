#!/bin/bash
# live_sigterm.sh - SIGTERM loses nothing the kernel captured.
#
# Two namespaces joined by a veth; in A tcpdump and the probe capture the
# same veth end, B sends UDP datagrams to A, each from its own source port
# (so each is a flow of one packet; live_check.py udp-flood).
# 1. A burst of 20, then SIGTERM 50 ms later (packets still in the kernel ring):
#    the probe's records equal tcpdump's flows, one for one, its exit line
#    says read == frames tcpdump saw, kernel drops 0.
# 2. SIGTERM in the middle of a steady stream: every flow tcpdump saw
#    before the signal is in the probe's records and every record is a
#    flow of tcpdump's; the probe exits 0 within its bounded shutdown.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 no l7probe binary. Under 50 s.

NAME=live_sigterm WATCHDOG_S=50
. "$(dirname "$0")/live_lib.sh"

ns_new NSA a
ns_new NSB b
veth_new "$NSA" l7s0 "$NSB" l7s1 10.81.0.1 fd00:81::1 10.81.0.2 fd00:81::2
# B knows A's address already: no ARP in the middle of the stream.
ip netns exec "$NSB" ping -n -q -c 1 -W 2 10.81.0.1 >/dev/null || fail "ping"
sleep 0.3
rc=0

# run_case NAME RATE SECS KILL_AFTER: tcpdump and the probe, the stream,
# SIGTERM to the probe KILL_AFTER s after the stream started ("end" = 50
# ms after it ended), then the comparison.
run_case() {
	local name=$1 rate=$2 secs=$3 kill_after=$4 t_stop st sport
	start_tcpdump "$NSA" l7s0 "$T/$name.pcap" 128
	tcpdump_pid=$last_pid
	base=$(packet_sockets "$NSA")
	bg "$NSA" "$L7PROBE" -i l7s0 -f "udp and dst port 9999" \
		-n "json:$T/$name.json" >"$T/$name.out" 2>"$T/$name.err"
	probe_pid=$last_pid
	wait_capture "$NSA" "$probe_pid" "$base" "$T/$name.err"
	sleep 0.5
	sport=$((20000 + ${#name} * 1000))
	if [ "$kill_after" = end ]; then
		ip netns exec "$NSB" "$PYTHON" "$check_py" udp-flood \
			10.81.0.1 9999 "$rate" "$secs" "$sport" || fail "udp-flood"
		sleep 0.05
		t_stop=$(date +%s.%N)
		stop_pid "$probe_pid" 10
	else
		bg "$NSB" "$PYTHON" "$check_py" udp-flood 10.81.0.1 9999 \
			"$rate" "$secs" "$sport"
		flood_pid=$last_pid
		sleep "$kill_after"
		t_stop=$(date +%s.%N)
		stop_pid "$probe_pid" 10
		wait "$flood_pid"
	fi
	st=$stop_rc
	sleep 0.3
	stop_pid "$tcpdump_pid" 5
	echo "--- $name: l7probe stderr"
	cat "$T/$name.err"
	echo "---"
	[ "$st" = 0 ] || { echo "  [FAIL] $name: exit status '$st'"; rc=1; }
	"$PYTHON" "$check_py" sigterm --pcap "$T/$name.pcap" \
		--json "$T/$name.json" --stop-time "$t_stop" || rc=1
	grep -q "kernel drops 0, interface drops 0" "$T/$name.err" ||
		{ echo "  [FAIL] $name: drops"; rc=1; }
	grep -q "^0 packets dropped by kernel" "$T/$name.pcap.err" ||
		{ echo "  [FAIL] $name: tcpdump, the reference, dropped packets"; rc=1; }
}

run_case burst 400 0.05 end
# Every frame tcpdump saw (it ran before and after) was read.
n=$(tshark -n -r "$T/burst.pcap" -Y "udp.dstport == 9999 and not icmp" 2>/dev/null | wc -l)
grep -q "capture l7s0: read $n," "$T/burst.err" ||
	{ echo "  [FAIL] burst: the probe did not read all $n frames"; rc=1; }
echo "  burst: tcpdump $n frames"

run_case stream 1000 3 1.5
[ "$rc" = 0 ] && say "PASS" || say "FAIL"
exit "$rc"
