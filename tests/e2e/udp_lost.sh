#!/bin/sh
# udp_lost.sh - records known lost over UDP give exit status 1 (IPFIX and
# NetFlow v9, doc/FAULTS.md): with nobody listening, every datagram is
# refused (ICMP port unreachable); the probe says how many records it lost
# and to which collector, in a warning whose numbers equal its counters,
# and exits 1. With a listening collector that takes every datagram: no
# loss said, exit status 0, the datagrams the collector counts equal the
# messages the probe says it sent. (Datagrams the kernel does not take:
# tests/unit/test_transport, test_udp_dropped_at_exit.)
#
# Exit: 0 pass, 1 fail, 77 skip (python3 missing), 99 hard error. About
# 3 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON"
cap=$srcdir/tests/data/instagram.pcap
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# field FILE REGEX: the first group of REGEX (Python syntax) in FILE.
field() {
	"$PYTHON" -c 'import re, sys
m = re.search(sys.argv[2], open(sys.argv[1]).read())
print(m.group(1) if m else "none")' "$1" "$2"
}

# --- nobody listening ------------------------------------------------------
port=$(free_port udp)
# IPFIX only in a build with libfixbuf; NetFlow v9 in every build.
if have_ipfix; then
	u="ipfix://127.0.0.1:$port"
	"$L7PROBE" -r "$cap" -n "$u" 2>"$tmp/ipfix.err"
	rc=$?
	recs=$(field "$tmp/ipfix.err" 'ipfix records (\d+)')
	refused=$(field "$tmp/ipfix.err" 'messages refused (\d+)')
	rrecs=$(field "$tmp/ipfix.err" 'messages refused \d+ \(records (\d+)\)')
	lost=$(field "$tmp/ipfix.err" "collector '$u': (\\d+) records lost over UDP: \\d+ in $refused datagrams refused")
	if [ "$rc" = 1 ] && [ "$recs" != none ] && [ "$recs" -gt 0 ] &&
	    [ "$rrecs" = "$recs" ] && [ "$lost" = "$recs" ] &&
	    grep -q "error: records were dropped, refused or not acknowledged by 1 collector" "$tmp/ipfix.err"; then
		ok "ipfix, nobody listening: exit 1, $lost of $recs records said lost ($refused datagrams refused)"
	else
		bad "ipfix, nobody listening: exit $rc, records $recs, refused $rrecs, said lost $lost"
		cat "$tmp/ipfix.err"
	fi
else
	echo "--   ipfix, nobody listening: not checked, built without libfixbuf"
fi

u="nfv9://127.0.0.1:$port"
"$L7PROBE" -r "$cap" -n "$u" 2>"$tmp/v9.err"
rc=$?
recs=$(field "$tmp/v9.err" 'uniflow records (\d+)')
pr=$(field "$tmp/v9.err" 'packets refused (\d+)')
rrecs=$(field "$tmp/v9.err" 'packets refused \d+ \(records (\d+)\)')
lost=$(field "$tmp/v9.err" "collector '$u': (\\d+) records lost over UDP: \\d+ in $pr datagrams refused")
if [ "$rc" = 1 ] && [ "$recs" != none ] && [ "$recs" -gt 0 ] &&
    [ "$rrecs" = "$recs" ] && [ "$lost" = "$recs" ]; then
	ok "nfv9, nobody listening: exit 1, $lost of $recs records said lost ($pr packets refused)"
else
	bad "nfv9, nobody listening: exit $rc, records $recs, refused $rrecs, said lost $lost"
	cat "$tmp/v9.err"
fi

# -q (no counters): the loss is still said, the status still 1.
"$L7PROBE" -q -r "$cap" -n "$u" 2>"$tmp/q.err"
rc=$?
if [ "$rc" = 1 ] && grep -q "collector '$u': $recs records lost over UDP" "$tmp/q.err"; then
	ok "nfv9 -q, nobody listening: exit 1, the loss said"
else
	bad "nfv9 -q, nobody listening: exit $rc"
	cat "$tmp/q.err"
fi

# --- a collector that takes everything -------------------------------------
# A sink writes one line per datagram.
port=$(free_port udp)
udp_sink "$port" "$tmp/sink.lines"

if have_ipfix; then
	"$L7PROBE" -r "$cap" -n "ipfix://127.0.0.1:$port" \
	    -n "nfv9://127.0.0.1:$port" 2>"$tmp/ok.err"
	rc=$?
	sent=$(field "$tmp/ok.err" 'messages sent (\d+)')
else
	"$L7PROBE" -r "$cap" -n "nfv9://127.0.0.1:$port" 2>"$tmp/ok.err"
	rc=$?
	sent=0
fi
sleep 0.3
pk=$(field "$tmp/ok.err" 'nfv9://\S+: packets (\d+)')
got=$(wc -l <"$tmp/sink.lines")
if [ "$rc" = 0 ] && ! grep -q "records lost\|refused by\|error:" "$tmp/ok.err" &&
    [ "$sent" != none ] && [ "$pk" != none ] &&
    [ "$got" -eq $((sent + pk)) ]; then
	ok "ipfix and nfv9 to a listening collector: exit 0, $got datagrams received = $sent + $pk sent"
else
	bad "listening collector: exit $rc, received $got, sent $sent + $pk"
	cat "$tmp/ok.err"
fi

[ $fail -eq 0 ] && echo "PASS"
exit $fail
