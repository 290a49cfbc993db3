#!/bin/sh
# pcap_mapped.sh - a classic pcap file read by the probe's own record
# walker (a regular file: mapped) gives exactly what libpcap's reading
# gives (the same file on standard input): the same records in the same
# order, the same counters and exit status; with a BPF filter too; and a
# file cut inside a record header or inside a frame ends with libpcap's
# message and exit status 1, every packet before the cut exported. With
# two workers (each walks the mapped file, libpcap reads the cut end),
# the same counters and records, as a set.
#
# Exit: 0 pass, 1 fail, 99 no probe binary.
set -u
. "$(dirname "$0")/lib.sh"

[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }

fails=0
n=0
# same FILE ARGS...: -r FILE against -r - <FILE.
same() {
	f=$1; shift
	"$L7PROBE" -r "$f" --threads 1 "$@" -n "json:$tmp/out.json" \
	    2>"$tmp/map.err"
	st1=$?
	mv "$tmp/out.json" "$tmp/map.json" 2>/dev/null
	"$L7PROBE" -r - --threads 1 "$@" -n "json:$tmp/out.json" \
	    2>"$tmp/std.err" <"$f"
	st2=$?
	mv "$tmp/out.json" "$tmp/std.json" 2>/dev/null
	# The file is named "-" on standard input.
	sed "s#'$f'#'-'#" "$tmp/map.err" >"$tmp/map.err2"
	if [ "$st1" != "$st2" ] || ! cmp -s "$tmp/map.json" "$tmp/std.json" ||
	    ! cmp -s "$tmp/map.err2" "$tmp/std.err"; then
		echo "FAIL $f $*: mapped and libpcap reading differ (status $st1, $st2)"
		diff "$tmp/map.err2" "$tmp/std.err" | head -6
		fails=$((fails + 1))
	fi
	n=$((n + 1))
}

for f in "$srcdir"/tests/data/*.pcap; do
	same "$f"
	same "$f" --no-dpi -f "udp or icmp6"
done

# Cut inside the last record's header, then inside its frame.
src=$srcdir/tests/data/dns_fragmented.pcap
size=$(wc -c <"$src")
for cut in 7 300; do
	head -c $((size - cut)) "$src" >"$tmp/cut.pcap"
	same "$tmp/cut.pcap"
	[ "$st1" = 1 ] || { echo "FAIL: cut by $cut bytes: status $st1, not 1"; fails=$((fails + 1)); }
	grep -q "truncated dump file" "$tmp/map.err" ||
	    { echo "FAIL: cut by $cut bytes: no libpcap message"; cat "$tmp/map.err"; fails=$((fails + 1)); }
	grep -q "packets: read [1-9][0-9]*, in records [1-9]" "$tmp/map.err" ||
	    { echo "FAIL: cut by $cut bytes: packets before the cut not exported"; fails=$((fails + 1)); }
	"$L7PROBE" -r "$tmp/cut.pcap" --threads 2 -n "json:$tmp/two.json" \
	    2>"$tmp/two.err"
	st=$?
	sort "$tmp/map.json" >"$tmp/a"
	sort "$tmp/two.json" >"$tmp/b"
	if [ "$st" != "$st1" ] || ! cmp -s "$tmp/a" "$tmp/b" ||
	    [ "$(grep -E 'packets:|ignored:|error' "$tmp/map.err")" != \
	    "$(grep -E 'packets:|ignored:|error' "$tmp/two.err")" ]; then
		echo "FAIL: cut by $cut bytes: two workers differ (status $st)"
		diff "$tmp/map.err" "$tmp/two.err" | head -6
		fails=$((fails + 1))
	fi
done
echo "$n comparisons, $fails failures"
[ "$fails" -eq 0 ]
