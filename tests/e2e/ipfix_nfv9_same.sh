#!/bin/sh
# ipfix_nfv9_same.sh - the same capture exported at once as IPFIX and as
# NetFlow v9 (-n ipfix://... -n nfv9://...) to two nfcapd collectors:
# nfdump shows the same flows, packets and bytes per direction in both
# (the issue's "done when"), and nfcapd decodes every NetFlow v9 packet
# without error; what nfcapd says about the IPFIX packets is printed,
# IPFIX decoding being tested on its own. Run on the shipped capture and
# a few of the corpus (IPv6, VLAN, fragments).
#
# Exit: 0 pass, 1 fail, 77 skip (nfcapd or nfdump missing, or a probe
# built without IPFIX export), 99 error. A few seconds.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/nfcapd.sh
. "$here/nfcapd.sh"

skip_unless_cmd nfcapd nfdump "$PYTHON"
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
shipped=$here/../data/instagram.pcap
[ -f "$shipped" ] || shipped=$srcdir/tests/data/instagram.pcap

set -- "$shipped"
for f in http_ipv6.pcap dns_fragmented.pcap ajp.pcap; do
	[ -f "$L7_PCAPS/ndpi/$f" ] && set -- "$@" "$L7_PCAPS/ndpi/$f"
done

st=0
i=0
for pcap in "$@"; do
	i=$((i + 1))
	p4=$(free_port udp)
	nfcapd_start "ipfix$i" "$p4"
	p9=$(free_port udp)
	nfcapd_start "nfv9$i" "$p9"
	timeout 30 "$L7PROBE" -q -r "$pcap" -n "ipfix://127.0.0.1:$p4" \
	    -n "nfv9://127.0.0.1:$p9" 2>"$tmp/probe$i.err"
	r=$?
	if [ $r -ne 0 ]; then
		if grep -q -e "IPFIX export is not available" \
		    -e "ipfix.*unknown kind" "$tmp/probe$i.err"; then
			echo "SKIP: this probe cannot export IPFIX:"
			cat "$tmp/probe$i.err"
			exit 77
		fi
		echo "FAIL: l7probe on $pcap exits $r:"
		cat "$tmp/probe$i.err"
		st=1
	fi
	nfcapd_stop "ipfix$i" ipfix
	nfcapd_stop "nfv9$i"
	echo "$(basename "$pcap"): IPFIX, NetFlow v9:"
	"$PYTHON" "$here/nfv9check.py" same "$tmp/ipfix$i" "$tmp/nfv9$i"
	r=$?
	[ $r -gt $st ] && st=$r
done
[ $st -eq 2 ] && st=99
exit $st
