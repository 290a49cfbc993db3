#!/bin/sh
# ipfix_tshark.sh - what Wireshark's IPFIX dissector makes of our UDP
# export: tshark captures the loopback port (capture filter on it) while
# the probe exports two captures to it and, at the same time, writes JSON
# lines for the same flows. Then:
#   - every frame decodes as IPFIX with no malformed packet and no expert
#     warning or error;
#   - the flow templates (256, 257), the options templates (260 RFC 5610,
#     261 RFC 6759, 262 statistics) and their records are all there; the
#     RFC 5610 records name our enterprise elements;
#   - every flow record's L7_PROTO_NAME (ntop) and applicationName equal
#     the JSON application_name of the same flow, and there is one IPFIX
#     record per direction with packets of every JSON record.
#
# Exit: 0 pass, 1 fail, 77 skip (tshark missing or cannot capture on lo),
# 99 hard error. About 10 s.
set -u
. "$(dirname "$0")/lib.sh"

skip_unless_cmd tshark "$PYTHON"
skip_unless_ipfix

set -- "$srcdir/tests/data/instagram.pcap"
for f in ndpi/http_ipv6.pcap ndpi/dns_doh.pcap; do
	[ -f "$L7_PCAPS/$f" ] && set -- "$@" "$L7_PCAPS/$f"
done

port=$(free_port udp)
# A sink on the port, so the kernel sends no "port unreachable".
udp_sink "$port"

tshark -i lo -f "udp port $port" -w "$tmp/cap.pcapng" >"$tmp/tshark.log" 2>&1 &
tpid=$!
at_exit "kill $tpid 2>/dev/null"
n=0
until grep -q "Capturing on" "$tmp/tshark.log" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 100 ] || ! kill -0 $tpid 2>/dev/null; then
		echo "SKIP: tshark cannot capture on lo:"
		cat "$tmp/tshark.log"
		exit 77
	fi
	sleep 0.1
done
sleep 0.5

i=0
for cap in "$@"; do
	i=$((i + 1))
	if ! timeout 60 "$L7PROBE" -q -r "$cap" -n "json:$tmp/flows$i.json" \
	    -n "ipfix://127.0.0.1:$port"; then
		echo "FAIL: probe on $cap"
		exit 1
	fi
done
sleep 1
kill -INT $tpid
wait $tpid 2>/dev/null

timeout 60 tshark -r "$tmp/cap.pcapng" -n -d "udp.port==$port,cflow" -T json \
    >"$tmp/decoded.json" 2>"$tmp/decode.err" || {
	echo "FAIL: tshark cannot read its capture"; cat "$tmp/decode.err"; exit 1; }
timeout 60 tshark -r "$tmp/cap.pcapng" -n -d "udp.port==$port,cflow" -q \
    -z expert >"$tmp/expert.txt" 2>&1

ndpi=0
have_ndpi && ndpi=1
"$PYTHON" - "$tmp" "$i" "$ndpi" <<'PYEOF'
import glob, json, re, sys

tmp, nfiles, ndpi = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
failures = []

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)

frames = json.load(open(tmp + "/decoded.json"))
expert = open(tmp + "/expert.txt").read()
check(len(frames) > 0, "%d frames captured" % len(frames))
check(all("cflow" in f["_source"]["layers"] for f in frames),
      "every frame decodes as IPFIX")
raw = open(tmp + "/decoded.json").read()
check("_ws.malformed" not in raw, "no malformed packet")
bad = [l for l in expert.splitlines()
       if re.search(r"\b(Errors|Warns|Malformed)\b", l)]
check(not bad, "no expert error or warning: %s" % bad[:3])

tmpl_ids, opt_ids = set(), set()
ie_names = set()
records = []          # (key, l7_proto_name, appl_name)
for f in frames:
    cf = f["_source"]["layers"]["cflow"]
    check_v = cf.get("cflow.version") == "10"
    if not check_v:
        failures.append("frame not IPFIX v10")
    for k, s in cf.items():
        if not k.startswith("Set "):
            continue
        for kk, v in s.items():
            m = re.match(r"(Options )?Template \(Id = (\d+)", kk)
            if m:
                (opt_ids if m.group(1) else tmpl_ids).add(int(m.group(2)))
        sid = int(s.get("cflow.flowset_id", "0"))
        for kk, v in s.items():
            if not kk.startswith("Flow") or not isinstance(v, dict):
                continue
            if sid == 260:
                ie_names.add(v.get("cflow.information_element_name"))
            if sid in (256, 257):
                src = v.get("cflow.srcaddr") or v.get("cflow.srcaddrv6")
                dst = v.get("cflow.dstaddr") or v.get("cflow.dstaddrv6")
                key = (src, int(v.get("cflow.srcport", 0)), dst,
                       int(v.get("cflow.dstport", 0)),
                       int(v.get("cflow.protocol", 0)))
                records.append((key, v.get("cflow.pie.ntop.l7_proto_name"),
                                v.get("cflow.appl_name")))

check({256, 257} <= tmpl_ids, "flow templates 256, 257: %s" % sorted(tmpl_ids))
check({260, 261, 262} <= opt_ids, "options templates 260, 261, 262: %s"
      % sorted(opt_ids))
want = {"L7_PROTO", "L7_PROTO_NAME", "L7_PROTO_CATEGORY", "FLOW_SERVER_NAME",
        "JA3C_HASH", "JA3S_HASH", "HTTP_UA"}
check(want <= ie_names, "RFC 5610 records name %s" % sorted(want))

names = {}
expected = 0
for n in range(1, nfiles + 1):
    for line in open("%s/flows%d.json" % (tmp, n)):
        r = json.loads(line)
        fwd = (r["ip_src"], r["src_port"], r["ip_dst"], r["dst_port"],
               r["ip_protocol"])
        rev = (r["ip_dst"], r["dst_port"], r["ip_src"], r["src_port"],
               r["ip_protocol"])
        if r["ip_protocol"] in (1, 58):
            fwd = (fwd[0], 0, fwd[2], 0, fwd[4])
            rev = (rev[0], 0, rev[2], 0, rev[4])
        for key, pk in ((fwd, r["src_to_dst_pkts"]), (rev, r["dst_to_src_pkts"])):
            if pk > 0:
                expected += 1
                names.setdefault(key, set()).add(r["application_name"])
check(len(records) == expected, "%d flow records, %d expected from JSON"
      % (len(records), expected))
wrong = []
for key, l7, appl in records:
    k = key if key[4] not in (1, 58) else (key[0], 0, key[2], 0, key[4])
    want = names.get(k)
    if want is None or l7 not in want or appl not in want:
        wrong.append("%s: ipfix %s/%s json %s" % (k, l7, appl, want))
check(not wrong, "L7_PROTO_NAME and applicationName equal the JSON "
      "application_name of every flow" + ("; " + "; ".join(wrong[:5])
                                          if wrong else ""))
apps = {a for _, _, a in records}
if ndpi:
    check(len(apps) > 3, "several applications: %s" % sorted(apps)[:10])
else:
    check(apps == {"Unknown"}, "built without nDPI: every flow Unknown: %s"
          % sorted(apps)[:10])
if failures:
    print("%d failures" % len(failures))
    sys.exit(1)
PYEOF
# Not exec: the exit trap of lib.sh stops the helpers and removes $tmp.
exit $?
