#!/bin/sh
# python_meters.sh - the Python module with flow workers (n_meters,
# threads) on real captures: the same records as one worker, Python
# callbacks run on the workers with values equal to scapy's count
# (tests/e2e/python_meters.py says what).
# Exit: 0 pass, 1 fail, 77 skip (module not built: no python3-dev, or no
# scapy), 99 hard error.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

use_python_module
"$PYTHON" -c 'import scapy.all' 2>/dev/null || {
	echo "SKIP: no scapy (python3-scapy)"; exit 77; }

set -- "$srcdir/tests/data/instagram.pcap"
for f in ndpi/1kxun.pcap ndpi/quic.pcap ndpi/sites.pcapng; do
	[ -f "$L7_PCAPS/$f" ] && set -- "$@" "$L7_PCAPS/$f"
done
# A deadlock between the workers and the GIL would hang: bounded.
timeout 300 "$PYTHON" "$here/python_meters.py" "$@"
