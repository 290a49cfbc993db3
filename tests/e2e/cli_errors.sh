#!/bin/sh
# cli_errors.sh - bad input gets one clear line on stderr and a non-zero
# exit (operator mistakes included: a flag given a value, a single-valued
# option twice, blanks in numbers, an IPv6 address without brackets);
# --help and the man page list the same options, with the same letters; a
# capture cut in the middle of a packet still exports what was read;
# standard input works.
set -u
L7PROBE=${L7PROBE:-./l7probe}
srcdir=${srcdir:-.}
cap="$srcdir/tests/data/instagram.pcap"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect STATUS WORDS -- ARGS: runs the probe, checks the exit status and
# that stderr holds WORDS (a fixed string) in exactly one line.
expect() {
	want=$1; words=$2; shift 3
	"$L7PROBE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: l7probe $* exited $got, want $want"; cat "$tmp/err"
		fails=$((fails + 1)); return
	fi
	if [ -n "$words" ] && ! grep -qF -- "$words" "$tmp/err"; then
		echo "FAIL: l7probe $*: stderr lacks '$words':"; cat "$tmp/err"
		fails=$((fails + 1)); return
	fi
	if [ "$want" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		echo "FAIL: l7probe $*: want one line on stderr, got:"
		cat "$tmp/err"; fails=$((fails + 1)); return
	fi
	echo "ok: l7probe $* -> $got"
}

head -c 3000 /dev/urandom >"$tmp/garbage.pcap"
# A pcap header and 100 bytes of a first record whose header asks for more.
head -c 10000 "$cap" >"$tmp/cut.pcap"

expect 2 "capture file '$tmp/missing.pcap'" -- -r "$tmp/missing.pcap"
expect 2 "No such file" -- -r "$tmp/missing.pcap"
expect 2 "capture file '$tmp/garbage.pcap'" -- -r "$tmp/garbage.pcap"
expect 2 "filter 'tcp port eighty'" -- -r "$cap" -f "tcp port eighty"
expect 2 "--max-flows 'many': not a whole number" -- -r "$cap" --max-flows many
expect 2 "--idle-timeout '0': out of range" -- -r "$cap" --idle-timeout 0
expect 2 "unknown option '--frobnicate'" -- -r "$cap" --frobnicate
expect 2 "no input" --
expect 2 "interface 'l7nosuch0': no such device" -- -i l7nosuch0
expect 2 "unknown kind" -- -r "$cap" -n "bogus://127.0.0.1:1"
expect 2 "collector 'json:$tmp/no/such/dir.json'" -- -r "$cap" -n "json:$tmp/no/such/dir.json"
# Operator mistakes: each refused with what is wrong, nothing run.
expect 2 "option '--no-dpi' takes no value" -- -r "$cap" --no-dpi=1
expect 2 "option --read given twice" -- -r "$cap" -r "$cap"
expect 2 "option '--collector' needs a value" -- -r "$cap" --collector=json:- -n "json:$tmp/x.json" --collector
expect 2 "--idle-timeout ' 5': not a whole number (no spaces allowed)" -- -r "$cap" --idle-timeout " 5"
expect 2 "--idle-timeout '5 ': not a whole number (no spaces allowed)" -- -r "$cap" --idle-timeout "5 "
# (::1 itself: should the check break, nothing leaves the machine; the
# ambiguous ::1:4739 of the same mistake is in tests/unit/test_conf.c.)
expect 2 "an IPv6 address needs brackets: use ipfix://[::1]" -- -r "$cap" -n "ipfix://::1"
# An unknown user is refused before any output file is created.
expect 2 "--user 'l7nosuchuser': no such user" -- -q -r "$cap" -u l7nosuchuser -n "json:$tmp/u.json"
[ -e "$tmp/u.json" ] && { echo "FAIL: -u with an unknown user created the output"; fails=$((fails + 1)); }
expect 2 "--group 'l7nosuchgroup': no such group" -- -q -r "$cap" -u nobody --group l7nosuchgroup -n "json:$tmp/u.json"
expect 2 "pid file '$tmp/no/such/dir/p.pid': No such file" -- -q -r "$cap" --pidfile "$tmp/no/such/dir/p.pid"
expect 1 "truncated" -- -r "$tmp/cut.pcap" -n "json:$tmp/cut.json"
if [ ! -s "$tmp/cut.json" ]; then
	echo "FAIL: a cut capture exported nothing"; fails=$((fails + 1))
fi
expect 1 "No space left on device" -- -q -r "$cap" -n json:/dev/full
expect 0 "" -- --help
grep -q -- "--collector" "$tmp/out" || { echo "FAIL: --help lacks --collector"; fails=$((fails + 1)); }
expect 0 "" -- -V
grep -q "^l7probe [0-9]" "$tmp/out" && grep -q "^classification: " "$tmp/out" && grep -q "^IPFIX: " "$tmp/out" || { echo "FAIL: -V output"; fails=$((fails + 1)); }

# Permission: an unprivileged user may not capture.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$L7PROBE" -i lo >/dev/null 2>"$tmp/err"
	st=$?
	if [ $st -ne 2 ] || ! grep -q "interface 'lo': permission denied" "$tmp/err"; then
		echo "FAIL: unprivileged live capture: exit $st"; cat "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok: unprivileged -i lo -> permission denied"
	fi
fi

# A pid file left by a probe that crashed (no lock held) is taken over and
# removed at exit.
echo 999999 >"$tmp/stale.pid"
if "$L7PROBE" -q -r "$cap" --pidfile "$tmp/stale.pid" -n "json:$tmp/p.json" 2>"$tmp/err" &&
    [ ! -e "$tmp/stale.pid" ] && [ -s "$tmp/p.json" ]; then
	echo "ok: a stale pid file is taken over and removed"
else
	echo "FAIL: stale pid file:"; cat "$tmp/err"; fails=$((fails + 1))
fi

# Standard input gives the same records as the file (as sets: with
# several workers the order of records varies).
"$L7PROBE" -q -r "$cap" >"$tmp/a0.json" || fails=$((fails + 1))
"$L7PROBE" -q -r - <"$cap" >"$tmp/b0.json" || fails=$((fails + 1))
sort "$tmp/a0.json" >"$tmp/a.json"
sort "$tmp/b0.json" >"$tmp/b.json"
if [ ! -s "$tmp/a.json" ] || ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
	echo "FAIL: -r - differs from -r FILE"; fails=$((fails + 1))
else
	echo "ok: -r - equals -r FILE ($(wc -l <"$tmp/a.json") records)"
fi

# Every long option of --help is in the man page, and the reverse.
man="$srcdir/doc/l7probe.8"
"$L7PROBE" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/help.opts"
sed 's/\\-/-/g' "$man" | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/man.opts"
if ! diff "$tmp/help.opts" "$tmp/man.opts" >"$tmp/d"; then
	echo "FAIL: --help and doc/l7probe.8 list different options:"
	cat "$tmp/d"; fails=$((fails + 1))
else
	echo "ok: --help and the man page list the same $(wc -l <"$tmp/help.opts") options"
fi

# The same letters: each "-x, --name" of --help is in the man page as such.
"$L7PROBE" --help | sed -n 's/^  \(-[A-Za-z]\), \(--[a-z-]*\).*/\1 \2/p' >"$tmp/help.pairs"
sed -n 's/^\.BR \\-\([A-Za-z]\) ", " \\-\\-\([a-z\\-]*\).*/-\1 --\2/p' "$man" |
    sed 's/\\-/-/g' | sort -u >"$tmp/man.pairs"
sort -u "$tmp/help.pairs" -o "$tmp/help.pairs"
if [ ! -s "$tmp/help.pairs" ] || ! diff "$tmp/help.pairs" "$tmp/man.pairs" >"$tmp/d"; then
	echo "FAIL: --help and doc/l7probe.8 give different short options:"
	cat "$tmp/d"; fails=$((fails + 1))
else
	echo "ok: the same $(wc -l <"$tmp/help.pairs") short options"
fi

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
exit 0
