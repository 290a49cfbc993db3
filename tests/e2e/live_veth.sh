#!/bin/bash
# live_veth.sh - l7probe live on a veth, checked against tcpdump.
#
# Two network namespaces of its own (live_lib.sh: unique names, so tests
# can run side by side) joined by a veth pair; addresses exist only inside
# them (10.77.0.x and fd00:77::x), nothing on the host is touched and no
# traffic can leave. In namespace A the probe and a tcpdump capture the
# same veth end at the same time; namespace B sends real traffic to A:
# HTTP (curl to python3 -m http.server, IPv4 and IPv6), ping and ping -6, a
# UDP echo exchange with datagrams large enough to be fragmented, and a few
# non-IP frames (ARP comes by itself). Then both get SIGTERM and
# live_check.py compares, per flow and direction, the probe's packets and
# bytes (records summed per flow) with the flows tshark finds in tcpdump's
# file, and the probe's counters (read == in records + ignored == frames
# captured).
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 hard error (no l7probe binary). The whole test stays under 60 s.
# Needs (Debian): iproute2 tcpdump tshark curl iputils-ping python3.
# Set L7_KEEP=1 to keep the work directory (captures, JSON, logs).

NAME=live_veth
WATCHDOG_S=55
. "$(dirname "$0")/live_lib.sh"
command -v curl >/dev/null 2>&1 || skip "curl not found"

IFA=l7a0
IFB=l7b0
A4=10.77.0.1 B4=10.77.0.2
A6=fd00:77::1 B6=fd00:77::2
HTTP4=8080 HTTP6=8086 UDPP=7007
N_HTTP=3 N_PING=3

inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }
# Background process in namespace A; its pid in $last_pid.
bgA() { bg "$NSA" "$@"; }

# --- the two namespaces --------------------------------------------------
# Quiet links (live_lib.sh): no DAD, no router solicitations, MLD reports
# at once, neighbours reachable for longer than the test. With that, the
# only frames on the wire are the ones this test sends (and the ARP/ND they
# trigger), so the probe and tcpdump, started one after the other, see
# exactly the same frames.
ns_new NSA a
ns_new NSB b
veth_new "$NSA" "$IFA" "$NSB" "$IFB" "$A4" "$A6" "$B4" "$B6"
# --- servers in A (reached over lo from A itself to see they are up) -----
mkdir -p "$T/www" || fail "mkdir"
"$PYTHON" -c 'import sys; sys.stdout.write("l7probe live test\n" * 2000)' \
	>"$T/www/page.txt"
bgA "$PYTHON" -m http.server --bind "$A4" --directory "$T/www" "$HTTP4" \
	>"$T/http4.log" 2>&1
bgA "$PYTHON" -m http.server --bind "$A6" --directory "$T/www" "$HTTP6" \
	>"$T/http6.log" 2>&1
bgA "$PYTHON" "$check_py" udp-echo "$A4" "$UDPP" >"$T/udp4.log" 2>&1
bgA "$PYTHON" "$check_py" udp-echo "$A6" "$UDPP" >"$T/udp6.log" 2>&1
ok=0
for _ in $(seq 50); do
	if inA timeout 2 curl -s -o /dev/null --noproxy '*' \
		"http://$A4:$HTTP4/" &&
	   inA timeout 2 curl -s -g -o /dev/null --noproxy '*' \
		"http://[$A6]:$HTTP6/" &&
	   grep -q ready "$T/udp4.log" && grep -q ready "$T/udp6.log"; then
		ok=1
		break
	fi
	sleep 0.1
done
[ "$ok" = 1 ] || fail "servers in $NSA did not start"
sleep 0.5	# let the link's start-up chatter (MLD reports, ~25 ms) end

# --- the captures: tcpdump first, then the probe --------------------------
# Both use packet sockets of namespace A; /proc/net/packet there lists them.
start_tcpdump "$NSA" "$IFA" "$T/ref.pcap"
tcpdump_pid=$last_pid
base=$(packet_sockets "$NSA")
bgA "$L7PROBE" -i "$IFA" -n "json:$T/probe.json" >"$T/probe.out" \
	2>"$T/probe.err"
probe_pid=$last_pid
wait_capture "$NSA" "$probe_pid" "$base" "$T/probe.err"
sleep 1		# the probe is capturing (socket bound, ring set up)
kill -0 "$probe_pid" 2>/dev/null ||
	fail "l7probe exited at start: $(cat "$T/probe.err")"
say "probe (pid $probe_pid) and tcpdump (pid $tcpdump_pid) capture $IFA in $NSA"

# --- traffic from B to A -------------------------------------------------
for i in $(seq "$N_HTTP"); do
	code=$(inB timeout 10 curl -sS --noproxy '*' --max-time 5 \
		-o "$T/got4" -w '%{http_code}' "http://$A4:$HTTP4/page.txt")
	[ "$code" = 200 ] || fail "curl v4 #$i: HTTP $code"
	code=$(inB timeout 10 curl -sS -g --noproxy '*' --max-time 5 \
		-o "$T/got6" -w '%{http_code}' "http://[$A6]:$HTTP6/page.txt")
	[ "$code" = 200 ] || fail "curl v6 #$i: HTTP $code"
done
cmp -s "$T/got4" "$T/www/page.txt" && cmp -s "$T/got6" "$T/www/page.txt" ||
	fail "curl fetched the wrong content"
http_end=$(date +%s%N)
inB timeout 10 ping -n -q -c "$N_PING" -i 0.2 -W 2 "$A4" >/dev/null ||
	fail "ping $A4"
inB timeout 10 ping -6 -n -q -c "$N_PING" -i 0.2 -W 2 "$A6" >/dev/null ||
	fail "ping -6 $A6"
# UDP: small datagrams and two that must be fragmented (MTU 1500).
inB timeout 10 "$PYTHON" "$check_py" udp-client "$A4" "$UDPP" \
	32 200 1400 3000 5000 || fail "UDP exchange over IPv4"
inB timeout 10 "$PYTHON" "$check_py" udp-client "$A6" "$UDPP" \
	32 200 1400 3000 5000 || fail "UDP exchange over IPv6"
inB timeout 5 "$PYTHON" "$check_py" raw-send "$IFB" 3 ||
	fail "sending non-IP frames"
sleep 0.5	# the last frames reach both captures
# The probe ends a TCP flow 2 s (its default end grace) after FINs both
# ways: leave 3 s since the last HTTP connection so that path (export
# reason 3) runs too; a flow still open at SIGTERM would be reason 4.
left=$((3000 - ($(date +%s%N) - http_end) / 1000000))
[ "$left" -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"

# --- stop both, at the same moment ----------------------------------------
kill -TERM "$probe_pid" "$tcpdump_pid"
t0=$(date +%s%N)
probe_rc=
for _ in $(seq 100); do
	if ! kill -0 "$probe_pid" 2>/dev/null; then
		wait "$probe_pid"
		probe_rc=$?
		break
	fi
	sleep 0.05
done
t_ms=$((($(date +%s%N) - t0) / 1000000))
for _ in $(seq 100); do
	kill -0 "$tcpdump_pid" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$tcpdump_pid" 2>/dev/null && fail "tcpdump did not stop on SIGTERM"
wait "$tcpdump_pid"

echo "--- l7probe stderr"
cat "$T/probe.err"
echo "--- tcpdump stderr"
grep -v "^$" "$T/ref.pcap.err"
echo "---"
[ -n "$probe_rc" ] || fail "l7probe still running 5 s after SIGTERM"
say "l7probe exited $probe_rc ${t_ms} ms after SIGTERM"

rc=0
[ "$probe_rc" = 0 ] || { echo "  [FAIL] l7probe exit status $probe_rc, expected 0"; rc=1; }
grep -q "^0 packets dropped by kernel" "$T/ref.pcap.err" ||
	{ echo "  [FAIL] tcpdump reports drops"; rc=1; }
[ -s "$T/probe.json" ] || fail "the probe wrote no record"

timeout 30 "$PYTHON" "$check_py" compare --pcap "$T/ref.pcap" \
	--json "$T/probe.json" --stderr "$T/probe.err" \
	--http-ports "$HTTP4,$HTTP6" --expect-http $((2 * N_HTTP)) \
	--udp-port "$UDPP" --expect-udp-pkts 5 --expect-ping "$N_PING" \
	--expect-nonip 3 || rc=1

if [ "$rc" = 0 ]; then
	say "PASS"
else
	say "FAIL"
fi
exit "$rc"
