#!/usr/bin/python3
"""ndpi_agree.py - l7probe's classification must agree with ndpiReader's.

For every capture of the nDPI test corpus ($L7_PCAPS/ndpi, LGPL-3.0 test
data from ntop/nDPI tests/cfgs/default/pcap), runs ndpiReader (the nDPI
example reader, from libndpi-bin) and l7probe, matches their flows by
5-tuple (addresses, ports, IP protocol; either direction; VLAN and tunnel
ids ignored) and compares the application name ("master.app", as
ndpiReader prints it) and the category of every flow both have seen.
Passes when at least 99% agree. The expectation is ndpiReader's output at
test time: nothing is stored.

Both tools give nDPI the same packets per flow: l7probe --dpi-packets 20,
ndpiReader -T 19 -U 19 (it gives up once a flow has *more* than N packets,
after feeding that packet). ndpiReader -t decodes GTP-U like l7probe;
IP-in-IP it always decodes. GRE and VXLAN flows, which only l7probe opens,
and later IP fragments, which only l7probe counts, just do not match.

Without the corpus (make distcheck, a tarball), the captures shipped in
$srcdir/tests/data are compared instead.

Environment: L7PROBE (binary, default ./l7probe), srcdir (default .),
L7_PCAPS (corpus, default $srcdir/../shared/pcaps), L7_AGREE_MIN (percent,
default 99), L7_AGREE_JOBS (parallel files, default 2).
Exit: 0 pass, 1 fail, 77 skip (no ndpiReader, or an l7probe built without
nDPI, as its -V says), 99 hard error.
"""

import concurrent.futures
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys

DPI_PKTS = 20
TOOL_TIMEOUT_S = 120
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")

# ipProto2Name() of ndpiReader 4.2; anything else is printed as a number.
PROTO_NUM = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "VRRP": 112,
             "IGMP": 2}

# "\t12\tUDP 1.2.3.4:53 <-> [::1]:5353 [VLAN: 7][proto: GTP:5.126/DNS.Google]
#  [ClearText][Confidence: DPI][cat: Web/5]..."
FLOW_RE = re.compile(
    r"^\t(?P<id>\d+)\t(?P<proto>\S+) "
    r"(?P<src>\[[^\]]+\]|[^\s\[]+):(?P<sport>\d+) (?:<->|->) "
    r"(?P<dst>\[[^\]]+\]|[^\s\[]+):(?P<dport>\d+) "
    r".*?\[proto: (?:[A-Za-z0-9_]+:)?(?P<ids>[0-9.]+)/(?P<name>[^\]]+)\]")
CAT_RE = re.compile(r"\]\[cat: (?P<cat>[^/\]]+)/\d+\]")


def die(code, msg):
    print("ndpi_agree: " + msg, file=sys.stderr)
    sys.exit(code)


def norm_addr(text):
    text = text.strip("[]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        # ndpiReader 4.2 "patches" some IPv6 names into invalid text
        # (two "::"); such a flow then just does not match.
        return text.lower()


def flow_key(proto, a, aport, b, bport):
    ends = sorted([(norm_addr(a), int(aport)), (norm_addr(b), int(bport))])
    return (int(proto), ends[0], ends[1])


def parse_ndpireader(text):
    """Returns {key: set of (app, category)} from `ndpiReader -v 2` output.
    Undetected flows are listed twice; the set absorbs that."""
    flows = {}
    for line in text.splitlines():
        m = FLOW_RE.match(line)
        if m is None:
            continue
        proto = m.group("proto")
        if proto.isdigit():
            proto = int(proto)
        elif proto in PROTO_NUM:
            proto = PROTO_NUM[proto]
        else:
            continue
        c = CAT_RE.search(line)
        cat = c.group("cat") if c else "Unspecified"
        key = flow_key(proto, m.group("src"), m.group("sport"),
                       m.group("dst"), m.group("dport"))
        flows.setdefault(key, set()).add((m.group("name"), cat))
    return flows


def parse_l7probe(text):
    """Returns {key: set of (app, category)} from l7probe's JSON lines."""
    flows = {}
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        key = flow_key(r["ip_protocol"], r["ip_src"], r["src_port"],
                       r["ip_dst"], r["dst_port"])
        flows.setdefault(key, set()).add((r["application_name"],
                                          r["category_name"]))
    return flows


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TOOL_TIMEOUT_S, check=False)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def compare_file(l7probe, path):
    """Runs both tools on one capture. Returns (name, theirs, ours, note)."""
    name = os.path.basename(path)
    rc, out, err = run(["ndpiReader", "-q", "-i", path, "-v", "2", "-t",
                        "-T", str(DPI_PKTS - 1), "-U", str(DPI_PKTS - 1)])
    theirs = parse_ndpireader(out)
    note = ""
    if rc != 0:
        note += "ndpiReader exit %d; " % rc
    rc, out, err = run([l7probe, "-q", "-r", path,
                        "--dpi-packets", str(DPI_PKTS)])
    # A capture cut short (fuzz-*) makes l7probe exit 1 after exporting
    # the flows read so far: those still count.
    ours = parse_l7probe(out)
    if rc != 0:
        note += "l7probe exit %d: %s" % (rc, err.strip().splitlines()[-1]
                                         if err.strip() else "")
    return name, theirs, ours, note


def fmt_key(key):
    proto, a, b = key
    def end(e):
        return ("[%s]:%d" if ":" in e[0] else "%s:%d") % e
    return "%d %s <-> %s" % (proto, end(a), end(b))


def fmt_res(res):
    return " | ".join("%s/%s" % r for r in sorted(res))


def main():
    srcdir = os.environ.get("srcdir", ".")
    l7probe = os.environ.get("L7PROBE", "./l7probe")
    pcaps = os.environ.get("L7_PCAPS",
                           os.path.join(srcdir, "..", "shared", "pcaps"))
    want = float(os.environ.get("L7_AGREE_MIN", "99"))
    jobs = int(os.environ.get("L7_AGREE_JOBS", "2"))
    corpus = os.path.join(pcaps, "ndpi")

    if shutil.which("ndpiReader") is None:
        die(77, "SKIP: ndpiReader not found (install libndpi-bin)")
    if not os.path.isdir(corpus):
        # The sample shipped in tests/data: every build compares some.
        print("ndpi_agree: no corpus at %s, the captures in tests/data"
              % corpus)
        corpus = os.path.join(srcdir, "tests", "data")
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus)
                   if f.endswith(CAPTURE_SUFFIXES))
    if not files:
        die(77, "SKIP: no captures in %s" % corpus)
    if not os.access(l7probe, os.X_OK):
        die(99, "%s: not an executable (set L7PROBE)" % l7probe)
    version = subprocess.run([l7probe, "-V"], capture_output=True,
                             text=True).stdout
    if "classification: none" in version:
        die(77, "SKIP: l7probe was built without nDPI (-V)")

    compared = agreed = only_theirs = only_ours = ambiguous = 0
    ours_known = 0
    problems = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda f: compare_file(l7probe, f), files)
        for name, theirs, ours, note in results:
            if note:
                problems.append("%s: %s" % (name, note))
            only_theirs += len(theirs.keys() - ours.keys())
            only_ours += len(ours.keys() - theirs.keys())
            ours_known += sum(1 for res in ours.values()
                              for app, _ in res if app != "Unknown")
            for key in sorted(theirs.keys() & ours.keys()):
                t, o = theirs[key], ours[key]
                compared += 1
                # A 5-tuple reused after an idle timeout is several flows,
                # ended at different times by each tool: agreeing on one
                # of them is enough.
                if len(t) == 1 and len(o) == 1:
                    ok = t == o
                else:
                    ambiguous += 1
                    ok = bool(t & o)
                if ok:
                    agreed += 1
                else:
                    print("DIFF %s %s: l7probe %s, ndpiReader %s"
                          % (name, fmt_key(key), fmt_res(o), fmt_res(t)))

    for p in problems:
        print("note: " + p)
    if compared == 0:
        die(99, "no flow seen by both tools")
    if ours_known == 0:
        die(1, "FAIL: l7probe classified no flow, yet -V names nDPI")
    pct = 100.0 * agreed / compared
    print("ndpi_agree: %d captures, %d flows seen by both, %d agree "
          "(%.2f%%), %d with several results per 5-tuple; %d flows only "
          "in ndpiReader, %d only in l7probe; need %.2f%%"
          % (len(files), compared, agreed, pct, ambiguous, only_theirs,
             only_ours, want))
    return 0 if pct >= want else 1


if __name__ == "__main__":
    sys.exit(main())
