#!/bin/sh
# ipfix_mtu.sh - an IPFIX template whose records cannot fit a UDP message
# of --mtu bytes, even with every string cut short, is refused at start
# (exit 2, one line saying how many bytes a record needs), instead of
# every such record being dropped while the probe runs. At exactly the
# size the probe names, it runs and every record reaches the collector in
# datagrams no larger than --mtu. Without --mtu, to a collector on this
# host, the datagrams are larger than 1400 bytes and at most 8192.
#
# The template: the default one, biflow, with the pkt_stats and first_pkts
# plugins' fields (an IPv6 record of well over 500 bytes).
#
# Exit: 0 pass, 1 fail, 77 skip (no libfixbuf, python3 missing), 99 hard
# error. About 2 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON"
skip_unless_ipfix
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/ipfix_collector.py" ] || e2edir=$srcdir/tests/e2e
cap=$srcdir/tests/data/instagram.pcap
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

port=$(free_port udp)
set -- -r "$cap" --biflow --plugin pkt_stats --plugin first_pkts

# runs MTU: the probe into a port nobody listens on; status in $rc.
runs() {
	"$L7PROBE" "$@" -n "ipfix://127.0.0.1:$port" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

runs "$@" --mtu 512
if [ $rc -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
    ! grep -q "more than the message size of 512: .*raise --mtu" "$tmp/err"
then
	fail "--mtu 512: want exit 2 and one line naming the size, got $rc:"
	cat "$tmp/err"
	exit 1
fi
echo "ok: --mtu 512 refused: $(cat "$tmp/err")"
need=$(sed -n 's/.* takes \([0-9]*\) bytes .*/\1/p' "$tmp/err")
case $need in
''|*[!0-9]*) echo "FAIL: no size in the message"; exit 1 ;;
esac
[ "$need" -gt 512 ] || fail "the size named, $need, is not above 512"

runs "$@" --mtu $((need - 1))
[ $rc -eq 2 ] && grep -q "more than the message size of $((need - 1))" \
    "$tmp/err" || fail "--mtu $((need - 1)): want refused, got $rc"

# collect NAME MIN MAX [PROBE ARGS]: the probe into a fresh collector; every
# record exported must be decoded, with the largest message above MIN and
# at most MAX bytes.
collect() {
	name=$1 min=$2 max=$3
	shift 3
	"$PYTHON" "$e2edir/ipfix_collector.py" --udp "$port" \
	    --out "$tmp/$name.lines" >"$tmp/$name.out" 2>"$tmp/$name.cerr" &
	cpid=$!
	at_exit "kill -9 $cpid 2>/dev/null"
	n=0
	while ! grep -q listening "$tmp/$name.out" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 100 ] && { echo "ERROR: collector did not start"; exit 99; }
		sleep 0.1
	done
	runs "$@"
	sleep 0.5
	kill "$cpid"
	wait "$cpid" 2>/dev/null
	[ $rc -eq 0 ] || { fail "$name: exit $rc"; cat "$tmp/err"; }
	! grep -q "does not fit" "$tmp/err" || fail "$name: records dropped"
	exported=$(sed -n 's/^l7probe: records: \([0-9]*\) exported.*/\1/p' \
	    "$tmp/err")
	"$PYTHON" - "$tmp/$name.lines" "$exported" "$min" "$max" "$name" \
	    <<'PYEOF' || fails=$((fails + 1))
import json, sys

lines, exported, lo, hi, name = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ms = [json.loads(l) for l in open(lines) if l.strip()]
flows = sum(len(m["flows"]) for m in ms)
big = max(m["len"] for m in ms)
undecoded = sum(m["undecoded_sets"] for m in ms)
ok = flows == exported and lo < big <= hi and undecoded == 0 and exported > 0
print("%s: %s: %d flow records decoded of %d exported, %d messages, the "
      "largest %d bytes (want above %d, at most %d), undecoded sets %d" %
      ("ok" if ok else "FAIL", name, flows, exported, len(ms), big, lo, hi,
       undecoded))
sys.exit(0 if ok else 1)
PYEOF
}

# At the size named: runs, and the collector gets every record.
collect at_need 0 "$need" "$@" --mtu "$need"
# No --mtu, the collector on this host (127.0.0.1): messages up to 8192
# bytes (EXP_MTU_LOCAL), above the 1400 of a collector elsewhere.
collect local 1400 8192 "$@"

[ $fails -eq 0 ] || exit 1
exit 0
