#!/bin/sh
# threads_same.sh - --threads 2 (and 4 on the bundled samples) gives the
# same records as --threads 1, as sets: every field of every JSON record,
# the accounting line, the ignored, records, fragment and dpi counters
# (the flow peak is left out: with workers it is the sum of the shards'
# peaks). Run on tests/data and on every capture of the shared corpus.
#
# Captures known to differ, each for a stated cause, are listed in KNOWN
# below: they must still keep the accounting and the exit status. The
# shard key is random, so one of them may match on a run; the test says
# when one does (then check whether its cause is gone).
. "$(dirname "$0")/lib.sh"

# Causes (doc/ARCHITECTURE.md, "Threads"):
#  span    timestamps over more than 24.8 days apart: the table's 32-bit
#          millisecond deadlines compare wrongly across such a jump, so
#          the outcome depends on which times a table saw
#  frag    later fragments orphaned by the fragment cache timeout: their
#          flow starts when the cache entry is dropped, a table time
#  ndpi    nDPI's caches across flows (STUN, Zoom, ...): one module per
#          worker does not see the other workers' flows
KNOWN="
avast.pcap span
crynet.pcap span
emotet.pcap span
false_positives.pcapng span
fuzz-2006-06-26-2594.pcap frag
genshin-impact.pcap span
malware.pcap span
sites.pcapng span
snmp.pcap span
softether.pcap span
stun_google_meet.pcapng span
stun_signal.pcapng ndpi
syslog.pcap span
tinc.pcap ndpi
viber.pcap span
xiaomi.pcap span
zoom.pcap span
zoom2.pcap ndpi
"

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

fails=0
n=0
check() {	# FILE N...
	f=$1; shift
	base=$(basename "$f")
	known=$(echo "$KNOWN" | awk -v b="$base" '$1 == b { print $2 }')
	run "$f" 1 "$tmp/t1"
	for t in "$@"; do
		run "$f" "$t" "$tmp/t$t"
		if ! cmp -s "$tmp/t1.st" "$tmp/t$t.st" ||
		    ! cmp -s "$tmp/t1.cnt" "$tmp/t$t.cnt" &&
		    [ -z "$known" ]; then
			echo "FAIL $f: --threads $t: exit status or counters differ"
			diff "$tmp/t1.cnt" "$tmp/t$t.cnt" | head -6
			fails=$((fails + 1))
		fi
		# Accounting holds whatever the cause: same packets read,
		# in records, ignored.
		if ! cmp -s "$tmp/t1.st" "$tmp/t$t.st" ||
		    [ "$(sed -n 1p "$tmp/t1.cnt")" != "$(sed -n 1p "$tmp/t$t.cnt")" ]; then
			[ -n "$known" ] && { echo "FAIL $f: --threads $t: accounting or exit status differ"; fails=$((fails + 1)); }
		fi
		if cmp -s "$tmp/t1.rec" "$tmp/t$t.rec" &&
		    cmp -s "$tmp/t1.cnt" "$tmp/t$t.cnt"; then
			same=1
		else
			same=0
		fi
		if [ "$same" = 0 ] && [ -z "$known" ]; then
			echo "FAIL $f: --threads $t: records differ"
			diff "$tmp/t1.rec" "$tmp/t$t.rec" | head -4 | cut -c1-300
			fails=$((fails + 1))
		fi
	done
	[ -s "$tmp/t1.rec" ] || [ "$(sed -n 's/.*in records \([0-9]*\).*/\1/p' "$tmp/t1.cnt")" = 0 ] ||
	    { echo "FAIL $f: no records"; fails=$((fails + 1)); }
	n=$((n + 1))
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
	# Known differences that went away: the list must be kept true.
	echo "$KNOWN" | while read -r b why; do
		[ -n "$b" ] || continue
		p=$(grep "/$b\$" "$tmp/list" | head -1)
		[ -n "$p" ] || continue
		run "$p" 1 "$tmp/k1"; run "$p" 2 "$tmp/k2"; run "$p" 4 "$tmp/k4"
		if cmp -s "$tmp/k1.rec" "$tmp/k2.rec" && cmp -s "$tmp/k1.rec" "$tmp/k4.rec" &&
		    cmp -s "$tmp/k1.cnt" "$tmp/k2.cnt" && cmp -s "$tmp/k1.cnt" "$tmp/k4.cnt"; then
			echo "NOTE $b ($why) now gives the same records with 2 and 4 workers: remove it from KNOWN"
		fi
	done
fi
echo "$n captures compared, $fails failures"
[ "$fails" -eq 0 ]
