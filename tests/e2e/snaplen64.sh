#!/bin/sh
# snaplen64.sh - a capture cut to a snap length of 64 bytes still makes its
# flows: an IPv6 TCP connection over Ethernet (74 bytes of headers) is cut
# at 64, after the ports. The cut capture must give the same flows, with
# the same packet and byte counts (IP lengths), as the whole one, nothing
# ignored, and no TCP flags (they were cut off).
set -u
L7PROBE=${L7PROBE:-./l7probe}
srcdir=${srcdir:-.}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || exit 77
tmp=$(mktemp -d "${TMPDIR:-/tmp}/l7snap.$$.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
"$PYTHON" - "$L7PROBE" "$srcdir/tests/data/ipv6-ftp.pcap" "$tmp" <<'PYEOF'
import json, re, struct, subprocess, sys

probe, cap, tmp = sys.argv[1:4]
failures = []

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)

# Cut every frame to 64 bytes as a capture with -s 64 would: incl_len
# shrinks, orig_len (the wire length) stays.
data = open(cap, "rb").read()
e = "<" if struct.unpack_from("<I", data, 0)[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
out = bytearray(data[:24])
struct.pack_into(e + "I", out, 16, 64)          # snaplen in the file header
off, n, longer = 24, 0, 0
while off + 16 <= len(data):
    sec, frac, incl, orig = struct.unpack_from(e + "IIII", data, off)
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    n += 1
    longer += incl > 64
    out += struct.pack(e + "IIII", sec, frac, min(incl, 64), orig)
    out += frame[:64]
cut = tmp + "/cut64.pcap"
open(cut, "wb").write(out)
check(n == 18 and longer == 18, "all %d frames longer than 64 bytes (%d)" % (n, longer))

def run(path):
    p = subprocess.run([probe, "-r", path, "--no-dpi", "-n", "json:-"],
                       capture_output=True, text=True, timeout=60)
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    m = re.search(r"packets: read (\d+), in records (\d+), ignored (\d+)",
                  p.stderr)
    return p.returncode, recs, m

def flows(recs):
    return sorted((r["ip_src"], r["src_port"], r["ip_dst"], r["dst_port"],
                   r["ip_protocol"], r["src_to_dst_pkts"],
                   r["dst_to_src_pkts"], r["src_to_dst_bytes"],
                   r["dst_to_src_bytes"]) for r in recs)

rc, whole, m = run(cap)
check(rc == 0 and m is not None and m.group(3) == "0", "whole capture: no packet ignored")
rc, cutr, m = run(cut)
check(rc == 0, "cut capture: exit status 0 (%d)" % rc)
check(m is not None and m.groups() == ("18", "18", "0"),
      "cut capture: read 18, in records 18, ignored 0 (%s)" %
      (str(m.groups()) if m else "no counters",))
check(len(whole) == 1 and flows(whole) == flows(cutr),
      "cut capture: the same flow, packets and bytes (%s)" % flows(cutr))
check(all(r["ip_version"] == 6 for r in cutr), "the flow is IPv6")
check(any(r["src_to_dst_tcp_flags"] for r in whole) and
      all(r["src_to_dst_tcp_flags"] == 0 and r["dst_to_src_tcp_flags"] == 0
          for r in cutr), "TCP flags present whole, absent when cut")
sys.exit(1 if failures else 0)
PYEOF
