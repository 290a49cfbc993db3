#!/bin/sh
# ipfix_nfdump.sh - IPFIX over UDP into nfcapd (nfdump), per flow and
# direction: every flow of several real captures arrives with addresses,
# ports, protocol, packets and bytes equal to what tshark finds in the
# capture at test time (flowcmp.py derives the flows by the probe's
# rules), none duplicated, none missing.
#
# For each capture: a fresh nfcapd on a free UDP port of 127.0.0.1, the
# probe exporting to it (ipfix://, default uniflow records: one per
# direction with packets), then nfdump -o json reads what nfcapd stored;
# the records are summed per flow key and direction and compared with
# tshark's expectation. The probe's own "in records" counter must equal
# the packets nfdump saw, and nfcapd must report no bad packets.
#
# Exit: 0 pass, 1 fail, 77 skip (nfcapd, nfdump, tshark or python3
# missing), 99 hard error. About 15 s.
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/nfcapd.sh
. "$(dirname "$0")/nfcapd.sh"

skip_unless_cmd nfcapd nfdump tshark "$PYTHON"
skip_unless_ipfix
e2edir=$(cd "$(dirname "$0")" && pwd)
[ -f "$e2edir/flowcmp.py" ] || e2edir=$srcdir/tests/e2e

# The shipped capture, plus a few of the corpus when it is there: IPv6,
# IP fragments, ICMP and UDP, a long TCP transfer.
set -- "$srcdir/tests/data/instagram.pcap"
for f in ndpi/http_ipv6.pcap ndpi/dns_fragmented.pcap \
    ndpi/dnscrypt-v1-and-resolver-pings.pcap ndpi/ookla.pcap; do
	[ -f "$L7_PCAPS/$f" ] && set -- "$@" "$L7_PCAPS/$f"
done

fail=0
i=0
for cap in "$@"; do
	i=$((i + 1))
	dir=$tmp/nf$i
	port=$(free_port udp)
	nfcapd_start "nf$i" "$port"
	timeout 60 "$L7PROBE" -r "$cap" -n "ipfix://127.0.0.1:$port" \
	    2>"$tmp/probe$i.err"
	st=$?
	if [ $st -ne 0 ]; then
		echo "FAIL: probe exit $st on $cap"
		cat "$tmp/probe$i.err"
		fail=1
	fi
	# Fails the test on any decoding complaint or bad packet of nfcapd.
	nfcapd_stop "nf$i" ipfix
	if ! timeout 30 nfdump -R "$dir" -q -o json >"$tmp/nf$i.json" \
	    2>"$tmp/nfdump$i.err"; then
		echo "FAIL: nfdump could not read what nfcapd stored"
		cat "$tmp/nfdump$i.err"
		fail=1
		continue
	fi
	if ! timeout 120 "$PYTHON" - "$e2edir" "$cap" "$tmp/nf$i.json" \
	    "$tmp/probe$i.err" <<'PYEOF'
import ipaddress, json, re, sys
sys.path.insert(0, sys.argv[1])
import flowcmp

cap, nfjson, probe_err = sys.argv[2:5]
frames, err = flowcmp.run_tshark(cap)
expected, _ = flowcmp.expected_flows(frames, tunnels=True)

def project(key):
    # nfdump keeps no tunnel id: flows differing only by it are summed.
    return key[:7]

exp = {}
for k, c in expected.items():
    e = exp.setdefault(project(k), flowcmp.Counts())
    for d in (0, 1):
        e.add(d, c.pkts[d], c.bytes[d])

text = open(nfjson).read().strip()
if not text.startswith("["):
    text = "[" + text.rstrip(",") + "]"
recs = json.loads(text)
got = {}
for r in recs:
    if r.get("type") != "FLOW":
        continue
    if "src4_addr" in r:
        v, sa, da = 4, r["src4_addr"], r["dst4_addr"]
    else:
        v, sa, da = 6, r["src6_addr"], r["dst6_addr"]
    proto = r["proto"]
    sp, dp = r.get("src_port", 0), r.get("dst_port", 0)
    if proto in (1, 58):
        sp = dp = 0         # nfdump keeps ICMP type/code there
    key, swapped = flowcmp.flow_key(v, ipaddress.ip_address(sa), sp,
                                    ipaddress.ip_address(da), dp, proto,
                                    r.get("src_vlan", 0), 0)
    g = got.setdefault(project(key), flowcmp.Counts())
    g.add(int(bool(swapped)), r["in_packets"], r["in_bytes"])

bad = []
for k in sorted(set(exp) | set(got), key=lambda k: flowcmp.fmt_key(k + (0,))):
    e, g = exp.get(k), got.get(k)
    if e is not None and g is not None and e.same(g):
        continue
    bad.append("%s: expected %s, nfdump %s" % (
        flowcmp.fmt_key(k + (0,)), e or "nothing", g or "nothing"))
m = re.search(r"in records (\d+)", open(probe_err).read())
pkts = sum(sum(g.pkts) for g in got.values())
print("%s: %d flows expected, %d in nfdump (%d records), %d packets"
      % (cap, len(exp), len(got), len(recs), pkts))
for b in bad[:20]:
    print("  " + b)
ok = not bad
if m is None or int(m.group(1)) != pkts:
    print("  probe 'in records' %s != %d packets in nfdump"
          % (m and m.group(1), pkts))
    ok = False
sys.exit(0 if ok else 1)
PYEOF
	then
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "PASS: $i captures"
exit $fail
