#!/bin/sh
# ipfix_nfacctd.sh - IPFIX over UDP into pmacct's nfacctd, configured as
# doc/collectors/pmacct.md says, with the shipped aggregate_primitives
# file (templates/nfacctd-primitives.lst): the proof that the file and
# the page work.
#
# For each capture (the shipped one, a DNS one with IPv6 and TCP, a QUIC
# one): a fresh nfacctd on a free UDP port of 127.0.0.1, its print plugin
# writing JSON, aggregated by addresses, ports, protocol and the three
# primitives the file names for ntop's L7_PROTO_NAME (35632:119),
# L7_PROTO_CATEGORY (35632:501) and FLOW_SERVER_NAME (35632:122); the
# probe exports to it (ipfix://, default uniflow records) and writes JSON
# lines at the same time. For every flow direction with packets in the
# probe's JSON, nfacctd holds records with the same addresses, ports and
# protocol whose packets and bytes (summed) equal that direction's, and
# whose L7 name, category and server name equal the JSON's
# application_name, category_name and requested_server_name; nfacctd
# holds nothing else, and logs no complaint.
#
# nfacctd 1.7.7 (Debian 12) quirks handled here:
# - it acts on SIGTERM only when a datagram arrives (its core blocks the
#   signal while it waits): the stop sends one;
# - it misreads the second of several options templates in one set (it
#   sizes IPFIX options templates as NetFlow v9 ones) and says
#   "insert_opt_template(): unable to read Options Template Flowset
#   (malformed)": let pass, the flow records do not depend on them;
# - its shutdown races with its plugin: on SIGTERM the core sleeps 2 s,
#   sends the plugin SIGINT and only then waits for it; a plugin that
#   purged and exited before the core reached wait() (a busy machine)
#   is reaped by the core's SIGCHLD handler instead, which logs
#   "connection lost to 'flows-print'" and "no more plugins active.
#   Shutting down." and exits 1. Let pass only after the SIGTERM, and
#   only when the plugin (its own PID) finished its exit purge before:
#   then nothing was lost, which the comparison checks anyway. Said in
#   the output. NFACCTD_RACE=1 makes that happen (the plugin is sent
#   SIGINT while the core sleeps), to try this check.
#
# Exit: 0 pass, 1 fail, 77 skip (nfacctd or python3 missing, no
# libfixbuf), 99 hard error. About 10 s.
set -u
. "$(dirname "$0")/lib.sh"

# $NFACCTD if set, else nfacctd from PATH or /usr/sbin (where Debian
# puts it, often not in a user's PATH).
if [ -z "${NFACCTD:-}" ]; then
	NFACCTD=nfacctd
	if ! command -v nfacctd >/dev/null 2>&1 && [ -x /usr/sbin/nfacctd ]; then
		NFACCTD=/usr/sbin/nfacctd
	fi
fi
skip_unless_cmd "$NFACCTD" timeout "$PYTHON"
skip_unless_ipfix
prims=$(cd "$srcdir" && pwd)/templates/nfacctd-primitives.lst
[ -f "$prims" ] || { echo "ERROR: no $prims"; exit 99; }

# prim_name PEN:ID: the name the primitives file gives that element (keys
# in any order on a line, '!' starts a comment).
prim_name() {
	awk -v ft="$1" '!/^[ \t]*!/ {
		n = ""; t = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^name=/) n = substr($i, 6)
			else if ($i ~ /^field_type=/) t = substr($i, 12)
		}
		if (t == ft && n != "") { print n; exit }
	}' "$prims"
}
l7name=$(prim_name 35632:119)
l7cat=$(prim_name 35632:501)
srvname=$(prim_name 35632:122)
if [ -z "$l7name" ] || [ -z "$l7cat" ] || [ -z "$srvname" ]; then
	echo "FAIL: $prims lacks L7_PROTO_NAME (35632:119), L7_PROTO_CATEGORY"
	echo "      (35632:501) or FLOW_SERVER_NAME (35632:122)"
	exit 1
fi

# nfacctd_kill PID: the last resort, at exit: the core and its plugin.
nfacctd_kill() {
	_k=$(pgrep -P "$1" 2>/dev/null)
	kill -KILL "$1" $_k 2>/dev/null
}

# poke PORT: a datagram of 4 zero bytes to 127.0.0.1:PORT, shorter than
# any NetFlow/IPFIX header: nfacctd drops it without a word (an empty
# IPFIX message would be logged as an incomplete packet).
poke() {
	"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\0\0\0\0", ("127.0.0.1", int(sys.argv[1])))' "$1"
}

# count_purges N: how many print purges collector N has finished.
count_purges() {
	grep -a -c "Purging cache - END" "$tmp/nfacctd$1.log" 2>/dev/null
}

set -- "$srcdir/tests/data/instagram.pcap"
for f in ndpi/dns_fragmented.pcap ndpi/quic.pcap; do
	[ -f "$L7_PCAPS/$f" ] && set -- "$@" "$L7_PCAPS/$f"
done

# One collector per capture, all started first.
n=0
for cap in "$@"; do
	n=$((n + 1))
	port=$(free_port udp)
	cat >"$tmp/nfacctd$n.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
aggregate_primitives: $prims
plugins: print[flows]
aggregate[flows]: src_host, dst_host, src_port, dst_port, proto, $l7name, $l7cat, $srvname
print_output[flows]: json
print_output_file[flows]: $tmp/nfacctd$n.json
print_output_file_append[flows]: true
print_num_protos[flows]: true
print_refresh_time[flows]: 1
EOF
	"$NFACCTD" -f "$tmp/nfacctd$n.conf" >"$tmp/nfacctd$n.log" 2>&1 &
	pid=$!
	eval "nfpid$n=$pid nfport$n=$port"
	at_exit "nfacctd_kill $pid"
done
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
	eval "pid=\$nfpid$i"
	w=0
	until grep -a -q "waiting for NetFlow/IPFIX data" "$tmp/nfacctd$i.log" &&
	    grep -a -q "JSON: setting object handlers" "$tmp/nfacctd$i.log"; do
		w=$((w + 1))
		if [ $w -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "ERROR: nfacctd did not start:"
			cat "$tmp/nfacctd$i.log"
			exit 99
		fi
		sleep 0.1
	done
	# The print plugin: the core's one child.
	eval "plugpid$i=$(pgrep -P "$pid" 2>/dev/null | head -1)"
done

fail=0
i=0
for cap in "$@"; do
	i=$((i + 1))
	eval "port=\$nfport$i"
	timeout 20 "$L7PROBE" -r "$cap" -n "ipfix://127.0.0.1:$port" \
	    -n "json:$tmp/probe$i.json" 2>"$tmp/probe$i.err"
	st=$?
	if [ $st -ne 0 ]; then
		echo "FAIL: probe exit $st on $cap"
		cat "$tmp/probe$i.err"
		fail=1
	fi
	eval "purges$i=$(count_purges $i)"
done

# Everything was sent on loopback before the probes ended: two purges
# later, it is all written. Then SIGTERM (and a datagram, see above):
# the plugin purges what is left and nfacctd exits.
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
	eval "pid=\$nfpid$i port=\$nfport$i p0=\$purges$i plug=\$plugpid$i"
	w=0
	while [ "$(count_purges $i)" -lt $((p0 + 2)) ] && [ $w -lt 100 ]; do
		w=$((w + 1))
		sleep 0.1
	done
	# Lines before the SIGTERM: nfacctd's run; after it: its shutdown.
	eval "mark$i=$(wc -l <"$tmp/nfacctd$i.log")"
	kill -TERM "$pid" 2>/dev/null
	if [ "${NFACCTD_RACE:-0}" = 1 ] && [ -n "$plug" ]; then
		poke "$port"
		sleep 0.5
		kill -INT "$plug" 2>/dev/null
	fi
	w=0
	while kill -0 "$pid" 2>/dev/null && [ $w -lt 100 ]; do
		[ $((w % 5)) -eq 0 ] && poke "$port"
		w=$((w + 1))
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: nfacctd $i did not stop on SIGTERM"
		nfacctd_kill "$pid"
		fail=1
	fi
	wait "$pid" 2>/dev/null
done

i=0
for cap in "$@"; do
	i=$((i + 1))
	eval "mark=\$mark$i plug=\$plugpid$i"
	if ! timeout 30 "$PYTHON" - "$cap" "$tmp/probe$i.json" \
	    "$tmp/nfacctd$i.json" "$tmp/nfacctd$i.log" \
	    "$l7name" "$l7cat" "$srvname" "$mark" "${plug:-0}" <<'PYEOF'
import ipaddress, json, re, sys

cap, probe_json, nf_json, nf_log, l7name, l7cat, srvname = sys.argv[1:8]
mark, plug = int(sys.argv[8]), int(sys.argv[9])

def new():
    return {"pkts": 0, "bytes": 0, "name": set(), "cat": set(), "srv": set()}

# The probe's flows, per direction: (src, sport, dst, dport, proto).
exp = {}
flows = 0
for line in open(probe_json):
    r = json.loads(line)
    flows += 1
    src = ipaddress.ip_address(r["ip_src"])
    dst = ipaddress.ip_address(r["ip_dst"])
    sp, dp, proto = r["src_port"], r["dst_port"], r["ip_protocol"]
    for key, pkts, nbytes in (
            ((src, sp, dst, dp, proto), r["src_to_dst_pkts"],
             r["src_to_dst_bytes"]),
            ((dst, dp, src, sp, proto), r["dst_to_src_pkts"],
             r["dst_to_src_bytes"])):
        if pkts == 0:
            continue        # no record for a direction without packets
        e = exp.setdefault(key, new())
        e["pkts"] += pkts
        e["bytes"] += nbytes
        e["name"].add(r["application_name"])
        e["cat"].add(r["category_name"])
        e["srv"].add(r["requested_server_name"])

# nfacctd's records, summed by the same key (a flow may come in several
# purges, or split by an aggregation primitive).
got = {}
recs = 0
bad = []
for line in open(nf_json, errors="replace"):
    line = line.strip()
    if not line:
        continue
    try:
        r = json.loads(line)
    except ValueError:
        bad.append("nfacctd: not JSON: %r" % line[:200])
        continue
    recs += 1
    key = (ipaddress.ip_address(r["ip_src"]), int(r["port_src"]),
           ipaddress.ip_address(r["ip_dst"]), int(r["port_dst"]),
           int(r["ip_proto"]))
    g = got.setdefault(key, new())
    g["pkts"] += int(r["packets"])
    g["bytes"] += int(r["bytes"])
    g["name"].add(r.get(l7name))
    g["cat"].add(r.get(l7cat))
    g["srv"].add(r.get(srvname))

def fmt(k):
    return "%s %s:%d > %s:%d" % (k[4], k[0], k[1], k[2], k[3])

for k in sorted(set(exp) | set(got), key=lambda k: (str(k[0]), k[1:2],
                                                   str(k[2]), k[3:])):
    e, g = exp.get(k), got.get(k)
    if g is None:
        bad.append("%s: %d pkts %d bytes %s, not in nfacctd" % (
            fmt(k), e["pkts"], e["bytes"], sorted(e["name"])))
        continue
    if e is None:
        bad.append("%s: in nfacctd (%d pkts %d bytes %s), not in the "
                   "probe's JSON" % (fmt(k), g["pkts"], g["bytes"],
                                     sorted(map(str, g["name"]))))
        continue
    if (e["pkts"], e["bytes"]) != (g["pkts"], g["bytes"]):
        bad.append("%s: probe %d pkts %d bytes, nfacctd %d pkts %d bytes"
                   % (fmt(k), e["pkts"], e["bytes"], g["pkts"], g["bytes"]))
    for f, prim in (("name", l7name), ("cat", l7cat), ("srv", srvname)):
        if e[f] != g[f]:
            bad.append("%s: %s: probe %s, nfacctd %s" % (
                fmt(k), prim, sorted(e[f]), sorted(map(str, g[f]))))

# Complaints of nfacctd, but for the options template it misreads.
known = re.compile(r"(insert|refresh)_opt_template\(\): unable to read "
                   r"Options Template Flowset \(malformed\)")
# Its shutdown race (see the top): after the SIGTERM (line <mark>), once
# the plugin itself (PID <plug>) has ended its exit purge.
race = re.compile(r"connection lost to 'flows-print'; closing connection|"
                  r"no more plugins active\. Shutting down\.")
plug_end = re.compile(r"Purging cache - END \(PID: %d," % plug)
tolerated = 0
raced = 0
purged = False
for n, l in enumerate(open(nf_log, errors="replace")):
    l = l.strip("\0\r\n ")
    if n >= mark and plug > 0 and plug_end.search(l):
        purged = True
    if "'--build=" in l:
        continue            # the configure arguments, at startup
    if not re.search(r"ERROR|WARN|malformed|unable|discard|invalid|"
                     r"incomplete|too long|unknown|fail", l, re.I):
        continue
    if known.search(l):
        tolerated += 1
    elif n >= mark and purged and race.search(l):
        raced += 1
    else:
        bad.append("nfacctd: " + l)

named = sum(1 for e in exp.values() if e["srv"] != {""})
print("%s: %d flows, %d directions (%d with a server name), %d nfacctd "
      "records%s" % (cap, flows, len(exp), named, recs,
                     ", %d options template complaint(s) let pass"
                     % tolerated if tolerated else ""))
if raced:
    print("  note: nfacctd's shutdown race: its print plugin purged and "
          "exited before the core waited for it (%d lines let pass)" % raced)
for b in bad[:20]:
    print("  " + b)
if len(bad) > 20:
    print("  ... %d more" % (len(bad) - 20))
sys.exit(1 if bad or not exp else 0)
PYEOF
	then
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "PASS: $n captures"
exit $fail
