#!/bin/sh
# python_streamer.sh - the Python module (import l7probe) on real
# captures, checked against scapy (tests/e2e/python_streamer.py says
# what), and silent: a script iterating a capture prints nothing the
# script does not print.
# Exit: 0 pass, 1 fail, 77 skip (module not built: no python3-dev, or no
# scapy), 99 hard error.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

use_python_module
"$PYTHON" -c 'import scapy.all' 2>/dev/null || {
	echo "SKIP: no scapy (python3-scapy)"; exit 77; }
fail=0

set -- "$srcdir/tests/data/instagram.pcap"
for f in ndpi/1kxun.pcap ndpi/quic.pcap ndpi/sites.pcapng ndpi/dns.pcap; do
	[ -f "$L7_PCAPS/$f" ] && set -- "$@" "$L7_PCAPS/$f"
done
"$PYTHON" "$here/python_streamer.py" "$@" || fail=1

# Silent: file descriptors 1 and 2 stay empty.
"$PYTHON" -c 'import l7probe, sys
n = sum(f.total_pkts for f in l7probe.Streamer(source=sys.argv[1],
        user_metrics={"m": lambda p, f, d: 1}))
assert n > 0' "$srcdir/tests/data/instagram.pcap" >"$tmp/out" 2>"$tmp/err" ||
    { echo "FAIL: quiet run failed: $(cat "$tmp/err")"; fail=1; }
if [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
	echo "FAIL: the module printed: $(cat "$tmp/out" "$tmp/err")"
	fail=1
fi
[ $fail -eq 0 ] && echo "PASS"
exit $fail
