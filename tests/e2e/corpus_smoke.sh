#!/bin/sh
# corpus_smoke.sh - the probe on every capture shipped in tests/data and of
# the shared corpus (nDPI's, tcpdump's and ipfixprobe's test captures): no
# crash, no sanitizer report, and the accounting holds (read = in records +
# ignored) on each file.
# Exit 0 or 1 (cut capture) are fine; 2 only for a link type the decoder
# does not know, which must say so.
set -u
L7PROBE=${L7PROBE:-./l7probe}
L7_PCAPS=${L7_PCAPS:-${srcdir:-.}/../shared/pcaps}
data=${srcdir:-.}/tests/data
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# The captures shipped in tests/data always (so make distcheck and a
# tarball check real traffic), the shared corpus when it is there.
find "$data" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort >"$tmp/list"
if [ -d "$L7_PCAPS" ]; then
	find "$L7_PCAPS" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort >>"$tmp/list"
else
	echo "note: no corpus at $L7_PCAPS, the shipped sample only"
fi
[ "$(wc -l <"$tmp/list")" -ge 10 ] ||
    { echo "ERROR: too few captures (tests/data missing?)"; exit 99; }

# one FILE: prints "FAIL ..." lines for what is wrong with it.
one() {
	err=$(mktemp -p "$tmp")
	timeout 120 "$L7PROBE" -r "$1" -n json:/dev/null 2>"$err" >/dev/null
	st=$?
	case $st in
	0|1) ;;
	2) grep -q "is not supported" "$err" || echo "FAIL $1: exit 2: $(head -1 "$err")" ;;
	*) echo "FAIL $1: exit $st (crash or timeout)" ;;
	esac
	if grep -q -e "Sanitizer" -e "runtime error:" "$err"; then
		echo "FAIL $1: sanitizer report:"; head -20 "$err"
	fi
	if grep -q "accounting mismatch" "$err"; then
		echo "FAIL $1: $(grep 'accounting mismatch' "$err")"
	fi
	if [ $st -le 1 ]; then
		sed -n 's/.*packets: read \([0-9]*\), in records \([0-9]*\), ignored \([0-9]*\)/\1 \2 \3/p' "$err" |
		    { read -r r i g || { echo "FAIL $1: no counters"; exit; }
		      [ "$r" -eq $((i + g)) ] || echo "FAIL $1: read $r != $i + $g"; }
	fi
	rm -f "$err"
}
n=0
while read -r f; do
	one "$f" >>"$tmp/fails"
	n=$((n + 1))
done <"$tmp/list"
nf=$(grep -c '^FAIL' "$tmp/fails")
cat "$tmp/fails"
echo "$n captures, $nf failures"
[ "$nf" -eq 0 ]
