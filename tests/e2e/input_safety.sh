#!/bin/sh
# input_safety.sh - no output file is created or truncated before the run
# is known to start:
#  - "-r x.pcap -n json:x.pcap" (and ipfix-file:, and the same file by
#    another name) is refused, naming both, and the capture is intact;
#  - a missing -r file, a bad -f filter, a file that is no capture leave
#    an existing output file untouched (exit 2);
#  - a TCP collector that refuses the connection is still an error at
#    start (exit 2);
#  - an interface given twice, or "any" with others, is refused (exit 2).
#
# Exit: 0 pass, 1 fail, 99 no probe binary.
set -u
. "$(dirname "$0")/lib.sh"

[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
rc=0
fail() { echo "FAIL: $*"; rc=1; }

cp "$srcdir/tests/data/instagram.pcap" "$tmp/x.pcap"
sum0=$(cksum <"$tmp/x.pcap")
ln -s x.pcap "$tmp/link.pcap"

for out in "json:$tmp/x.pcap" "ipfix-file:$tmp/x.pcap" \
    "json:$tmp/link.pcap" "json:$tmp/../$(basename "$tmp")/x.pcap"; do
	"$L7PROBE" -q -r "$tmp/x.pcap" -n "$out" 2>"$tmp/err"
	st=$?
	[ "$st" = 2 ] || fail "$out: exit status $st, expected 2"
	grep -q "overwrite the capture file '$tmp/x.pcap'" "$tmp/err" &&
		grep -q "collector '$out'" "$tmp/err" ||
		fail "$out: message does not name both: $(cat "$tmp/err")"
	[ "$(cksum <"$tmp/x.pcap")" = "$sum0" ] ||
		fail "$out: the capture file was changed"
done

echo '{"kept":1}' >"$tmp/out.json"
sum1=$(cksum <"$tmp/out.json")
check_kept() {	# what
	[ "$(cksum <"$tmp/out.json")" = "$sum1" ] ||
		fail "$1: the existing output file was truncated"
}
"$L7PROBE" -q -r "$tmp/missing.pcap" -n "json:$tmp/out.json" 2>"$tmp/err"
st=$?
[ "$st" = 2 ] || fail "missing -r: exit status $st"
grep -q "capture file '$tmp/missing.pcap': No such file" "$tmp/err" ||
	fail "missing -r: $(cat "$tmp/err")"
check_kept "missing -r file"

"$L7PROBE" -q -r "$tmp/x.pcap" -f "tcp port" -n "json:$tmp/out.json" \
	2>"$tmp/err"
st=$?
[ "$st" = 2 ] || fail "bad -f: exit status $st"
grep -q "filter 'tcp port'" "$tmp/err" || fail "bad -f: $(cat "$tmp/err")"
check_kept "bad -f filter"

echo "not a capture" >"$tmp/text.pcap"
"$L7PROBE" -q -r "$tmp/text.pcap" -n "json:$tmp/out.json" 2>"$tmp/err"
st=$?
[ "$st" = 2 ] || fail "not a capture: exit status $st"
check_kept "input that is no capture"

port=$(free_port tcp)
"$L7PROBE" -q -r "$tmp/x.pcap" -n "ipfix+tcp://127.0.0.1:$port" \
	2>"$tmp/err"
st=$?
if grep -q "without libfixbuf" "$tmp/err"; then
	echo "note: no IPFIX in this build, TCP collector case not run"
else
	[ "$st" = 2 ] || fail "TCP collector not listening: exit status $st"
	grep -q "127.0.0.1:$port" "$tmp/err" ||
		fail "TCP collector: $(cat "$tmp/err")"
fi

# The same frames twice would be counted twice: refused before capture.
for args in "-i lo -i lo" "-i any -i lo"; do
	"$L7PROBE" -q $args -n "json:$tmp/out.json" 2>"$tmp/err"
	st=$?
	[ "$st" = 2 ] || fail "$args: exit status $st"
	grep -q "interface '\(lo' given twice\|any' already captures\)" \
		"$tmp/err" || fail "$args: $(cat "$tmp/err")"
	check_kept "$args"
done

# And a good run still writes its output.
"$L7PROBE" -q -r "$tmp/x.pcap" -n "json:$tmp/out.json" ||
	fail "a good run failed"
[ "$(cksum <"$tmp/out.json")" != "$sum1" ] && [ -s "$tmp/out.json" ] ||
	fail "a good run did not write its output"
[ "$rc" = 0 ] && echo "ok: outputs untouched until the capture opened"
exit "$rc"
