#!/bin/sh
# fault_delivery.sh - the collector faults of doc/FAULTS.md, each with the
# counters the probe prints checked against what really arrived:
#
# 1. UDP, nobody listening (IPFIX and NetFlow v9): every datagram is sent
#    (handed to the kernel) and counted as refused when ICMP says so.
# 2. TCP collector stopped (SIGSTOP) with a small window while the probe
#    exports and exits: records are sent (acknowledged), unacknowledged or
#    dropped, never "dropped" when they arrive after SIGCONT.
# 3. --export-queue 1, 10, 100 with a healthy TCP collector: every record
#    arrives, none dropped, exit status 0.
# 4. A full file system (an 8 KiB tmpfs mounted here) for json: and
#    ipfix-file:, and json:/dev/full: the counters equal what the file
#    holds, the file holds whole records only.
# 5. json:- and ipfix-file:- together: refused at start, exit status 2.
# 6. Standard output closed by its reader (l7probe | a reader that
#    closes): quiet end, exit status 0, every record counted once.
# 7. json+tcp://: the lines a TCP listener reads equal the json: file.
#
# Exit: 0 pass, 1 fail, 77 skip (python3 or ipfixDump missing), 99 hard
# error. About 15 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd "$PYTHON" timeout ipfixDump
skip_unless_ipfix
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/ipfix_collector.py" ] || e2edir=$srcdir/tests/e2e
cap=$srcdir/tests/data/instagram.pcap
fail=0

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# start_collector NAME ARGS...: runs the collector, waits until it listens.
start_collector() {
	_name=$1
	shift
	# A name used again: its old "listening" must not be taken as the
	# new collector's (the redirection truncates only once it runs).
	rm -f "$tmp/$_name.stdout"
	"$PYTHON" "$e2edir/ipfix_collector.py" "$@" >"$tmp/$_name.stdout" \
	    2>"$tmp/$_name.stderr" &
	eval "${_name}_pid=$!"
	at_exit "kill -9 $! 2>/dev/null"
	_n=0
	until grep -q listening "$tmp/$_name.stdout" 2>/dev/null; do
		_n=$((_n + 1))
		if [ $_n -gt 100 ]; then
			echo "ERROR: collector $_name did not start"
			exit 99
		fi
		sleep 0.05
	done
}

# field FILE REGEX: the first group of REGEX (Python syntax) in FILE.
field() {
	"$PYTHON" -c 'import re, sys
m = re.search(sys.argv[2], open(sys.argv[1]).read())
print(m.group(1) if m else "none")' "$1" "$2"
}

# --- 1. UDP, nobody listening --------------------------------------------
port=$(free_port udp)
"$L7PROBE" -r "$cap" -n "ipfix://127.0.0.1:$port" 2>"$tmp/udp.err"
sent=$(field "$tmp/udp.err" 'messages sent (\d+)')
refused=$(field "$tmp/udp.err" 'messages refused (\d+)')
recs=$(field "$tmp/udp.err" 'ipfix records (\d+)')
rrecs=$(field "$tmp/udp.err" 'messages refused \d+ \(records (\d+)\)')
if [ "$sent" != none ] && [ "$sent" -gt 0 ] && [ "$refused" = "$sent" ] &&
    [ "$rrecs" = "$recs" ]; then
	ok "ipfix/udp nobody listening: $sent sent, $refused refused ($rrecs of $recs records)"
else
	bad "ipfix/udp nobody listening: sent $sent, refused $refused, records $rrecs of $recs"
	cat "$tmp/udp.err"
fi
"$L7PROBE" -r "$cap" -n "nfv9://127.0.0.1:$port" 2>"$tmp/v9.err"
pk=$(field "$tmp/v9.err" 'nfv9://\S+: packets (\d+)')
pr=$(field "$tmp/v9.err" 'packets refused (\d+)')
if [ "$pk" != none ] && [ "$pk" -gt 0 ] && [ "$pr" = "$pk" ]; then
	ok "nfv9 nobody listening: $pk packets, $pr refused"
else
	bad "nfv9 nobody listening: packets $pk, refused $pr"
	cat "$tmp/v9.err"
fi

# --- 2. TCP collector stopped -----------------------------------------------
port=$(free_port tcp)
start_collector S --tcp "$port" --out "$tmp/s.lines" --rcvbuf 2048
kill -STOP "$S_pid"
timeout 30 "$L7PROBE" -r "$cap" -n "ipfix+tcp://127.0.0.1:$port" \
    2>"$tmp/stop.err"
echo $? >"$tmp/stop.rc"
kill -CONT "$S_pid"
# The kernel goes on sending what the probe left in its socket.
sleep 3
kill "$S_pid"
wait "$S_pid" 2>/dev/null
"$PYTHON" - "$tmp" <<'PYEOF' || fail=1
import json, re, sys
tmp = sys.argv[1]
err = open(tmp + "/stop.err").read()
m = re.search(r"ipfix records (\d+), messages sent \d+, bytes \d+, "
              r"messages dropped \d+, records dropped (\d+), reconnects \d+, "
              r"queued (\d+), records unacknowledged (\d+)", err)
if not m:
    print("FAIL: no statistics line\n" + err)
    sys.exit(1)
total, dropped, queued, unacked = map(int, m.groups())
seen, got = set(), 0
for l in open(tmp + "/s.lines"):
    msg = json.loads(l)
    if msg["digest"] not in seen:
        seen.add(msg["digest"])
        got += len(msg["flows"])
acked = total - dropped - unacked
rc = int(open(tmp + "/stop.rc").read())
fails = 0
def check(c, what):
    global fails
    print(("ok: " if c else "FAIL: ") + what)
    fails += not c
check(queued == 0, "stopped collector: nothing left queued (%d)" % queued)
check(unacked > 0, "stopped collector: %d records unacknowledged at exit"
      % unacked)
check(got >= acked, "every acknowledged record arrived (%d >= %d)"
      % (got, acked))
check(got <= total - dropped, "no record counted as dropped arrived "
      "(%d arrived, %d exported, %d dropped)" % (got, total, dropped))
check(rc == 1, "exit status 1: delivery not confirmed (%d)" % rc)
sys.exit(1 if fails else 0)
PYEOF

# --- 3. a queue smaller than a message ---------------------------------------
for q in 1 10 100; do
	port=$(free_port tcp)
	start_collector Q --tcp "$port" --out "$tmp/q$q.lines"
	timeout 30 "$L7PROBE" -r "$cap" --export-queue "$q" \
	    -n "ipfix+tcp://127.0.0.1:$port" 2>"$tmp/q$q.err"
	rc=$?
	sleep 0.3
	kill "$Q_pid"
	wait "$Q_pid" 2>/dev/null
	recs=$(field "$tmp/q$q.err" 'ipfix records (\d+)')
	dropped=$(field "$tmp/q$q.err" 'records dropped (\d+)')
	got=$("$PYTHON" -c 'import json, sys
print(sum(len(json.loads(l)["flows"]) for l in open(sys.argv[1])))' \
	    "$tmp/q$q.lines")
	if [ "$rc" = 0 ] && [ "$dropped" = 0 ] && [ "$got" = "$recs" ]; then
		ok "--export-queue $q: $got of $recs records arrived, none dropped"
	else
		bad "--export-queue $q: rc $rc, $got of $recs arrived, dropped $dropped"
		cat "$tmp/q$q.err"
	fi
done

# --- 4. a full file system ---------------------------------------------------
mnt=$tmp/mnt
mkdir "$mnt"
if ! mount -t tmpfs -o size=8k tmpfs "$mnt" 2>"$tmp/mount.err"; then
	echo "ERROR: cannot mount a tmpfs (root needed):"
	cat "$tmp/mount.err"
	exit 99
fi
at_exit "umount '$mnt'"
"$L7PROBE" -r "$cap" -n "json:$mnt/f.json" 2>"$tmp/full.err"
echo "json on a full tmpfs: exit status $?"
"$PYTHON" - "$tmp/full.err" "$mnt/f.json" <<'PYEOF' || fail=1
import json, os, re, sys
err, path = sys.argv[1], sys.argv[2]
text = open(err).read()
m = re.search(r"records written (\d+), bytes (\d+), records dropped (\d+)",
              text)
data = open(path, "rb").read()
lines = data.split(b"\n")
whole = lines[:-1]
ok = m is not None and lines[-1] == b"" and \
    all(json.loads(l) for l in whole) and \
    int(m.group(1)) == len(whole) and int(m.group(2)) == len(data) and \
    int(m.group(1)) + int(m.group(3)) == 38 and int(m.group(3)) > 0
print(("ok: " if ok else "FAIL: ") + "json full disk: file %d bytes, %d "
      "whole lines, ends %s; counters %s" % (len(data), len(whole),
      "whole" if lines[-1] == b"" else "CUT", m and m.groups()))
sys.exit(0 if ok else 1)
PYEOF
rm -f "$mnt/f.json"
"$L7PROBE" -r "$cap" -n "ipfix-file:$mnt/f.ipfix" 2>"$tmp/fullx.err"
size=$(wc -c <"$mnt/f.ipfix")
bytes=$(field "$tmp/fullx.err" 'messages sent \d+, bytes (\d+)')
msgs=$(field "$tmp/fullx.err" 'messages sent (\d+)')
mdrop=$(field "$tmp/fullx.err" 'messages dropped (\d+)')
ipfixDump --in "$mnt/f.ipfix" >"$tmp/fullx.dump" 2>&1
dmsgs=$(grep -c "^--- Message Header ---" "$tmp/fullx.dump")
derr=$(grep -ci "error\|short\|truncat" "$tmp/fullx.dump")
if [ "$size" = "$bytes" ] && [ "$dmsgs" = "$msgs" ] && [ "$derr" = 0 ] &&
    [ "$mdrop" != none ] && [ "$mdrop" -gt 0 ]; then
	ok "ipfix-file full disk: $size bytes, $msgs whole messages, $mdrop dropped"
else
	bad "ipfix-file full disk: file $size bytes, counted $bytes; $dmsgs messages read, $msgs counted, $mdrop dropped, $derr errors"
	cat "$tmp/fullx.err"
	tail -5 "$tmp/fullx.dump"
fi
"$L7PROBE" -r "$cap" -n "json:/dev/full" 2>"$tmp/devfull.err"
rc=$?
w=$(field "$tmp/devfull.err" 'records written (\d+), bytes (\d+)')
d=$(field "$tmp/devfull.err" 'records dropped (\d+)')
if [ "$w" = 0 ] && [ "$d" = 38 ] && [ "$rc" = 1 ]; then
	ok "json:/dev/full: 0 written, 38 dropped, exit status 1"
else
	bad "json:/dev/full: written $w, dropped $d, exit status $rc"
	cat "$tmp/devfull.err"
fi

# --- 5. two collectors on standard output ------------------------------------
"$L7PROBE" -r "$cap" -n json:- -n ipfix-file:- >"$tmp/two.out" \
    2>"$tmp/two.err"
rc=$?
if [ "$rc" = 2 ] && [ ! -s "$tmp/two.out" ] &&
    grep -q "both write to standard output" "$tmp/two.err"; then
	ok "json:- with ipfix-file:- refused, exit status 2"
else
	bad "json:- with ipfix-file:-: exit status $rc"
	cat "$tmp/two.err"
fi

# --- 6. the reader of standard output goes away ------------------------------
( "$L7PROBE" -r "$cap" -n json:- 2>"$tmp/pipe.err"; echo $? >"$tmp/pipe.rc" ) |
    sh -c 'exec 0<&-; sleep 1'
rc=$(cat "$tmp/pipe.rc")
w=$(field "$tmp/pipe.err" 'records written (\d+)')
d=$(field "$tmp/pipe.err" 'records dropped (\d+)')
g=$(field "$tmp/pipe.err" 'records given (\d+)')
if [ "$rc" = 0 ] && ! grep -qi "error\|cannot" "$tmp/pipe.err" &&
    grep -q "the reader closed the pipe" "$tmp/pipe.err" &&
    [ "$w" != none ] && [ $((w + d)) = "$g" ]; then
	ok "closed pipe: quiet, exit status 0, $w written + $d dropped = $g given"
else
	bad "closed pipe: exit status $rc, written $w, dropped $d"
	cat "$tmp/pipe.err"
fi

# --- 7. JSON lines over TCP -------------------------------------------------
port=$(free_port tcp)
"$PYTHON" -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
with open(sys.argv[2], "wb") as out:
    while True:
        d = c.recv(65536)
        if not d:
            break
        out.write(d)' "$port" "$tmp/jt.lines" >"$tmp/jt.stdout" &
jt=$!
at_exit "kill $jt 2>/dev/null"
n=0
until grep -q listening "$tmp/jt.stdout" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 100 ] && { echo "ERROR: no listener"; exit 99; }
	sleep 0.05
done
timeout 30 "$L7PROBE" -r "$cap" -n "json+tcp://127.0.0.1:$port" \
    -n "json:$tmp/jt.json" 2>"$tmp/jt.err"
rc=$?
wait $jt
if [ "$rc" = 0 ] && cmp -s "$tmp/jt.lines" "$tmp/jt.json" &&
    grep -q "json+tcp://127.0.0.1:$port: records written 38," "$tmp/jt.err"
then
	ok "json+tcp: the same 38 lines as the file, exit status 0"
else
	bad "json+tcp: exit status $rc, lines differ or not counted"
	cat "$tmp/jt.err"
fi

exit $fail
