#!/bin/bash
# live_forward.sh - the same 5-tuple seen on two interfaces is two flows,
# each with its ingress interface, unless --merge-interfaces.
#
# Namespace A routes between two veth ends, one towards B, one towards C;
# B pings C through A, so each packet crosses both of A's interfaces. In A
# one probe captures both interfaces (-i l7f0 -i l7f2), another the same
# with --merge-interfaces. The first exports the ping flow twice, once per
# interface (ingress_interface = that veth's ifIndex), 3 packets each way
# in each; the second once, ingress interface 0, 6 packets each way.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 no l7probe binary. Under 30 s.

NAME=live_forward WATCHDOG_S=30
. "$(dirname "$0")/live_lib.sh"

ns_new NSA a
ns_new NSB b
ns_new NSC c
veth_new "$NSA" l7f0 "$NSB" l7f1 10.85.1.1 fd00:85:1::1 10.85.1.2 fd00:85:1::2
veth_new "$NSA" l7f2 "$NSC" l7f3 10.85.2.1 fd00:85:2::1 10.85.2.2 fd00:85:2::2
ip netns exec "$NSA" sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
ip -n "$NSB" route add 10.85.2.0/24 via 10.85.1.1 || fail "route in B"
ip -n "$NSC" route add 10.85.1.0/24 via 10.85.2.1 || fail "route in C"
# Neighbours first, so the captured ping is alone.
ip netns exec "$NSB" ping -n -q -c 1 -W 2 10.85.2.2 >/dev/null ||
	fail "B cannot reach C through A"
sleep 0.3

base=$(packet_sockets "$NSA")
bg "$NSA" "$L7PROBE" -i l7f0 -i l7f2 -f icmp -n "json:$T/split.json" \
	>"$T/split.out" 2>"$T/split.err"
split=$last_pid
wait_capture "$NSA" "$split" "$((base + 1))" "$T/split.err"
base=$(packet_sockets "$NSA")
bg "$NSA" "$L7PROBE" -i l7f0 -i l7f2 --merge-interfaces -f icmp \
	-n "json:$T/merged.json" >"$T/merged.out" 2>"$T/merged.err"
merged=$last_pid
wait_capture "$NSA" "$merged" "$((base + 1))" "$T/merged.err"
sleep 0.5
ip netns exec "$NSB" ping -n -q -c 3 -i 0.2 -W 2 10.85.2.2 >/dev/null ||
	fail "ping B -> C"
sleep 0.3
stop_pid "$split" 10
st1=$stop_rc
stop_pid "$merged" 10
st2=$stop_rc
cat "$T/split.err" "$T/merged.err" | grep -E "records:|capture"
idx0=$(ip netns exec "$NSA" cat /sys/class/net/l7f0/ifindex)
idx2=$(ip netns exec "$NSA" cat /sys/class/net/l7f2/ifindex)
rc=0
[ "$st1" = 0 ] && [ "$st2" = 0 ] ||
	{ echo "  [FAIL] exit status '$st1' '$st2'"; rc=1; }
"$PYTHON" - "$T/split.json" "$T/merged.json" "$idx0" "$idx2" <<'PYEOF' || rc=1
import json, sys
def recs(path):
    return [r for r in map(json.loads, open(path))
            if r["ip_protocol"] == 1 and r["ip_src"] == "10.85.1.2"]
split, merged = recs(sys.argv[1]), recs(sys.argv[2])
idx0, idx2 = int(sys.argv[3]), int(sys.argv[4])
got = sorted((r["ingress_interface"], r["src_to_dst_pkts"],
              r["dst_to_src_pkts"]) for r in split)
want = sorted([(idx0, 3, 3), (idx2, 3, 3)])
ok1 = got == want
print("  [%s] split: (ingress, pkts each way) %s, expected %s"
      % ("ok" if ok1 else "FAIL", got, want))
got = sorted((r["ingress_interface"], r["src_to_dst_pkts"],
              r["dst_to_src_pkts"]) for r in merged)
ok2 = got == [(0, 6, 6)]
print("  [%s] --merge-interfaces: %s, expected [(0, 6, 6)]"
      % ("ok" if ok2 else "FAIL", got))
sys.exit(0 if ok1 and ok2 else 1)
PYEOF
[ "$rc" = 0 ] && say "PASS" || say "FAIL"
exit "$rc"
