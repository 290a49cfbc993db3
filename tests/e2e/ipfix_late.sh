#!/bin/sh
# ipfix_late.sh - a UDP collector started after the probe decodes records
# within one template refresh period.
#
# A pcap stream fed through a pipe (pcapfeed.py | l7probe -r -) makes
# records all along; the probe exports over UDP with --template-refresh 2
# (and a large --template-refresh-packets, so time alone drives the
# refresh). ipfix_collector.py starts 3 s later: the data it receives
# before the next template refresh cannot be decoded (no template yet),
# and from the refresh on every data set decodes. The test checks that
# the first decoded flow record came at most one refresh period (plus the
# probe's one-second export tick) after the collector's first message.
# Datagrams sent before the collector listened are refused (ICMP port
# unreachable): when one held records, the probe says how many records it
# lost and exits 1; when only templates went to nobody, it exits 0.
#
# Exit: 0 pass, 1 fail, 77 skip (python3 missing), 99 hard error. About
# 10 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON" timeout
skip_unless_ipfix
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/ipfix_collector.py" ] || e2edir=$srcdir/tests/e2e
cap=$srcdir/tests/data/instagram.pcap
refresh=2

port=$(free_port udp)
( "$PYTHON" "$e2edir/pcapfeed.py" "$cap" --seconds 8 2>"$tmp/feed.err" |
    timeout 30 "$L7PROBE" -r - --active-timeout 1 --idle-timeout 1 \
    --template-refresh $refresh --template-refresh-packets 100000 \
    -n "ipfix://127.0.0.1:$port" 2>"$tmp/probe.err"
  echo $? >"$tmp/probe.rc" ) &
run=$!
at_exit "kill $run 2>/dev/null"
sleep 3
"$PYTHON" "$e2edir/ipfix_collector.py" --udp "$port" --out "$tmp/late.lines" \
    >"$tmp/coll.stdout" 2>"$tmp/coll.stderr" &
cpid=$!
at_exit "kill -9 $cpid 2>/dev/null"
wait $run
sleep 0.5
kill "$cpid"

"$PYTHON" - "$tmp" "$refresh" <<'PYEOF'
import json, sys

tmp, refresh = sys.argv[1], float(sys.argv[2])
failures = []

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)

ms = [json.loads(l) for l in open(tmp + "/late.lines") if l.strip()]
rc = int(open(tmp + "/probe.rc").read())
print(open(tmp + "/feed.err").read().strip())
perr = open(tmp + "/probe.err").read()
import re
lost = re.search(r"collector 'ipfix://127\.0\.0\.1:\d+': (\d+) records lost "
                 r"over UDP: (\d+) in \d+ datagrams refused by the collector's "
                 r"host \(ICMP port unreachable: nobody listening\), 0 in 0 ", perr)
if lost is not None:
    check(rc == 1 and int(lost.group(1)) > 0,
          "exit status 1 with records refused before the collector listened "
          "(%d; %s)" % (rc, lost.group(0)))
else:
    check(rc == 0 and "records lost" not in perr,
          "exit status 0, no record lost (%d)" % rc)
check(len(ms) > 0, "the late collector got %d messages" % len(ms))
if ms:
    t0 = ms[0]["t"]
    dec = [m for m in ms if m["flows"]]
    lost = sum(m["undecoded_sets"] for m in ms)
    check(len(dec) > 0, "it decoded flow records (%d messages)" % len(dec))
    if dec:
        dt = dec[0]["t"] - t0
        check(dt <= refresh + 1.5, "first decoded flow record %.2f s after "
              "its first message (refresh %g s)" % (dt, refresh))
        after = [m for m in ms if m["t"] >= dec[0]["t"]]
        check(all(m["undecoded_sets"] == 0 for m in after),
              "every data set decodes from then on")
    print("note: %d data set(s) arrived before the templates" % lost)
if failures:
    print(open(tmp + "/probe.err").read())
    sys.exit(1)
PYEOF
# Not exec: the exit trap of lib.sh stops the helpers and removes $tmp.
exit $?
