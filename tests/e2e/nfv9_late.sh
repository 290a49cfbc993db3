#!/bin/sh
# nfv9_late.sh - a NetFlow v9 collector started after the probe decodes
# its records within one template refresh period; and FIRST_SWITCHED /
# LAST_SWITCHED (sysUpTime-relative) give nfdump the packet times.
#
# A feeder writes a capture slowly into the probe's standard input
# (-r -): every 1.2 s a burst of 512 packets of a new UDP flow, stamped
# with the wall clock, so with --idle-timeout 1 each burst ends the
# previous flow and the probe exports it. nfcapd starts 2.5 s in, after
# the probe sent its first templates to nobody. With --template-refresh 2
# every flow exported more than one period (plus the probe's 1 s flush
# tick) after nfcapd came up must be in nfdump, and nfcapd decodes every
# packet it got without error.
#
# The template has flowStartSysUpTime/flowEndSysUpTime (v9 22/21) and no
# flowStartMilliseconds: nfdump rebuilds the times from them and the
# header (boot = UNIX secs * 1000 - sysUptime), and they must be the
# packets' times within 1 ms. (Capture files older than the probe cannot
# use them: their sysUpTime would be negative.)
#
# Exit: 0 pass, 1 fail, 77 skip (nfcapd or nfdump missing), 99 error.
# About 16 s.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/nfcapd.sh
. "$here/nfcapd.sh"

skip_unless_cmd nfcapd nfdump "$PYTHON"
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }

cat >"$tmp/feed.py" <<'PYEOF'
import struct, sys, time

log = open(sys.argv[1], "w")
steps = int(sys.argv[2])
out = sys.stdout.buffer
# pcap header: microseconds, v2.4, snaplen 65535, Ethernet
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
out.flush()
time.sleep(0.5)         # packets after the probe's start: sysUpTime >= 0


def frame(sport):
    payload = bytes(32)
    udp = struct.pack("!HHHH", sport, 9999, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17,
                     0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp


prev = None
for k in range(steps):
    f = frame(20000 + k)
    us = int(time.time() * 1e6)
    for j in range(512):
        t = us + 100 * j
        out.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(f),
                              len(f)) + f)
    out.flush()
    # The burst before ends with this one: exported from now on.
    if prev is not None:
        log.write("flow %d %.3f %.6f %.6f\n" % (prev[0], time.time(),
                                                prev[1], prev[2]))
    prev = (20000 + k, us / 1e6, (us + 100 * 511) / 1e6)
    log.flush()
    time.sleep(1.2)
log.write("flow %d %.3f %.6f %.6f\n" % (prev[0], time.time(), prev[1],
                                        prev[2]))
log.close()
PYEOF

printf '%s\n' sourceIPv4Address destinationIPv4Address sourceTransportPort \
    destinationTransportPort protocolIdentifier flowStartSysUpTime \
    flowEndSysUpTime packetDeltaCount octetDeltaCount applicationId \
    'applicationName 32' >"$tmp/legacy.tmpl"

port=$(free_port udp)
refresh=2
"$PYTHON" "$tmp/feed.py" "$tmp/feed.log" 12 |
    timeout 40 "$L7PROBE" -q -r - --idle-timeout 1 -T "$tmp/legacy.tmpl" \
    --template-refresh $refresh --template-refresh-packets 1000000 \
    -n "nfv9://127.0.0.1:$port" 2>"$tmp/probe.err" &
ppid=$!
at_exit "kill $ppid 2>/dev/null"
sleep 2.5
nfcapd_start nf "$port"
up=$(date +%s.%N)
wait $ppid
rc=$?
# Packets sent before nfcapd listened are refused (ICMP port unreachable):
# when one held records, they are known lost: exit status 1 and a warning
# saying only refused records were lost. Otherwise 0.
if [ $rc -eq 1 ] && grep -q "collector 'nfv9://127.0.0.1:$port': [1-9][0-9]* records lost over UDP: [0-9]* in [0-9]* datagrams refused by the collector's host (ICMP port unreachable: nobody listening), 0 in 0 " "$tmp/probe.err"; then
	echo "ok: exit status 1, records refused before nfcapd listened"
elif [ $rc -ne 0 ] || grep -q "records lost" "$tmp/probe.err"; then
	echo "FAIL: l7probe exit status $rc:"
	cat "$tmp/probe.err"
	exit 1
fi
nfcapd_stop nf
"$PYTHON" "$here/nfv9check.py" late "$tmp/nf" "$tmp/feed.log" "$up" \
    "$refresh"
st=$?
[ $st -le 1 ] || st=99
exit $st
