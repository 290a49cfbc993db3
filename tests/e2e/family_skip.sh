#!/bin/sh
# family_skip.sh - a template that can carry one IP family only: the other
# family's records are skipped and counted by every template collector
# (NetFlow v9 over UDP, IPFIX into a file: "failed" records, and the
# uniflow records "skipped (IP family not in the template)"), the run goes
# on to the end (no "stopped reading", every other record exported), and
# the exit status 1 says records were lost; a template that can carry
# neither family is refused at start with exit status 2.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"
cap="$L7_PCAPS/ipfixprobe/mixed.pcap"
[ -f "$cap" ] || { echo "skip: no $cap"; exit 77; }
"$L7PROBE" -V | grep -q "IPFIX: none" && { echo "skip: no IPFIX"; exit 77; }
port=$(free_port udp)
fails=0

printf 'sourceIPv4Address\ndestinationIPv4Address\nprotocolIdentifier\npacketDeltaCount\n' \
    >"$tmp/v4.tmpl"
printf 'sourceIPv6Address\npacketDeltaCount\n' >"$tmp/v6.tmpl"
printf 'ndpiProtocolIds\n' >"$tmp/none.tmpl"

for fam in 4 6; do
	other=$((10 - fam))
	"$L7PROBE" -r "$cap" -T "$tmp/v$fam.tmpl" -n "json:$tmp/out.json" \
	    -n "nfv9://127.0.0.1:$port" -n "ipfix-file:$tmp/out.ipfix" \
	    2>"$tmp/stderr"
	rc=$?
	# The other family's records, and their uniflow records (one per
	# direction with packets).
	set -- $("$PYTHON" -c '
import json, sys
n = u = t = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    d = (r["src_to_dst_pkts"] > 0) + (r["dst_to_src_pkts"] > 0)
    t += d
    if r["ip_version"] == int(sys.argv[2]):
        n += 1
        u += d
print(n, u, t - u)' "$tmp/out.json" "$other")
	recs=$1 want=$2 kept=$3
	v9k=$(sed -n "s/.*nfv9:.*uniflow records \([0-9]*\),.*/\1/p" "$tmp/stderr")
	ipk=$(sed -n "s/.*ipfix-file:.*ipfix records \([0-9]*\),.*/\1/p" "$tmp/stderr")
	v9=$(sed -n "s/.*nfv9:.*skipped (IP family not in the template) \([0-9]*\).*/\1/p" "$tmp/stderr")
	ipfix=$(sed -n "s/.*ipfix-file:.*skipped (IP family not in the template) \([0-9]*\).*/\1/p" "$tmp/stderr")
	v9f=$(sed -n "s/.*nfv9:.*records given [0-9]*, failed \([0-9]*\)$/\1/p" "$tmp/stderr")
	ipf=$(sed -n "s/.*ipfix-file:.*records given [0-9]*, failed \([0-9]*\)$/\1/p" "$tmp/stderr")
	if [ $rc -eq 1 ] && [ "$want" -gt 0 ] && [ "$v9" = "$want" ] &&
	    [ "$ipfix" = "$want" ] && [ "$v9f" = "$recs" ] &&
	    [ "$ipf" = "$recs" ] && [ "$v9k" = "$kept" ] &&
	    [ "$ipk" = "$kept" ] &&
	    ! grep -q "stopped reading" "$tmp/stderr"; then
		echo "ok: IPv$fam-only template: $recs IPv$other records ($want uniflow) skipped and counted by both, the other $kept exported, exit 1"
	else
		echo "FAIL: IPv$fam-only template: exit $rc, want $recs/$want, v9 '$v9f'/'$v9'/'$v9k', ipfix '$ipf'/'$ipfix'/'$ipk' (kept $kept)"
		cat "$tmp/stderr"
		fails=$((fails + 1))
	fi
done

"$L7PROBE" -r "$cap" -T "$tmp/none.tmpl" -n "nfv9://127.0.0.1:$port" \
    2>"$tmp/stderr"
rc=$?
if [ $rc -eq 2 ] && grep -q "no element left for IPv4 netflow v9; .*IPv6" "$tmp/stderr"; then
	echo "ok: a template that carries neither family: refused, exit 2"
else
	echo "FAIL: neither family: exit $rc: $(cat "$tmp/stderr")"
	fails=$((fails + 1))
fi
[ $fails -eq 0 ]
