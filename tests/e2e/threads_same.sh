#!/bin/sh
# threads_same.sh - --threads 2 (and 4 on the bundled samples) gives the
# same records as --threads 1, as sets: every field of every JSON record,
# the accounting line, the ignored, records, fragment and dpi counters
# (the flow peak is left out: with workers it is the sum of the shards'
# peaks). Run on tests/data and on every capture of the shared corpus,
# but for the captures where a known cause (below) lets records differ:
# those keep their exit status and accounting line.
. "$(dirname "$0")/lib.sh"

# Where records may differ, and why (doc/ARCHITECTURE.md, "Threads"); the
# exit status and the accounting line must match everywhere. The
# captures are named: any other capture must give the same records and
# counters.
#  ndpi    nDPI classifies with caches shared across flows (a flow
#          classified from what an earlier flow taught); one module per
#          worker does not see the other workers' flows. The records
#          without their classification fields, and the counters but
#          dpi's, must match.
# (Captures spanning more than 24.8 days are compared like any other:
# the table's deadlines are 64-bit, see test_deadline_long_gap.)
KNOWN="zoom2.pcap:ndpi"

# run FILE N OUT: records sorted, counters, exit status.
run() {
	"$L7PROBE" -r "$1" --threads "$2" -n "json:$3.json" 2>"$3.err"
	echo $? >"$3.st"
	sort "$3.json" >"$3.rec"
	grep -E "packets:|ignored:|records:|fragments:|dpi:" "$3.err" |
	    sed 's/, peak [0-9]*//' >"$3.cnt"
	grep -q -e "ThreadSanitizer" -e "Sanitizer" -e "runtime error:" "$3.err" &&
	    { echo "FAIL $1 --threads $2: sanitizer report:"; head -30 "$3.err"; fails=$((fails + 1)); }
	grep -q "accounting mismatch" "$3.err" &&
	    { echo "FAIL $1 --threads $2: $(grep 'accounting mismatch' "$3.err")"; fails=$((fails + 1)); }
	return 0
}

# again FILE N: after a difference, both runs once more, to say which
# side is not reproducible (a timing dependence) or that the difference
# is stable. The failure stands either way.
again() {
	run "$1" 1 "$tmp/r1"
	run "$1" "$2" "$tmp/r$2"
	for e in 1 "$2"; do
		if cmp -s "$tmp/t$e.st" "$tmp/r$e.st" &&
		    cmp -s "$tmp/t$e.rec" "$tmp/r$e.rec" &&
		    cmp -s "$tmp/t$e.cnt" "$tmp/r$e.cnt"; then
			echo "  run again: --threads $e gives the same"
		else
			echo "  run again: --threads $e gives OTHER results (exit $(cat "$tmp/r$e.st")): not reproducible"
			diff "$tmp/t$e.cnt" "$tmp/r$e.cnt" | head -4
			diff "$tmp/t$e.rec" "$tmp/r$e.rec" | head -4 | cut -c1-600
		fi
	done
}

fails=0
n=0
# strip FILE: the records without their classification fields.
strip() {
	"$PYTHON" -c '
import json, sys
drop = ("application_name", "category_name", "application_id",
    "application_is_guessed", "application_confidence",
    "requested_server_name", "client_fingerprint", "server_fingerprint",
    "user_agent")
for l in sys.stdin:
    d = json.loads(l)
    for k in drop:
        d.pop(k, None)
    print(json.dumps(d, sort_keys=True))
' <"$1" | sort
}
check() {	# FILE N...
	f=$1; shift
	base=$(basename "$f")
	run "$f" 1 "$tmp/t1"
	why=
	for k in $KNOWN; do
		[ "${k%:*}" = "$base" ] && why=${k#*:}
	done
	for t in "$@"; do
		run "$f" "$t" "$tmp/t$t"
		if ! cmp -s "$tmp/t1.st" "$tmp/t$t.st" ||
		    [ "$(sed -n 1p "$tmp/t1.cnt")" != "$(sed -n 1p "$tmp/t$t.cnt")" ]; then
			echo "FAIL $f: --threads $t: exit status or accounting differ"
			echo "  --threads 1: exit $(cat "$tmp/t1.st"); --threads $t: exit $(cat "$tmp/t$t.st")"
			diff "$tmp/t1.cnt" "$tmp/t$t.cnt" | head -6
			for e in 1 "$t"; do
				grep -v -E "packets:|ignored:|records:|fragments:|dpi:|collector " \
				    "$tmp/t$e.err" | head -5 | sed "s/^/  --threads $e: /"
			done
			again "$f" "$t"
			fails=$((fails + 1))
			continue
		fi
		case $why in
		ndpi)
			strip "$tmp/t1.rec" >"$tmp/s1"
			strip "$tmp/t$t.rec" >"$tmp/s2"
			grep -v "dpi:" "$tmp/t1.cnt" >"$tmp/c1"
			grep -v "dpi:" "$tmp/t$t.cnt" >"$tmp/c2"
			cmp -s "$tmp/s1" "$tmp/s2" && cmp -s "$tmp/c1" "$tmp/c2" &&
			    continue ;;
		*)
			cmp -s "$tmp/t1.rec" "$tmp/t$t.rec" &&
			    cmp -s "$tmp/t1.cnt" "$tmp/t$t.cnt" && continue ;;
		esac
		echo "FAIL $f: --threads $t: records or counters differ${why:+ (beyond its $why cause)}"
		diff "$tmp/t1.cnt" "$tmp/t$t.cnt" | head -6
		diff "$tmp/t1.rec" "$tmp/t$t.rec" | head -8 | cut -c1-600
		again "$f" "$t"
		fails=$((fails + 1))
	done
	[ -s "$tmp/t1.rec" ] || [ "$(sed -n 's/.*in records \([0-9]*\).*/\1/p' "$tmp/t1.cnt")" = 0 ] ||
	    { echo "FAIL $f: no records"; fails=$((fails + 1)); }
	n=$((n + 1))
	[ -z "$why" ] || echo "note: $base: $why"
}

for f in "$srcdir"/tests/data/*.pcap; do
	check "$f" 2 4
done
if [ -d "$L7_PCAPS" ]; then
	find "$L7_PCAPS" -type f \( -name '*.pcap' -o -name '*.pcapng' \) |
	    sort >"$tmp/list"
	while read -r f; do
		check "$f" 2
	done <"$tmp/list"
fi
echo "$n captures compared, $fails failures"
[ "$fails" -eq 0 ]
