#!/bin/sh
# stats_lines.sh - --stats-interval and the exit summary.
# A pcap stream fed through a pipe for about 3.5 s (pcapfeed.py, packet
# time runs like a clock, --active-timeout 1 makes records all along):
#  - --stats-interval 1 logs at least 2 lines of counters while it runs,
#    each with packets, drops, active flows, records by reason and the
#    collector's records;
#  - the exit summary's records by reason add up to the records exported,
#    and equal the records in the JSON file; empty records are said apart;
#  - with standard error not a terminal there is no progress line.
#
# Exit: 0 pass, 1 fail, 77 skip (python3 missing), 99 no probe binary.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON" timeout
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/pcapfeed.py" ] || e2edir=$srcdir/tests/e2e
rc=0
fail() { echo "FAIL: $*"; rc=1; }

"$PYTHON" "$e2edir/pcapfeed.py" "$srcdir/tests/data/instagram.pcap" \
	--seconds 3.5 --pps 500 2>"$tmp/feed.err" |
	timeout 30 "$L7PROBE" -r - --stats-interval 1 --active-timeout 1 \
	--idle-timeout 1 -n "json:$tmp/out.json" 2>"$tmp/err"
st=$?
cat "$tmp/err"
[ "$st" = 0 ] || fail "exit status $st"
n=$(grep -c "^l7probe: \(info: \)\?stats: packets [0-9]* ([0-9]*/s), kernel drops 0, interface drops 0, active flows [0-9]*, records [0-9]* (idle [0-9]*, active [0-9]*, end [0-9]*, forced [0-9]*, resources [0-9]*, plugin [0-9]*); json:$tmp/out.json: records [0-9]*, failed 0" "$tmp/err")
[ "$n" -ge 2 ] || fail "$n statistics lines, expected at least 2"

"$PYTHON" - "$tmp/err" "$tmp/out.json" <<'PYEOF' || rc=1
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"records: (\d+) exported \(idle (\d+), active (\d+), "
              r"end (\d+), forced (\d+), resources (\d+), plugin (\d+)\)",
              text)
if not m:
    print("FAIL: no 'records: N exported (...)' line")
    sys.exit(1)
total, *by = map(int, m.groups())
lines = sum(1 for _ in open(sys.argv[2]))
ok = total == sum(by) == lines
print("%s: records exported %d, by reason sum %d, JSON lines %d"
      % ("ok" if ok else "FAIL", total, sum(by), lines))
m = re.search(r"records: (\d+) empty, not exported \(([^)]*)\)", text)
if m:
    parts = re.findall(r"(\w+) (\d+)", m.group(2))
    s = sum(int(v) for _, v in parts)
    print("%s: %s empty records, by reason sum %d"
          % ("ok" if s == int(m.group(1)) else "FAIL", m.group(1), s))
    ok = ok and s == int(m.group(1))
sys.exit(0 if ok else 1)
PYEOF
if grep -q "$(printf '\r')" "$tmp/err"; then
	fail "a progress line while standard error is a file"
fi
[ "$rc" = 0 ] && echo "ok: statistics lines and exit summary"
exit "$rc"
