#!/bin/sh
# pcapng_mixed.sh - a pcapng file whose interfaces have different link
# types (Ethernet, raw IP with nanosecond timestamps, Linux cooked; then a
# big-endian section), built by pcapng_mixed.py: the probe reads every
# packet, each by its own interface's link type, and its per-flow packets
# and bytes equal what tshark reads from the same file. Also with a BPF
# filter (compiled for each link type): the filtered counts add up.
#
# Exit: 0 pass, 1 fail, 77 skip (tshark missing), 99 no probe binary.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON" tshark
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/pcapng_mixed.py" ] || e2edir=$srcdir/tests/e2e

"$PYTHON" "$e2edir/pcapng_mixed.py" make "$tmp/mixed.pcapng" ||
	{ echo "ERROR: cannot build the capture"; exit 99; }
rc=0
"$L7PROBE" -r "$tmp/mixed.pcapng" -n "json:$tmp/all.json" 2>"$tmp/all.err"
st=$?
cat "$tmp/all.err"
[ "$st" = 0 ] || { echo "FAIL: exit status $st"; rc=1; }
grep -q "packets: read 32, in records 32, ignored 0" "$tmp/all.err" ||
	{ echo "FAIL: not every packet is in a record"; rc=1; }
"$PYTHON" "$e2edir/pcapng_mixed.py" compare "$tmp/mixed.pcapng" \
	"$tmp/all.json" || { echo "FAIL: flows differ from tshark's"; rc=1; }

# "udp" compiled for Ethernet, raw IP and cooked alike: 10 + 4 UDP
# packets pass, the 6 TCP and 12 ICMP ones are filtered.
"$L7PROBE" -r "$tmp/mixed.pcapng" -f udp -n "json:$tmp/udp.json" \
	2>"$tmp/udp.err"
st=$?
[ "$st" = 0 ] || { echo "FAIL: -f udp: exit status $st"; rc=1; }
grep -q "packets: read 32, in records 14, ignored 18" "$tmp/udp.err" &&
	grep -q "filtered 18" "$tmp/udp.err" ||
	{ echo "FAIL: -f udp: counts"; cat "$tmp/udp.err"; rc=1; }
[ "$rc" = 0 ] && echo "ok: every packet decoded by its interface's link type"
exit "$rc"
