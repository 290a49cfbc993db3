#!/bin/sh
# pipe_sigterm.sh - SIGTERM while the probe waits on a pipe (-r -): the
# read is interrupted, and that is the stop asked for, not a cut file:
# every packet read is exported, exit status 0, no error message.
# SIGUSR1 in the same wait does not break the read: the probe goes on and
# logs the counters once the read returns.
#
# Exit: 0 pass, 1 fail, 99 no probe binary.
set -u
. "$(dirname "$0")/lib.sh"

[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
rc=0
mkfifo "$tmp/feed" || { echo "ERROR: mkfifo"; exit 99; }
"$L7PROBE" -r - -n "json:$tmp/out.json" <"$tmp/feed" 2>"$tmp/err" &
pid=$!
at_exit "kill -9 $pid 2>/dev/null"
# The writer keeps the pipe open after the capture: the probe waits.
exec 3>"$tmp/feed"
cat "$srcdir/tests/data/instagram.pcap" >&3
sleep 1
kill -USR1 "$pid"
sleep 0.3
kill -0 "$pid" 2>/dev/null || { echo "FAIL: SIGUSR1 ended the probe"; rc=1; }
# The same packets again (no file header): the read returns, the counters
# are logged, the probe waits again.
tail -c +25 "$srcdir/tests/data/instagram.pcap" >&3
sleep 1
kill -TERM "$pid"
wait "$pid"
st=$?
exec 3>&-
cat "$tmp/err"
[ "$st" = 0 ] || { echo "FAIL: exit status $st, expected 0"; rc=1; }
grep -q "error\|Interrupted" "$tmp/err" &&
	{ echo "FAIL: an error message for the stop asked for"; rc=1; }
grep -q "stats: packets 84[78] " "$tmp/err" ||
	{ echo "FAIL: no statistics line on SIGUSR1"; rc=1; }
grep -q "packets: read 1694, in records 1692, ignored 2" "$tmp/err" ||
	{ echo "FAIL: not every packet read was exported"; rc=1; }
[ "$rc" = 0 ] && echo "ok: a stop while reading a pipe is a clean stop"
exit "$rc"
