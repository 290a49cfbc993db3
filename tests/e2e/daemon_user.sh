#!/bin/sh
# daemon_user.sh - l7probe -D --user nobody on a live link, end to end.
#
# Two network namespaces of this test's own (unique names) joined by a
# veth pair; traffic only inside them. In namespace A: an IPFIX TCP
# collector on 127.0.0.1 (ipfix_collector.py), tcpdump on the veth end,
# and the probe started as a daemon:
#   l7probe -D -i VETH -f icmp -n ipfix+tcp://127.0.0.1:PORT -n json:FILE
#           --pidfile RUNDIR/l7probe.pid -u nobody
# Namespace B pings A all along. Checked:
#   - "l7probe -D" returns 0 once running; the pid file holds the
#     daemon's pid; a second probe with the same pid file exits 2 naming
#     it; the daemon's real, effective, saved and file-system uid and gid
#     are nobody's and it has no supplementary group but nogroup, no
#     capability, and no descriptor of the starting shell;
#   - it keeps capturing and exporting as nobody: the collector is killed
#     and restarted on the same port, the probe reconnects, both
#     collectors got flow records;
#   - with "rotate" as argument (tests/e2e/daemon_rotate.sh): the JSON file
#     is renamed and the probe gets SIGHUP mid-run: a new file appears
#     under the old name and records go on into it;
#   - after SIGTERM: the pid file is removed, and no packet is lost: the
#     ICMP packets of the JSON records (both files) and of the unique IPFIX
#     records each equal what tcpdump saw.
# A start-up error of a daemon (a collector refusing) exits 2 with the
# message, from the starting command.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, a tool missing).
# About 25 s.
set -u
. "$(dirname "$0")/lib.sh"

mode=${1:-}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
skip_unless_cmd ip tcpdump ping timeout "$PYTHON"
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/ipfix_collector.py" ] || e2edir=$srcdir/tests/e2e
probe=$(cd "$(dirname "$L7PROBE")" && pwd)/$(basename "$L7PROBE")
skip_unless_ipfix

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "ERROR: $*"; exit 99; }

sfx=$$
NSA=l7d-a-$sfx NSB=l7d-b-$sfx
IFA=l7da$sfx IFB=l7db$sfx
IFA=$(printf '%.15s' "$IFA") IFB=$(printf '%.15s' "$IFB")
A4=10.79.0.1 B4=10.79.0.2
ip netns add "$NSA" 2>"$tmp/ns.err" || { echo "SKIP: ip netns: $(cat "$tmp/ns.err")"; exit 77; }
at_exit "ip netns del $NSA"
ip netns add "$NSB" || die "ip netns add $NSB"
at_exit "ip netns del $NSB"
ip -n "$NSA" link add "$IFA" type veth peer name "$IFB" netns "$NSB" ||
	die "veth pair"
ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up &&
ip -n "$NSA" addr add $A4/24 dev "$IFA" && ip -n "$NSB" addr add $B4/24 dev "$IFB" &&
ip -n "$NSA" link set "$IFA" up && ip -n "$NSB" link set "$IFB" up ||
	die "addresses"
inA() { ip netns exec "$NSA" "$@"; }

# nobody must reach the output directory and own the pid file's.
chmod 711 "$tmp"
mkdir "$tmp/out" "$tmp/run" && chown nobody "$tmp/out" "$tmp/run" ||
	die "directories"
pidfile=$tmp/run/l7probe.pid
port=$(inA "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# start_collector NAME: runs ipfix_collector.py in A, waits until it listens.
start_collector() {
	# Not through inA: $! must be the collector (ip netns exec execs it).
	ip netns exec "$NSA" "$PYTHON" "$e2edir/ipfix_collector.py" --tcp "$port" \
	    --out "$tmp/$1.lines" >"$tmp/$1.stdout" 2>"$tmp/$1.stderr" &
	eval "${1}_pid=$!"
	at_exit "kill -9 $! 2>/dev/null"
	_n=0
	until grep -q listening "$tmp/$1.stdout" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -gt 100 ] && die "collector $1 did not start: $(cat "$tmp/$1.stderr")"
		sleep 0.05
	done
}

# --- a start-up error reaches the starting command ------------------------
inA "$probe" -D -i "$IFA" -n "ipfix+tcp://127.0.0.1:$port" \
    --pidfile "$pidfile" -u nobody >"$tmp/early.out" 2>"$tmp/early.err"
st=$?
if [ $st -ne 2 ] || ! grep -q "connect failed" "$tmp/early.err"; then
	fail "-D with a refusing collector: exit $st, stderr: $(cat "$tmp/early.err")"
else
	echo "ok: -D with a refusing collector exits 2: $(cat "$tmp/early.err")"
fi
[ -s "$pidfile" ] && fail "a failed start left a pid file"

# --- start ------------------------------------------------------------------
start_collector A
ip netns exec "$NSA" tcpdump -i "$IFA" -nn -U -s 0 -w "$tmp/ref.pcap" icmp \
    >/dev/null 2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
at_exit "kill $tcpdump_pid 2>/dev/null"
n=0
until grep -q "listening on" "$tmp/tcpdump.err" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 100 ] && die "tcpdump did not start"
	sleep 0.05
done

# An extra descriptor (9) the daemon must not keep.
inA "$probe" -D -i "$IFA" -f icmp --active-timeout 2 --idle-timeout 2 \
    -n "ipfix+tcp://127.0.0.1:$port" -n "json:$tmp/out/flows.json" \
    --pidfile "$pidfile" -u nobody 9>"$tmp/fd9" 2>"$tmp/start.err"
st=$?
pid=$(cat "$pidfile" 2>/dev/null)
[ -n "$pid" ] && at_exit "kill -9 $pid 2>/dev/null"
if [ $st -ne 0 ] || [ -z "$pid" ] || ! [ -d "/proc/$pid" ]; then
	cat "$tmp/start.err"
	die "l7probe -D: exit $st, pid file '$pid'"
fi
echo "ok: l7probe -D returned 0, daemon pid $pid"

# --- who it runs as ---------------------------------------------------------
status=/proc/$pid/status
uid=$(id -u nobody) gid=$(id -g nobody)
[ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$status")" = "$uid $uid $uid $uid" ] ||
	fail "uids: $(grep ^Uid: "$status")"
[ "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$status")" = "$gid $gid $gid $gid" ] ||
	fail "gids: $(grep ^Gid: "$status")"
[ "$(awk '/^Groups:/ {print $2, $3}' "$status")" = "$gid " ] ||
	fail "groups: $(grep ^Groups: "$status")"
[ "$(awk '/^CapEff:/ {print $2}' "$status")" = 0000000000000000 ] &&
[ "$(awk '/^CapPrm:/ {print $2}' "$status")" = 0000000000000000 ] ||
	fail "capabilities left: $(grep ^Cap "$status" | tr '\n' ' ')"
echo "ok: running as $(grep ^Uid: "$status" | tr '\t' ' '), $(grep ^Gid: "$status" | tr '\t' ' '), no capability"
if ls -l "/proc/$pid/fd" | grep -q "$tmp/fd9"; then
	fail "the daemon kept a descriptor of the starting shell"
fi
[ "$(readlink "/proc/$pid/fd/1")" = /dev/null ] || fail "stdout is not /dev/null"
[ "$(readlink "/proc/$pid/cwd")" = / ] || fail "cwd is not /"

# --- a second probe with the same pid file ----------------------------------
inA "$probe" -D -i "$IFA" -n "json:$tmp/out/second.json" --pidfile "$pidfile" \
    >/dev/null 2>"$tmp/second.err"
st=$?
if [ $st -ne 2 ] || ! grep -q "held by a running l7probe (pid $pid)" "$tmp/second.err"; then
	fail "second probe, same pid file: exit $st: $(cat "$tmp/second.err")"
else
	echo "ok: a second probe is refused: $(cat "$tmp/second.err")"
fi
[ "$(cat "$pidfile")" = "$pid" ] || fail "the pid file changed"

# --- traffic, a collector restart, a rotation --------------------------------
# alive PID: running (a killed daemon may stay a zombie a while: its parent
# is whatever reaps orphans here).
alive() {
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}
# Pings until stopped (at most 60 s).
ip netns exec "$NSB" ping -q -c 300 -i 0.2 $A4 >"$tmp/ping.out" 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid 2>/dev/null"
sleep 4
kill -9 "$A_pid"
wait "$A_pid" 2>/dev/null
sleep 2
start_collector B
# The probe retries with backoff (1, 2, 4 s...): wait for records at B.
n=0
until grep -q '"flows": \[\[' "$tmp/B.lines" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 200 ] && { fail "no record at B within 20 s"; break; }
	sleep 0.1
done
if [ "$mode" = rotate ]; then
	mv "$tmp/out/flows.json" "$tmp/out/flows.json.1"
	kill -HUP "$pid"
	sleep 1
	if ! alive "$pid"; then
		fail "the probe died on SIGHUP (needs SIGHUP: reopen the outputs)"
	elif [ ! -e "$tmp/out/flows.json" ]; then
		fail "SIGHUP did not create a new flows.json"
	else
		echo "ok: SIGHUP: a new flows.json, owned by $(stat -c %U "$tmp/out/flows.json")"
	fi
fi
sleep 3
kill -INT $ping_pid
wait $ping_pid
sleep 1
kill -TERM "$pid" 2>/dev/null
n=0
while alive "$pid"; do
	n=$((n + 1)); [ $n -gt 100 ] && { fail "still running 10 s after SIGTERM"; break; }
	sleep 0.1
done
sleep 0.3
kill "$B_pid"
wait "$B_pid" 2>/dev/null
kill -INT $tcpdump_pid
wait $tcpdump_pid 2>/dev/null

[ -e "$pidfile" ] && fail "the pid file is still there after exit"
[ -e "$pidfile" ] || echo "ok: the pid file was removed at exit"

# --- nothing lost ------------------------------------------------------------
ref=$(tcpdump -nn -r "$tmp/ref.pcap" 2>/dev/null | wc -l)
"$PYTHON" - "$tmp" "$ref" "$mode" <<'PYEOF' || fails=$((fails + 1))
import glob, json, sys
tmp, ref, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bad = []
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        bad.append(what)
files = sorted(glob.glob(tmp + "/out/flows.json*"))
recs = []
for f in files:
    recs += [json.loads(l) for l in open(f) if l.strip()]
jpk = sum(r["src_to_dst_pkts"] + r["dst_to_src_pkts"] for r in recs)
check(ref >= 80, "tcpdump saw %d ICMP packets" % ref)
check(jpk == ref, "JSON records (%s) hold %d packets, tcpdump %d"
      % (", ".join(f.rsplit("/", 1)[1] for f in files), jpk, ref))
if mode == "rotate":
    for f in (tmp + "/out/flows.json.1", tmp + "/out/flows.json"):
        n = sum(1 for l in open(f) if l.strip()) if f in files else 0
        check(n > 0, "%s holds %d records" % (f.rsplit("/", 1)[1], n))
def lines(p):
    try:
        return [json.loads(l) for l in open(p) if l.strip()]
    except FileNotFoundError:
        return []
a, b = lines(tmp + "/A.lines"), lines(tmp + "/B.lines")
fa = sum(len(m["flows"]) for m in a)
fb = sum(len(m["flows"]) for m in b)
check(fa > 0 and fb > 0, "flow records at collector A %d, after the "
      "restart at B %d (reconnected as nobody)" % (fa, fb))
seen, ipk = set(), 0
for m in a + b:
    if m["digest"] in seen:
        continue
    seen.add(m["digest"])
    ipk += sum(f[5] for f in m["flows"])
check(ipk == ref, "IPFIX records hold %d packets, tcpdump %d" % (ipk, ref))
sys.exit(1 if bad else 0)
PYEOF

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
