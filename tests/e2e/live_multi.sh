#!/bin/bash
# live_multi.sh - one probe on two interfaces at once (-i X -i Y), and on
# "any", checked against a tcpdump of each interface.
#
# Namespace A holds the servers and two veth ends, one towards namespace
# B, one towards namespace C (each its own IPv4 /24 and IPv6 /64). B and C
# run real clients at the same time: HTTP over IPv4 and IPv6 (curl to
# python3 -m http.server), TLS (curl to openssl s_server), DNS (queries to
# live_check.py dns-server), ping and ping -6, a UDP echo exchange with
# fragmented datagrams, and a few non-IP frames. In A, tcpdump captures
# each veth end; one probe captures both (-i l7m0 -i l7m2), another "any".
# Then live_check.py compares, per flow and direction, each probe's
# packets and bytes with the flows tshark finds in the two tcpdump files
# merged, and the first probe's per-interface "read" with the frames of
# each interface's file; every record's ingress_interface is the ifIndex
# of the veth its addresses belong to (for "any", read from the cooked v2
# header).
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing),
# 99 no l7probe binary. Under 60 s.

NAME=live_multi WATCHDOG_S=60
. "$(dirname "$0")/live_lib.sh"
for c in curl openssl mergecap; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not found"
done

ns_new NSA a
ns_new NSB b
ns_new NSC c
veth_new "$NSA" l7m0 "$NSB" l7m1 10.82.1.1 fd00:82:1::1 10.82.1.2 fd00:82:1::2
veth_new "$NSA" l7m2 "$NSC" l7m3 10.82.2.1 fd00:82:2::1 10.82.2.2 fd00:82:2::2
HTTP=8080 TLS=8443 UDPP=7007 DNSP=53
N_HTTP=2 N_TLS=2 N_PING=3 N_DNS=3

# --- servers in A -------------------------------------------------------
mkdir -p "$T/www" || fail "mkdir"
"$PYTHON" -c 'import sys; sys.stdout.write("l7probe two interfaces\n" * 1500)' \
	>"$T/www/page.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -subj /CN=l7probe.test \
	-days 1 >/dev/null 2>&1 || fail "openssl req"
for a in 10.82.1.1 fd00:82:1::1 10.82.2.1 fd00:82:2::1; do
	bg "$NSA" "$PYTHON" -m http.server --bind "$a" --directory "$T/www" \
		"$HTTP" >"$T/http-$a.log" 2>&1
	bg "$NSA" "$PYTHON" "$check_py" udp-echo "$a" "$UDPP" >"$T/udp-$a.log" 2>&1
done
for a in 10.82.1.1 10.82.2.1; do
	bg "$NSA" "$PYTHON" "$check_py" dns-server "$a" "$DNSP" >"$T/dns-$a.log" 2>&1
done
bg "$NSA" openssl s_server -accept "$TLS" -www -cert "$T/cert.pem" \
	-key "$T/key.pem" -quiet >"$T/tls.log" 2>&1
ok=0
for _ in $(seq 60); do
	ok=1
	for a in 10.82.1.1 "[fd00:82:1::1]" 10.82.2.1 "[fd00:82:2::1]"; do
		ip netns exec "$NSA" timeout 2 curl -s -g -o /dev/null \
			--noproxy '*' "http://$a:$HTTP/" || ok=0
	done
	ip netns exec "$NSA" timeout 2 curl -s -k -o /dev/null --noproxy '*' \
		"https://10.82.1.1:$TLS/" || ok=0
	[ "$(cat "$T"/udp-*.log "$T"/dns-*.log | grep -c ready)" = 6 ] || ok=0
	[ "$ok" = 1 ] && break
	sleep 0.1
done
[ "$ok" = 1 ] || fail "servers in $NSA did not start"
sleep 0.5

# --- captures: tcpdump on each interface, then the two probes -------------
start_tcpdump "$NSA" l7m0 "$T/m0.pcap"
td0=$last_pid
start_tcpdump "$NSA" l7m2 "$T/m2.pcap"
td2=$last_pid
base=$(packet_sockets "$NSA")
bg "$NSA" "$L7PROBE" -i l7m0 -i l7m2 -n "json:$T/two.json" \
	>"$T/two.out" 2>"$T/two.err"
two=$last_pid
wait_capture "$NSA" "$two" "$((base + 1))" "$T/two.err"
base=$(packet_sockets "$NSA")
bg "$NSA" "$L7PROBE" -i any -n "json:$T/any.json" >"$T/any.out" 2>"$T/any.err"
any=$last_pid
wait_capture "$NSA" "$any" "$base" "$T/any.err"
sleep 1
say "probes $two (two interfaces) and $any (any) capture in $NSA"

# --- traffic from B and C at the same time --------------------------------
traffic() {	# NS A4 A6 TAG
	local n=$1 a4=$2 a6=$3 tag=$4 i code
	for i in $(seq "$N_HTTP"); do
		code=$(ip netns exec "$n" timeout 10 curl -sS --noproxy '*' \
			--max-time 5 -o "$T/got-$tag" -w '%{http_code}' \
			"http://$a4:$HTTP/page.txt")
		[ "$code" = 200 ] || { echo "curl $a4 #$i: $code"; return 1; }
		code=$(ip netns exec "$n" timeout 10 curl -sS -g --noproxy '*' \
			--max-time 5 -o "$T/got-$tag" -w '%{http_code}' \
			"http://[$a6]:$HTTP/page.txt")
		[ "$code" = 200 ] || { echo "curl $a6 #$i: $code"; return 1; }
	done
	for i in $(seq "$N_TLS"); do
		ip netns exec "$n" timeout 10 curl -sS -k --noproxy '*' \
			--max-time 5 -o /dev/null "https://$a4:$TLS/" ||
			{ echo "TLS $a4 #$i"; return 1; }
	done
	ip netns exec "$n" timeout 10 "$PYTHON" "$check_py" dns-client "$a4" \
		"$DNSP" $(seq -f "host%g.l7probe.test" "$N_DNS") ||
		{ echo "DNS $a4"; return 1; }
	ip netns exec "$n" timeout 10 ping -n -q -c "$N_PING" -i 0.2 -W 2 \
		"$a4" >/dev/null || { echo "ping $a4"; return 1; }
	ip netns exec "$n" timeout 10 ping -6 -n -q -c "$N_PING" -i 0.2 -W 2 \
		"$a6" >/dev/null || { echo "ping $a6"; return 1; }
	ip netns exec "$n" timeout 10 "$PYTHON" "$check_py" udp-client "$a4" \
		"$UDPP" 32 200 1400 3000 5000 || { echo "udp $a4"; return 1; }
	ip netns exec "$n" timeout 10 "$PYTHON" "$check_py" udp-client "$a6" \
		"$UDPP" 32 200 1400 3000 5000 || { echo "udp $a6"; return 1; }
	ip netns exec "$n" timeout 5 "$PYTHON" "$check_py" raw-send \
		"$(ip netns exec "$n" ls /sys/class/net | grep l7m)" 2 ||
		{ echo "raw $tag"; return 1; }
}
traffic "$NSB" 10.82.1.1 fd00:82:1::1 b >"$T/traffic-b.log" 2>&1 &
tb=$!
traffic "$NSC" 10.82.2.1 fd00:82:2::1 c >"$T/traffic-c.log" 2>&1 &
tc=$!
wait "$tb" || fail "traffic from B: $(cat "$T/traffic-b.log")"
wait "$tc" || fail "traffic from C: $(cat "$T/traffic-c.log")"
cmp -s "$T/got-b" "$T/www/page.txt" && cmp -s "$T/got-c" "$T/www/page.txt" ||
	fail "curl fetched the wrong content"
sleep 0.5

# --- stop everything, compare ---------------------------------------------
rc=0
stop_pid "$two" 10
st_two=$stop_rc
stop_pid "$any" 10
st_any=$stop_rc
stop_pid "$td0" 5
stop_pid "$td2" 5
for p in two any; do
	echo "--- l7probe $p stderr"
	cat "$T/$p.err"
done
echo "---"
[ "$st_two" = 0 ] || { echo "  [FAIL] -i l7m0 -i l7m2: exit status '$st_two'"; rc=1; }
[ "$st_any" = 0 ] || { echo "  [FAIL] -i any: exit status '$st_any'"; rc=1; }
for i in 0 2; do
	n=$(tshark -n -r "$T/m$i.pcap" 2>/dev/null | wc -l)
	if grep -q "capture l7m$i: read $n, kernel drops 0, interface drops 0" \
	    "$T/two.err"; then
		echo "  [ok] l7m$i: the probe read the $n frames tcpdump saw"
	else
		echo "  [FAIL] l7m$i: tcpdump saw $n frames; probe: $(grep "capture l7m$i" "$T/two.err")"
		rc=1
	fi
done
mergecap -w "$T/merged.pcapng" "$T/m0.pcap" "$T/m2.pcap" || fail "mergecap"
for p in two any; do
	echo "=== probe $p against both interfaces' captures"
	timeout 40 "$PYTHON" "$check_py" compare --pcap "$T/merged.pcapng" \
		--json "$T/$p.json" --stderr "$T/$p.err" \
		--http-ports "$HTTP,$TLS" \
		--expect-http $((2 * (2 * N_HTTP + N_TLS))) \
		--udp-port "$UDPP" --expect-udp-pkts 5 --expect-udp-flows 2 \
		--expect-ping "$N_PING" --expect-nonip 4 || rc=1
done
# Each record carries the ifIndex of the interface it was captured on:
# from the capture for -i X -i Y, from the cooked v2 header for "any".
idx0=$(ip netns exec "$NSA" cat /sys/class/net/l7m0/ifindex)
idx2=$(ip netns exec "$NSA" cat /sys/class/net/l7m2/ifindex)
for p in two any; do
	"$PYTHON" - "$T/$p.json" "$idx0" "$idx2" "$p" <<'PYEOF' || rc=1
import json, sys
path, idx0, idx2, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
want = {"10.82.1.": idx0, "fd00:82:1:": idx0, "10.82.2.": idx2,
        "fd00:82:2:": idx2}
checked = bad = 0
for line in open(path):
    r = json.loads(line)
    for pfx, idx in want.items():
        if r["ip_src"].startswith(pfx) or r["ip_dst"].startswith(pfx):
            checked += 1
            if r.get("ingress_interface") != idx:
                bad += 1
                print("  !! %s %s -> %s: ingress_interface %s, expected %d"
                      % (name, r["ip_src"], r["ip_dst"],
                         r.get("ingress_interface"), idx))
            break
ok = checked > 0 and bad == 0
print("  [%s] %s: ingress_interface right in %d of %d records"
      % ("ok" if ok else "FAIL", name, checked - bad, checked))
sys.exit(0 if ok else 1)
PYEOF
done
n=$(grep -c '"dst_port":53,' "$T/two.json")
[ "$n" = $((2 * N_DNS)) ] || { echo "  [FAIL] $n DNS records, expected $((2 * N_DNS))"; rc=1; }
[ "$rc" = 0 ] && say "PASS" || say "FAIL"
exit "$rc"
