#!/bin/sh
# ipfix_file.sh - an RFC 5655 IPFIX file (-n ipfix-file:PATH) read by
# libfixbuf's ipfixDump (libfixbuf-tools):
#   - ipfixDump reads the whole file without an error, and its file
#     statistics agree with the probe's: messages and data records;
#   - the flow records are those of the JSON output written at the same
#     time (one per direction with packets; one per flow with --biflow),
#     with the same packet total;
#   - the RFC 5610 records name our enterprise elements, and with them
#     (--rfc5610) ipfixDump decodes every field: no element is left
#     "_alienInformationElement";
#   - the last statistics record counts every flow record;
#   - the same with the shipped XML model (-e templates/l7probe-ie.xml).
#
# Exit: 0 pass, 1 fail, 77 skip (ipfixDump missing), 99 hard error.
# About 5 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd ipfixDump "$PYTHON"
skip_unless_ipfix

cap=$srcdir/tests/data/instagram.pcap
fail=0
for mode in uniflow biflow; do
	extra=
	[ $mode = biflow ] && extra=--biflow
	# shellcheck disable=SC2086
	if ! timeout 60 "$L7PROBE" -r "$cap" $extra \
	    -n "ipfix-file:$tmp/$mode.ipfix" -n "json:$tmp/$mode.json" \
	    2>"$tmp/$mode.err"; then
		echo "FAIL: probe ($mode)"; cat "$tmp/$mode.err"; exit 1
	fi
	if ! timeout 60 ipfixDump --in "$tmp/$mode.ipfix" --rfc5610 \
	    >"$tmp/$mode.dump" 2>"$tmp/$mode.dumperr"; then
		echo "FAIL: ipfixDump exit status ($mode)"
		cat "$tmp/$mode.dumperr"
		fail=1
	fi
	timeout 60 ipfixDump --in "$tmp/$mode.ipfix" \
	    -e "$srcdir/templates/l7probe-ie.xml" >"$tmp/$mode.dumpx" \
	    2>>"$tmp/$mode.dumperr" || fail=1
	"$PYTHON" - "$tmp" "$mode" <<'PYEOF' || fail=1
import json, re, sys

tmp, mode = sys.argv[1], sys.argv[2]
failures = []

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + "[%s] %s" % (mode, what))
    if not cond:
        failures.append(what)

dump = open("%s/%s.dump" % (tmp, mode)).read()
dumpx = open("%s/%s.dumpx" % (tmp, mode)).read()
err = open("%s/%s.dumperr" % (tmp, mode)).read()
perr = open("%s/%s.err" % (tmp, mode)).read()
check(not re.search(r"(?i)error|warn|critical", err),
      "ipfixDump says nothing on stderr: %s" % err.strip()[:200])

m = re.search(r"File Stats: (\d+) Messages, (\d+) Data Records, "
              r"(\d+) Template Records", dump)
check(m is not None, "ipfixDump file statistics")
ps = re.search(r"ipfix records (\d+), messages sent (\d+), bytes (\d+), "
               r"messages dropped (\d+), records dropped (\d+)", perr)
check(ps is not None, "probe statistics line")
if m and ps:
    check(int(m.group(1)) == int(ps.group(2)),
          "messages: ipfixDump %s, probe %s" % (m.group(1), ps.group(2)))
    check(ps.group(4) == "0" and ps.group(5) == "0", "nothing dropped")

# Records per template id, and the fields of the flow records.
recs = re.split(r"--- data record \d+ ---", dump)[1:]
flows, stats, names5610 = [], [], set()
for r in recs:
    tid = int(re.search(r"tid:\s+(\d+)", r).group(1))
    fields = dict((k.strip(), v.strip()) for k, v in
                  re.findall(r"\(\S+\)\s*(?:\(S\))?\s+([\w]+) : ([^\n]*)", r))
    if tid in (256, 257, 258, 259):
        flows.append(fields)
    elif tid == 262:
        stats.append(fields)
    elif tid == 260:
        n = re.search(r"informationElementName : \(len: \d+\) (\S+)", r)
        if n:
            names5610.add(n.group(1))

lines = [json.loads(l) for l in open("%s/%s.json" % (tmp, mode))]
if mode == "biflow":
    want = len(lines)
    pkts = sum(int(f.get("packetDeltaCount", 0)) +
               int(f.get("reversePacketDeltaCount", 0)) for f in flows)
else:
    want = sum((l["src_to_dst_pkts"] > 0) + (l["dst_to_src_pkts"] > 0)
               for l in lines)
    pkts = sum(int(f.get("packetDeltaCount", 0)) for f in flows)
jp = sum(l["src_to_dst_pkts"] + l["dst_to_src_pkts"] for l in lines)
check(len(flows) == want, "%d flow records, %d expected" % (len(flows), want))
check(pkts == jp, "packets: ipfix %d, json %d" % (pkts, jp))
if ps:
    check(len(flows) == int(ps.group(1)), "probe counted %s flow records"
          % ps.group(1))
ours = {"L7_PROTO", "L7_PROTO_NAME", "L7_PROTO_CATEGORY", "FLOW_SERVER_NAME",
        "JA3C_HASH", "JA3S_HASH", "HTTP_UA"}
check(ours <= names5610, "RFC 5610 records name %s" % sorted(ours))
check("_alienInformationElement" not in dump,
      "--rfc5610: every element decoded")
check("_alienInformationElement" not in dumpx,
      "-e l7probe-ie.xml: every element decoded")
check(all("L7_PROTO_NAME" in f for f in flows), "L7_PROTO_NAME in every record")
apps = {l["application_name"] for l in lines}
got = set(re.findall(r"L7_PROTO_NAME : \(len: \d+\) (\S+)", dumpx))
check(got == apps, "application names: %s" % sorted(got))
check(len(stats) >= 1 and int(stats[-1].get("exportedFlowRecordTotalCount",
      -1)) == len(flows), "last statistics record counts %d flow records"
      % len(flows))
if failures:
    sys.exit(1)
PYEOF
done

# --pen: the probe's own elements (here in a template of the test's) go
# under the operator's enterprise number, in the templates and in their
# RFC 5610 descriptions.
printf '%s\n' sourceIPv4Address destinationIPv4Address octetDeltaCount \
    'ndpiProtocolIds 16' ndpiCategoryId >"$tmp/pen.tmpl"
if ! timeout 60 "$L7PROBE" -q -r "$cap" -T "$tmp/pen.tmpl" --pen 4242 \
    -n "ipfix-file:$tmp/pen.ipfix" 2>"$tmp/pen.err"; then
	echo "FAIL: probe (--pen)"; cat "$tmp/pen.err"; exit 1
fi
timeout 60 ipfixDump --in "$tmp/pen.ipfix" --rfc5610 >"$tmp/pen.dump" \
    2>&1 || fail=1
# Each RFC 5610 record: privateEnterpriseNumber, then (a few lines on)
# the element's name.
n=$(grep -A8 "privateEnterpriseNumber : 4242" "$tmp/pen.dump" |
    grep -c -E "informationElementName : \(len: [0-9]+\) (ndpiProtocolIds|ndpiCategoryId)")
if [ "$n" -ne 2 ] || grep -q "privateEnterpriseNumber : 32473" "$tmp/pen.dump"; then
	echo "FAIL: --pen 4242: our elements are not under PEN 4242"
	grep -B1 -A2 privateEnterpriseNumber "$tmp/pen.dump" | head -20
	fail=1
else
	echo "ok: --pen 4242: ndpiProtocolIds and ndpiCategoryId under PEN 4242"
fi
# The tunnel id travels with the flow: each record's UPSTREAM_TUNNEL_ID
# equals the JSON output's tunnel_id, per protocol (the VXLAN capture has
# ICMP inside VNI 100, and UDP to 4789 the probe keeps as outer flows).
vx=$srcdir/tests/data/vxlan.pcap
if ! timeout 60 "$L7PROBE" -q -r "$vx" -n "ipfix-file:$tmp/vx.ipfix" \
    -n "json:$tmp/vx.json" 2>"$tmp/vx.err"; then
	echo "FAIL: probe (vxlan)"; cat "$tmp/vx.err"; exit 1
fi
timeout 60 ipfixDump --in "$tmp/vx.ipfix" \
    -e "$srcdir/templates/l7probe-ie.xml" >"$tmp/vx.dump" 2>&1 || fail=1
"$PYTHON" - "$tmp" <<'PYEOF' || fail=1
import json, re, sys
tmp = sys.argv[1]
want = sorted((r["ip_protocol"], r["tunnel_id"])
              for l in open(tmp + "/vx.json")
              for r in [json.loads(l)]
              for n in (r["src_to_dst_pkts"], r["dst_to_src_pkts"]) if n)
dump = open(tmp + "/vx.dump").read()
got = sorted((int(p), int(t)) for p, t in re.findall(
    r"protocolIdentifier : (\d+)\n(?:.*\n)*?.*UPSTREAM_TUNNEL_ID : (\d+)",
    dump))
ok = got == want and (1, 100) in got
print(("ok" if ok else "FAIL") + ": tunnel ids by protocol: %s (JSON %s)"
      % (got, want))
sys.exit(0 if ok else 1)
PYEOF
exit $fail
