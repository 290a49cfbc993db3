#!/bin/bash
# live_iface_gone.sh - one of two captured interfaces goes away.
#
# Namespace A has three veth ends (towards B, C and D); one probe
# captures them all (-f icmp). The first veth is deleted while the probe
# runs: the probe says which interface stopped and keeps capturing the
# others (a ping from C afterwards is exported). The third is first taken
# down, then deleted: the kernel tells the capture's socket only at the
# first step, which libpcap takes for an interface merely down, so only the
# probe's own check sees the deletion. At SIGTERM the probe exits 1
# because capture was lost, with every flow read exported.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 no l7probe binary. Under 30 s.

NAME=live_iface_gone WATCHDOG_S=30
. "$(dirname "$0")/live_lib.sh"

ns_new NSA a
ns_new NSB b
ns_new NSC c
veth_new "$NSA" l7g0 "$NSB" l7g1 10.84.1.1 fd00:84:1::1 10.84.1.2 fd00:84:1::2
veth_new "$NSA" l7g2 "$NSC" l7g3 10.84.2.1 fd00:84:2::1 10.84.2.2 fd00:84:2::2
ns_new NSD d
veth_new "$NSA" l7g4 "$NSD" l7g5 10.84.3.1 fd00:84:3::1 10.84.3.2 fd00:84:3::2
base=$(packet_sockets "$NSA")
bg "$NSA" "$L7PROBE" -i l7g0 -i l7g2 -i l7g4 -f icmp -n "json:$T/probe.json" \
	>"$T/probe.out" 2>"$T/probe.err"
probe_pid=$last_pid
wait_capture "$NSA" "$probe_pid" "$((base + 2))" "$T/probe.err"
sleep 0.5
ip netns exec "$NSB" ping -n -q -c 2 -i 0.2 -W 2 10.84.1.1 >/dev/null ||
	fail "ping over l7g0"
sleep 0.3
ip -n "$NSA" link del l7g0 || fail "ip link del"
ip -n "$NSA" link set l7g4 down || fail "ip link set down"
sleep 0.3
ip -n "$NSA" link del l7g4 || fail "ip link del l7g4"
sleep 1.5
rc=0
if kill -0 "$probe_pid" 2>/dev/null; then
	echo "  [ok] the probe goes on without l7g0"
else
	echo "  [FAIL] the probe ended when l7g0 went away"
	rc=1
fi
ip netns exec "$NSC" ping -n -q -c 2 -i 0.2 -W 2 10.84.2.1 >/dev/null ||
	fail "ping over l7g2"
sleep 0.3
stop_pid "$probe_pid" 10
echo "--- l7probe stderr"
cat "$T/probe.err"
echo "---"
[ "$stop_rc" = 1 ] || { echo "  [FAIL] exit status '$stop_rc', expected 1"; rc=1; }
grep -q "interface 'l7g0': .*(the other interfaces go on)" "$T/probe.err" ||
	{ echo "  [FAIL] no message naming l7g0"; rc=1; }
grep -q "interface 'l7g4': went away (deleted) (the other interfaces go on)" "$T/probe.err" ||
	{ echo "  [FAIL] no message naming l7g4, taken down then deleted"; rc=1; }
grep -q "2 of 3 interfaces stopped capturing" "$T/probe.err" ||
	{ echo "  [FAIL] the exit message does not say capture was lost"; rc=1; }
for a in 10.84.1.2 10.84.2.2; do
	grep -q "\"ip_src\":\"$a\".*\"src_to_dst_pkts\":2,\"dst_to_src_pkts\":2," \
		"$T/probe.json" || { echo "  [FAIL] no ping record from $a"; rc=1; }
done
[ "$rc" = 0 ] && say "PASS" || say "FAIL"
exit "$rc"
