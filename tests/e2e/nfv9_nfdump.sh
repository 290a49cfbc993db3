#!/bin/sh
# nfv9_nfdump.sh - NetFlow v9 export read by nfcapd/nfdump 1.7: for the
# shipped capture and a few of the shared corpus (IPv6, VLAN, fragments,
# ICMP), nfcapd decodes every export packet without error or sequence gap,
# and nfdump shows the flows tshark finds in the capture, with their
# packets and bytes per direction, and each direction's first and last
# packet time within 1 ms (flowStartMilliseconds/flowEndMilliseconds of
# the default template).
#
# tshark is the oracle (flowcmp.py's rules, through nfv9check.py); the
# probe runs with --no-tunnels, as the default template has no tunnel id.
# Exit: 0 pass, 1 fail, 77 skip (nfcapd, nfdump or tshark missing), 99
# error. A few seconds.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/nfcapd.sh
. "$here/nfcapd.sh"

skip_unless_cmd nfcapd nfdump tshark "$PYTHON"
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
shipped=$here/../data/instagram.pcap
[ -f "$shipped" ] || shipped=$srcdir/tests/data/instagram.pcap

set -- "$shipped"
for f in http_ipv6.pcap dns_fragmented.pcap ajp.pcap dns.pcap \
    icmp-tunnel.pcap ookla.pcap; do
	if [ -f "$L7_PCAPS/ndpi/$f" ]; then
		set -- "$@" "$L7_PCAPS/ndpi/$f"
	else
		echo "note: $L7_PCAPS/ndpi/$f missing, not compared"
	fi
done

st=0
i=0
for pcap in "$@"; do
	i=$((i + 1))
	port=$(free_port udp)
	nfcapd_start "nf$i" "$port"
	if ! timeout 30 "$L7PROBE" -q -r "$pcap" --no-tunnels \
	    -n "nfv9://127.0.0.1:$port" 2>"$tmp/probe$i.err"; then
		echo "FAIL: l7probe on $pcap:"
		cat "$tmp/probe$i.err"
		st=1
	fi
	nfcapd_stop "nf$i"
	timeout 60 "$PYTHON" "$here/nfv9check.py" nfdump "$tmp/nf$i" "$pcap"
	r=$?
	[ $r -gt $st ] && st=$r
done
[ $st -eq 2 ] && st=99
exit $st
