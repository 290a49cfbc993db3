#!/bin/sh
# systemd_unit.sh - contrib/l7probe.service is a valid unit (systemd-analyze
# verify, with this build's binary in ExecStart), sandboxed as l7probe(8)
# says, and runs the probe detached with the configuration file; the
# example configuration file it points at parses.
#
# Exit: 0 pass, 1 fail, 77 skip (systemd-analyze missing).
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd systemd-analyze
unit_in=$srcdir/contrib/l7probe.service.in
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

bindir=$(cd "$(dirname "$L7PROBE")" && pwd)
sed -e "s|@sbindir@|$bindir|g" -e "s|@sysconfdir@|/etc|g" "$unit_in" \
    >"$tmp/l7probe.service"
# --man=no: the man page is not installed while testing.
if ! systemd-analyze verify --man=no "$tmp/l7probe.service" \
    >"$tmp/verify.out" 2>&1 || [ -s "$tmp/verify.out" ]; then
	fail "systemd-analyze verify:"; cat "$tmp/verify.out"
else
	echo "ok: systemd-analyze verify: no complaint"
fi

# has KEY=VALUE: the unit sets it (the whole line).
has() {
	if grep -qx -- "$1" "$tmp/l7probe.service"; then
		echo "ok: $1"
	else
		fail "the unit lacks '$1'"
	fi
}
has "Type=forking"
has "ExecStart=$bindir/l7probe -D -C /etc/l7probe/l7probe.conf --pidfile /run/l7probe/l7probe.pid"
has "PIDFile=/run/l7probe/l7probe.pid"
has "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN CAP_SETUID CAP_SETGID"
has "NoNewPrivileges=yes"
has "ProtectSystem=strict"
has "PrivateTmp=yes"
has "ExecReload=/bin/kill -HUP \$MAINPID"

# The example configuration parses (-h after -C would not read it: use
# a bad extra option and check the error is about that option only).
"$L7PROBE" -C "$srcdir/contrib/l7probe.conf" --max-flows x >/dev/null \
    2>"$tmp/conf.err"
if ! grep -q "^l7probe: --max-flows 'x': not a whole number" "$tmp/conf.err"; then
	fail "contrib/l7probe.conf:"; cat "$tmp/conf.err"
else
	echo "ok: contrib/l7probe.conf parses"
fi

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
exit 0
