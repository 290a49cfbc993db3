# live_lib.sh - network namespaces and veth pairs for the live tests
# (bash). Source it after setting NAME (the test's name, for messages) and
# WATCHDOG_S (the longest the test may take):
#
#	NAME=live_quiet WATCHDOG_S=40 . "$(dirname "$0")/live_lib.sh"
#
# Every namespace gets a unique name (l7p-<letter>-<pid>-<random>), so tests
# can run side by side; addresses exist only inside them; nothing on the
# host is touched and no traffic can leave. Everything made is removed on
# exit (L7_KEEP=1 keeps the work directory $T).
#
# Sets: here top srcdir L7PROBE PYTHON T check_py SUFFIX
# Functions:
#   skip/fail/say MSG        exit 77 / exit 1 / print
#   ns_new VAR LETTER        make a quiet namespace, its name in $VAR
#   veth_new NS1 IF1 NS2 IF2 A4/1 A6/1 A4/2 A6/2
#                            veth pair between two namespaces, addressed,
#                            up with IPv6 link-local, neighbours stable
#   bg NS CMD...             background command in NS; $! in $last_pid
#   packet_sockets NS        packet sockets open in NS (/proc/net/packet)
#   wait_capture NS PID BASE wait until the process opened a packet socket
#                            beyond BASE (the probe is capturing)
#   start_tcpdump NS IF FILE [SNAPLEN]
#                            start tcpdump, wait until it listens;
#                            $last_pid
#   stop_pid PID [SECS]      SIGTERM, wait (default 5 s); status in $stop_rc,
#                            empty when it did not stop

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${srcdir:=$top}"
: "${L7PROBE:=$top/l7probe}"
: "${PYTHON:=/usr/bin/python3}"
check_py=$srcdir/tests/e2e/live_check.py
[ -f "$check_py" ] || check_py=$here/live_check.py

skip() { echo "$NAME: SKIP: $*"; exit 77; }
fail() { echo "$NAME: FAIL: $*"; exit 1; }
say() { echo "$NAME: $*"; }

[ "$EUID" = 0 ] || skip "needs root"
for c in ip tcpdump tshark ping timeout "$PYTHON"; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not found"
done
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work"
if [ ! -x "$L7PROBE" ]; then
	echo "$NAME: ERROR: no l7probe binary at $L7PROBE"
	exit 99
fi

SUFFIX=$$-$(printf '%04x' $((RANDOM)))
T=$(mktemp -d "${TMPDIR:-/tmp}/l7p-$NAME.XXXXXX") || fail "mktemp"
pids=""
ns_made=""
wd=""
last_pid=""

cleanup() {
	local rc=$? p n
	trap - EXIT INT TERM HUP
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	for n in $ns_made; do
		ip netns del "$n" 2>/dev/null
	done
	if [ -n "$wd" ]; then
		kill -TERM "$wd" 2>/dev/null
		wait "$wd" 2>/dev/null
	fi
	if [ "${L7_KEEP:-0}" = 1 ]; then
		say "kept $T" >&3
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
exec 3>&1	# a trap may run inside a command's redirection: say it on fd 3
trap cleanup EXIT
trap 'echo "$NAME: FAIL: interrupted (a signal, or the ${WATCHDOG_S} s watchdog)" >&3; exit 1' \
	INT TERM HUP

( sleep "$WATCHDOG_S" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s
  kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 </dev/null &
wd=$!

ns_new() {	# VAR LETTER
	local n=l7p-$2-$SUFFIX
	ip netns add "$n" 2>"$T/netns.err" ||
		skip "ip netns add: $(cat "$T/netns.err")"
	ns_made="$ns_made $n"
	# In a chroot whose / is no mount point, namespaces can be made but
	# not entered: this machine cannot run the test.
	ip netns exec "$n" true 2>"$T/netns.err" ||
		skip "ip netns exec: $(cat "$T/netns.err")"
	# Quiet links: no DAD, no router solicitations, MLD reports at once
	# (over before the captures start).
	ip netns exec "$n" sh -c '
		sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.dad_transmits=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.default.mldv1_unsolicited_report_interval=1 \
			net.ipv6.conf.default.mldv2_unsolicited_report_interval=1
		ip link set lo up' || fail "namespace setup ($n)"
	eval "$1=\$n"
}

veth_new() {	# NS1 IF1 NS2 IF2 A4_1 A6_1 A4_2 A6_2
	local x n i a4 a6 ok=0
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" ||
		fail "veth pair $2/$4"
	for x in "$1 $2 $5 $6" "$3 $4 $7 $8"; do
		set -- $x "$@"
		n=$1 i=$2 a4=$3 a6=$4
		shift 4
		ip netns exec "$n" sh -c "
			sysctl -qw net.ipv4.neigh.$i.base_reachable_time_ms=300000 \
				net.ipv6.neigh.$i.base_reachable_time_ms=300000 \
				net.ipv6.conf.$i.accept_dad=0 \
				net.ipv6.conf.$i.router_solicitations=0
			ip addr add $a4/24 dev $i &&
			ip addr add $a6/64 dev $i nodad &&
			ip link set $i up" || fail "address setup ($n $i)"
	done
	# Up, with link-local addresses: IPv6 start-up chatter on the link
	# follows the carrier change; captures start after it.
	for _ in $(seq 100); do
		if [ "$(ip netns exec "$1" cat /sys/class/net/$2/operstate)" = up ] &&
		   [ "$(ip netns exec "$3" cat /sys/class/net/$4/operstate)" = up ] &&
		   ip -n "$1" -6 addr show dev "$2" scope link | grep -q fe80 &&
		   ip -n "$3" -6 addr show dev "$4" scope link | grep -q fe80 &&
		   ! { ip -n "$1" -6 addr show dev "$2"
		       ip -n "$3" -6 addr show dev "$4"; } | grep -q tentative
		then
			ok=1
			break
		fi
		sleep 0.05
	done
	[ "$ok" = 1 ] || fail "veth $2/$4 did not come up"
}

bg() {	# NS CMD...
	local n=$1
	shift
	ip netns exec "$n" "$@" &
	last_pid=$!
	pids="$pids $last_pid"
}

packet_sockets() {
	ip netns exec "$1" cat /proc/net/packet | tail -n +2 | wc -l
}

wait_capture() {	# NS PID BASE ERRFILE
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null ||
			fail "l7probe exited at start: $(cat "$4")"
		[ "$(packet_sockets "$1")" -gt "$3" ] && return 0
		sleep 0.05
	done
	fail "l7probe opened no packet socket in 5 s"
}

start_tcpdump() {	# NS IF FILE [SNAPLEN]
	# A 32 MiB ring: the reference must not drop under a loaded machine.
	bg "$1" tcpdump -i "$2" -nn -U --immediate-mode -B 32768 \
		-s "${4:-0}" -w "$3" >"$3.out" 2>"$3.err"
	for _ in $(seq 100); do
		grep -q "listening on" "$3.err" && return 0
		sleep 0.05
	done
	fail "tcpdump did not start: $(cat "$3.err")"
}

stop_pid() {	# PID [SECS]
	local n=$((${2:-5} * 20))
	stop_rc=
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq "$n"); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			stop_rc=$?
			return 0
		fi
		sleep 0.05
	done
}
