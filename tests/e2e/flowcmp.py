#!/usr/bin/python3
"""flowcmp.py - compare l7probe's flow records with what tshark decodes.

For one capture file, this module
  (a) asks tshark for the protocol layers of every frame and derives the
      flows l7probe must report, by the probe's rules (flow key, outer
      VLAN, fragments, tunnels; see expected_flows());
  (b) runs l7probe on the file (JSON records on stdout, counters on
      stderr) and sums its records per flow key and direction;
  (c) compares both: every flow's packets and bytes per direction, no
      flow missing or extra, and the packet totals.

It is a library (tshark_counts.sh drives it over a corpus through the
CLI) and a CLI:

    flowcmp.py [--no-tunnels | --both] [--probe PATH] FILE...
    flowcmp.py --both --jobs 2 --exceptions LIST --max-except-pct 2 \
        --files-from FILES

tshark runs once per file (ip/ipv6 defragmentation and TCP reassembly
off) with -T fields and occurrence=a; the k-th layer of a name in
frame.protocols owns the k-th occurrence of that protocol's fields.

Exit status: 0 all files agree (or are excepted / unsupported by both),
1 a mismatch, 2 usage or tool error. Only the standard library is used.
"""

import argparse
import collections
import concurrent.futures
import ipaddress
import json
import os
import re
import subprocess
import sys
import time

# --------------------------------------------------------------------------
# tshark side

TSHARK_PREFS = [
    "-o", "ip.defragment:FALSE",
    "-o", "ipv6.defragment:FALSE",
    "-o", "tcp.desegment_tcp_streams:FALSE",
]

# Fields asked of tshark, in column order. With occurrence=a every column
# holds all occurrences in the frame, in dissection order, comma-joined.
FIELDS = [
    "frame.number", "frame.protocols", "frame.cap_len", "frame.len",
    "vlan.id", "ieee8021ad.id",
    "ip.src", "ip.dst", "ip.proto", "ip.len", "ip.id", "ip.flags.mf",
    "ip.frag_offset", "ip.hdr_len", "ip.bogus_ip_length",
    "ipv6.plen_exceeds_framing",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen", "ipv6.opt.jumbo",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.dstopts.nxt",
    "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
    "ipv6.fraghdr.ident", "ah.next_header",
    "tcp.srcport", "tcp.dstport", "tcp.flags",
    "udp.srcport", "udp.dstport",
    "sctp.srcport", "sctp.dstport",
    "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "gre.flags.version", "gre.flags.routing", "gre.flags.key", "gre.key",
    "gre.proto",
    "gtp.flags.version", "gtp.flags.payload", "gtp.message", "gtp.teid",
    "vxlan.flag_i", "vxlan.vni",
]

# Layer names of the outer link layer that the probe walks through to
# reach IP (what tshark calls them in frame.protocols).
LINK_LAYERS = {"eth", "ethertype", "vlan", "ieee8021ad", "sll", "raw",
               "null", "ppp", "chdlc", "nflog", "ppi", "pcap_pktdata",
               "mpls", "pppoes"}
# Layers allowed between a tunnel header and its inner IP packet.
INNER_LINK_LAYERS = {"eth", "ethertype", "vlan", "ieee8021ad", "mpls",
                     "pppoes", "ppp"}
IPV6_EXT = {"ipv6.hopopts": "ipv6.hopopts.nxt",
            "ipv6.routing": "ipv6.routing.nxt",
            "ipv6.dstopts": "ipv6.dstopts.nxt",
            "ipv6.fraghdr": "ipv6.fraghdr.nxt",
            "ah": "ah.next_header"}
# IP protocol -> (tshark layer, field whose presence proves the header
# is there and sane: tcp.flags (tshark wants a 20-byte TCP header with a
# data offset of 5 or more), UDP all 8 bytes, SCTP ports, ICMP type and
# code). Without it the probe must ignore the packet (truncated or
# malformed), except for a first fragment (see parse_ip).
L4_NEED = {6: ("tcp", "tcp.flags"), 17: ("udp", "udp.srcport"),
           132: ("sctp", "sctp.srcport"), 1: ("icmp", "icmp.code"),
           58: ("icmpv6", "icmpv6.code")}
# Bytes of L4 header the probe needs (dec_l4.c).
MIN_L4 = {6: 14, 17: 8, 132: 4, 1: 2, 58: 2}
PORTS = {"tcp": ("tcp.srcport", "tcp.dstport"),
         "udp": ("udp.srcport", "udp.dstport"),
         "sctp": ("sctp.srcport", "sctp.dstport")}

MAX_TUNNELS = 4         # DEC_MAX_TUNNELS
GTPU_PORT = 2152
VXLAN_PORT = 4789
GRE_PAYLOADS = {0x0800: "ip", 0x86DD: "ipv6", 0x6558: "ether",
                0x8847: "mpls"}

FRAG_NONE, FRAG_FIRST, FRAG_LATER = 0, 1, 2


def as_int(text):
    """Integer of a tshark value: decimal, 0x-hex, or True/False."""
    if text in ("True", "False"):
        return int(text == "True")
    return int(text, 0)


class Frame:
    """One frame as tshark decoded it: its layer names and field values.

    value(field, layer_index) gives the field of the layer at that
    position of frame.protocols: the k-th layer of a name owns the k-th
    occurrence of that name's fields (dissection order is layer order).
    A layer cut short has fewer fields; only the last layer can be cut,
    as tshark stops dissecting the frame there.
    """

    def __init__(self, cols):
        self.number = int(cols[0])
        self.layers = [n for n in cols[1].split(":")
                       if n and not n.startswith("ipv6.routing.type")]
        self.cap_len = int(cols[2] or 0)
        self.wire_len = int(cols[3] or 0)
        self.fields = {}
        for name, text in zip(FIELDS[4:], cols[4:]):
            if text:
                self.fields[name] = text.split(",")
        # occurrence number of each layer among layers of its name
        seen = collections.Counter()
        self.occ = []
        for name in self.layers:
            self.occ.append(seen[name])
            seen[name] += 1

    def value(self, field, idx, occ=None):
        """Value (int or str) of <field> for the layer at <idx>, or None."""
        vals = self.fields.get(field)
        k = self.occ[idx] if occ is None else occ
        if vals is None or k >= len(vals):
            return None
        v = vals[k]
        if field.endswith((".src", ".dst")) and field.startswith("ip"):
            return ipaddress.ip_address(v)
        return as_int(v)

    def layer(self, idx):
        return self.layers[idx] if 0 <= idx < len(self.layers) else None

    def only_ip_layer(self, idx):
        """True when the IP layer at <idx> is the frame's only one, so an
        expert field (present only where it applies) is surely its own."""
        return sum(1 for n in self.layers if n in ("ip", "ipv6")) == 1


class IPLayer:
    """An IP packet of a frame, with what the probe takes from it."""

    def __init__(self, idx, version, src, dst, proto, length, frag,
                 frag_id, l4_idx):
        self.idx = idx              # position in frame.protocols
        self.version = version
        self.src = src
        self.dst = dst
        self.proto = proto
        self.length = length        # bytes the probe counts
        self.frag = frag
        self.frag_id = frag_id
        self.l4_idx = l4_idx        # position of the layer after IP
        self.sport = 0
        self.dport = 0


def parse_ip(fr, idx):
    """Decodes the IP layer at <idx> as the probe would.

    Returns an IPLayer, or None when the probe would refuse it (header or
    needed L4 bytes missing: truncated or malformed).
    """
    name = fr.layer(idx)
    if name == "ip":
        src, dst = fr.value("ip.src", idx), fr.value("ip.dst", idx)
        proto, length = fr.value("ip.proto", idx), fr.value("ip.len", idx)
        if None in (src, dst, proto, length):
            return None
        if length == 0:
            # tshark puts the presumed (TSO) length in ip.len; 0 would be
            # a length the fields cannot give: flagged as a difference.
            return None
        if fr.only_ip_layer(idx) and fr.value("ip.bogus_ip_length", idx):
            # a length beyond the frame's wire length: malformed
            return None
        off = fr.value("ip.frag_offset", idx) or 0
        mf = fr.value("ip.flags.mf", idx) or 0
        frag = FRAG_LATER if off else FRAG_FIRST if mf else FRAG_NONE
        ipl = IPLayer(idx, 4, src, dst, proto, length, frag,
                      fr.value("ip.id", idx), idx + 1)
    elif name == "ipv6":
        src, dst = fr.value("ipv6.src", idx), fr.value("ipv6.dst", idx)
        nxt, plen = fr.value("ipv6.nxt", idx), fr.value("ipv6.plen", idx)
        if None in (src, dst, nxt, plen):
            return None
        if fr.only_ip_layer(idx) and \
                fr.value("ipv6.plen_exceeds_framing", idx):
            return None     # a length beyond the wire length: malformed
        frag, frag_id, j = FRAG_NONE, 0, idx + 1
        if plen == 0:
            # jumbogram: the k-th jumbo option of the frame
            k = sum(1 for i in range(idx) if fr.layers[i] == "ipv6"
                    and fr.value("ipv6.plen", i) == 0)
            jumbo = fr.value("ipv6.opt.jumbo", idx, occ=k)
            if jumbo is None:
                # The probe counts the captured length (GSO), which the
                # fields cannot give: flagged as a difference if it occurs.
                return None
            length = 40 + jumbo
        else:
            length = 40 + plen
        while fr.layer(j) in IPV6_EXT:
            ext = fr.layer(j)
            nxt = fr.value(IPV6_EXT[ext], j)
            if nxt is None:
                return None
            if ext == "ipv6.fraghdr":
                off = fr.value("ipv6.fraghdr.offset", j)
                more = fr.value("ipv6.fraghdr.more", j)
                frag_id = fr.value("ipv6.fraghdr.ident", j)
                if off is None or more is None or frag_id is None:
                    return None
                if off:
                    frag = FRAG_LATER
                    j += 1
                    break
                if more:
                    frag = FRAG_FIRST
            j += 1
        ipl = IPLayer(idx, 6, src, dst, nxt, length, frag, frag_id, j)
    else:
        return None
    if ipl.frag == FRAG_LATER:
        return ipl
    need = L4_NEED.get(ipl.proto)
    if need is None:
        return ipl
    lname, proof = need
    l4 = ipl.l4_idx
    if fr.layer(l4) == lname and fr.value(proof, l4) is not None:
        set_ports(fr, ipl)
        return ipl
    # A TCP or UDP header cut by the capture after its ports: the probe
    # counts the packet, with the ports and without flags.
    if ipl.proto in (6, 17) and fr.layer(l4) == lname and \
            fr.cap_len < fr.wire_len and set_ports(fr, ipl):
        return ipl
    if ipl.frag != FRAG_FIRST:
        return None
    # A first fragment may hold less than a whole L4 header, the rest
    # being in the next fragment: the probe reads what it needs (TCP up
    # to the flags, 14 bytes, where tshark wants 20) or, when the
    # fragment itself is shorter, counts it without ports.
    if name == "ip":
        hlen = fr.value("ip.hdr_len", idx)
        if hlen is not None and ipl.length - hlen < MIN_L4[ipl.proto]:
            return ipl
    if fr.layer(l4) != lname:
        return ipl
    if fr.cap_len == fr.wire_len and set_ports(fr, ipl):
        return ipl
    return None


def set_ports(fr, ipl):
    """Copies the ports of the L4 layer after <ipl>; False if absent."""
    names = PORTS.get(fr.layer(ipl.l4_idx))
    if names is None:
        return True
    sport = fr.value(names[0], ipl.l4_idx)
    dport = fr.value(names[1], ipl.l4_idx)
    if sport is None or dport is None:
        return False
    ipl.sport, ipl.dport = sport, dport
    return True


def inner_ip_after_link(fr, idx):
    """Position of the IP layer behind a tunnel's Ethernet/MPLS payload
    starting at <idx>, or None when something else is carried."""
    while fr.layer(idx) in INNER_LINK_LAYERS:
        idx += 1
    return idx if fr.layer(idx) in ("ip", "ipv6") else None


def tunnel_inner(fr, ipl):
    """The tunnel the probe enters from <ipl>: (inner IP position, tunnel
    id), or None when the payload is no tunnel by the probe's rules."""
    j = ipl.l4_idx
    if ipl.proto in (4, 41):
        want = "ip" if ipl.proto == 4 else "ipv6"
        return (j, 0) if fr.layer(j) == want else None
    if ipl.proto == 47:
        if fr.layer(j) != "gre" or fr.value("gre.flags.version", j) != 0 \
                or fr.value("gre.flags.routing", j):
            return None
        kind = GRE_PAYLOADS.get(fr.value("gre.proto", j))
        if kind is None:
            return None
        key = 0
        if fr.value("gre.flags.key", j):
            # gre.key exists for version 0 headers with K only
            k = sum(1 for i in range(j) if fr.layers[i] == "gre"
                    and fr.value("gre.flags.version", i) == 0
                    and fr.value("gre.flags.key", i))
            key = fr.value("gre.key", j, occ=k)
            if key is None:
                return None
        if kind in ("ip", "ipv6"):
            return (j + 1, key) if fr.layer(j + 1) == kind else None
        if kind == "mpls" and fr.layer(j + 1) != "mpls":
            return None
        if kind == "ether" and fr.layer(j + 1) != "eth":
            return None
        k = inner_ip_after_link(fr, j + 1)
        return None if k is None else (k, key)
    if ipl.proto == 17 and fr.layer(j) == "udp":
        if GTPU_PORT in (ipl.sport, ipl.dport):
            g = j + 1
            if fr.layer(g) != "gtp" or fr.value("gtp.flags.version", g) != 1 \
                    or fr.value("gtp.flags.payload", g) != 1 \
                    or fr.value("gtp.message", g) != 0xFF:
                return None
            if fr.layer(g + 1) not in ("ip", "ipv6"):
                return None
            return (g + 1, fr.value("gtp.teid", g) or 0)
        if ipl.dport == VXLAN_PORT:
            v = j + 1
            if fr.layer(v) != "vxlan" or not fr.value("vxlan.flag_i", v) \
                    or fr.layer(v + 1) != "eth":
                return None
            k = inner_ip_after_link(fr, v + 1)
            return None if k is None else (k, fr.value("vxlan.vni", v) or 0)
    return None


def resolve_tunnels(fr, ipl, depth=0):
    """Innermost IP packet the probe describes, starting from <ipl>, and
    the innermost non-zero tunnel id. A tunnel whose inner packet the
    probe cannot decode leaves the packet outside it."""
    if ipl.frag != FRAG_NONE or depth >= MAX_TUNNELS:
        return ipl, 0
    t = tunnel_inner(fr, ipl)
    if t is None:
        return ipl, 0
    inner = parse_ip(fr, t[0])
    if inner is None:
        return ipl, 0
    if inner.version != {4: 4, 41: 6}.get(ipl.proto, inner.version):
        return ipl, 0
    final, tid = resolve_tunnels(fr, inner, depth + 1)
    return final, tid or t[1]


class PacketView:
    """What one frame contributes: a flow packet or an ignored packet."""

    def __init__(self, number, ipl=None, vlan=0, tunnel_id=0, why=None):
        self.number = number
        self.ipl = ipl
        self.vlan = vlan
        self.tunnel_id = tunnel_id
        self.why = why          # reason for ignoring, None if counted
        self.addrs = set()      # addresses tshark saw in an ignored frame


def view_frame(fr, tunnels):
    """Applies the probe's decoder rules to one tshark frame."""
    first_ip = next((i for i, n in enumerate(fr.layers)
                     if n in ("ip", "ipv6")), None)
    if first_ip is None:
        return PacketView(fr.number, why="not_ip")
    prefix = fr.layers[:first_ip]
    if any(n not in LINK_LAYERS for n in prefix):
        return PacketView(fr.number, why="not_ip")
    vlan = 0
    for i in range(first_ip):
        if fr.layers[i] in ("vlan", "ieee8021ad"):
            vlan = fr.value(fr.layers[i] + ".id", i) or 0
            break
    ipl = parse_ip(fr, first_ip)
    if ipl is None:
        v = PacketView(fr.number, why="cut")
        v.addrs = ip_addrs(fr, first_ip)
        return v
    tid = 0
    if tunnels:
        ipl, tid = resolve_tunnels(fr, ipl)
    return PacketView(fr.number, ipl, vlan, tid)


def ip_addrs(fr, idx):
    """Addresses of the IP layer at <idx> as a set, for diagnostics."""
    v = "ip" if fr.layer(idx) == "ip" else "ipv6"
    return {a for a in (fr.value(v + ".src", idx), fr.value(v + ".dst", idx))
            if a is not None}


def run_tshark(path, tshark="tshark"):
    """Frames of <path> as tshark decodes them: (list of Frame, error
    text). The error text is tshark's stderr when the file is cut or
    unreadable, else ''."""
    cmd = [tshark, "-r", path, "-n"] + TSHARK_PREFS + [
        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
        "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=False)
    frames = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        frames.append(Frame(cols))
    err = p.stderr.decode("utf-8", "replace")
    err = "\n".join(l for l in err.splitlines()
                    if "Running as user" not in l)
    return frames, err


def tshark_linktypes(path, capinfos="capinfos"):
    """Encapsulation names capinfos gives for <path> (one per interface),
    e.g. ['ether'], or [] if capinfos fails."""
    p = subprocess.run([capinfos, "-T", "-r", "-E", path],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       check=False)
    out = p.stdout.decode("utf-8", "replace").strip().split("\t")
    return [e for e in out[1:] if e] if len(out) > 1 else []


# Capinfos encapsulation names of the link types l7probe supports.
SUPPORTED_ENCAPS = {"ether", "linux-sll", "linux-sll2", "rawip", "rawip4",
                    "rawip6", "null", "loop", "ppp", "chdlc", "nflog",
                    "ppi"}


def canon(version, a, pa, b, pb):
    """Orders the two endpoints; returns (endpoints tuple, swapped)."""
    ea, eb = (a.packed, pa), (b.packed, pb)
    if ea <= eb:
        return (version, str(a), pa, str(b), pb), False
    return (version, str(b), pb, str(a), pa), True


def flow_key(version, src, sport, dst, dport, proto, vlan, tunnel_id):
    """Canonical flow key and whether src is the key's second endpoint.
    When both endpoints are the same (a host talking to itself on one
    port) the directions cannot be told apart: all counts go to A->B."""
    ends, swapped = canon(version, src, sport, dst, dport)
    if ends[1:3] == ends[3:5]:
        return ends + (proto, vlan, tunnel_id), None
    return ends + (proto, vlan, tunnel_id), swapped


class Counts:
    """Packets and bytes of one flow, A->B and B->A (canonical order)."""
    __slots__ = ("pkts", "bytes", "frames")

    def __init__(self):
        self.pkts = [0, 0]
        self.bytes = [0, 0]
        self.frames = []

    def add(self, direction, pkts, nbytes, frame=None):
        self.pkts[direction] += pkts
        self.bytes[direction] += nbytes
        if frame is not None and len(self.frames) < 8:
            self.frames.append(frame)

    def same(self, other):
        return self.pkts == other.pkts and self.bytes == other.bytes

    def __str__(self):
        return "pkts %d/%d bytes %d/%d" % (self.pkts[0], self.pkts[1],
                                          self.bytes[0], self.bytes[1])


def expected_flows(frames, tunnels):
    """Flows the probe must report for <frames>: (dict key -> Counts,
    list of PacketView of the frames the probe must ignore).

    Later fragments (offset > 0) join the flow of the first fragment of
    their datagram (same addresses, protocol, IP id, VLAN, tunnel id),
    looked up among all frames so one arriving first joins too; with no
    first fragment in the file they make a flow without ports.
    """
    views = [view_frame(fr, tunnels) for fr in frames]
    firsts = collections.defaultdict(list)
    for v in views:
        if v.ipl is not None and v.ipl.frag == FRAG_FIRST:
            firsts[frag_key(v)].append(v)
    flows = collections.defaultdict(Counts)
    ignored = []
    for v in views:
        if v.ipl is None:
            ignored.append(v)
            continue
        ipl = v.ipl
        sport, dport = ipl.sport, ipl.dport
        if ipl.frag == FRAG_LATER:
            cands = firsts.get(frag_key(v), [])
            before = [c for c in cands if c.number < v.number]
            first = before[-1] if before else cands[0] if cands else None
            if first is not None:
                sport, dport = first.ipl.sport, first.ipl.dport
        key, swapped = flow_key(ipl.version, ipl.src, sport, ipl.dst, dport,
                                ipl.proto, v.vlan, v.tunnel_id)
        flows[key].add(int(bool(swapped)), 1, ipl.length, v.number)
    return flows, ignored


def frag_key(v):
    """Identity of the IP datagram a fragment belongs to."""
    i = v.ipl
    return (i.version, i.src, i.dst, i.proto, i.frag_id, v.vlan,
            v.tunnel_id)


# --------------------------------------------------------------------------
# probe side

STAT_RE = re.compile(r"packets: read (\d+), in records (\d+), ignored (\d+)")


class ProbeRun:
    """Result of one l7probe run: flows, counters, status."""

    def __init__(self):
        self.rc = None
        self.flows = collections.defaultdict(Counts)
        self.records = 0
        self.read = self.in_records = self.ignored = None
        self.stderr = ""
        self.bad_lines = []


def run_probe(path, tunnels, probe, timeout=120, extra=()):
    """Runs <probe> on <path>; sums its JSON records per flow key."""
    cmd = [probe, "-r", path, "--no-dpi", "-n", "json:-"] + list(extra)
    if not tunnels:
        cmd.append("--no-tunnels")
    res = ProbeRun()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, check=False)
    res.rc = p.returncode
    res.stderr = p.stderr.decode("utf-8", "replace")
    m = STAT_RE.search(res.stderr)
    if m:
        res.read, res.in_records, res.ignored = map(int, m.groups())
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            key, swapped = flow_key(
                r["ip_version"], ipaddress.ip_address(r["ip_src"]),
                r["src_port"], ipaddress.ip_address(r["ip_dst"]),
                r["dst_port"], r["ip_protocol"], r["vlan_id"],
                r["tunnel_id"])
        except (ValueError, KeyError, TypeError):
            res.bad_lines.append(line)
            continue
        c = res.flows[key]
        d = int(bool(swapped))
        c.add(d, r["src_to_dst_pkts"], r["src_to_dst_bytes"])
        c.add(d if swapped is None else 1 - d, r["dst_to_src_pkts"],
              r["dst_to_src_bytes"])
        res.records += 1
    return res


# --------------------------------------------------------------------------
# comparison

UNSUPPORTED_RE = re.compile(r"link type .* is not supported")


def fmt_key(k):
    v, a, pa, b, pb, proto, vlan, tid = k
    if v == 6:
        a, b = "[%s]" % a, "[%s]" % b
    s = "%s:%d <-> %s:%d proto %d" % (a, pa, b, pb, proto)
    if vlan:
        s += " vlan %d" % vlan
    if tid:
        s += " tunnel %d" % tid
    return s


def ignored_hint(key, ignored):
    """' [...]' naming frames expected to be ignored (header cut or
    malformed by tshark) between the flow's two addresses: the likely
    culprits of a flow the probe counts more packets in."""
    ends = {ipaddress.ip_address(key[1]), ipaddress.ip_address(key[3])}
    nums = [v.number for v in ignored if v.addrs and v.addrs <= ends]
    if not nums:
        return ""
    return " [tshark finds frame(s) %s cut or malformed]" % ",".join(
        map(str, nums[:10]))


class Outcome:
    """Verdict for one file in one mode."""

    def __init__(self, path, tunnels):
        self.path = path
        self.tunnels = tunnels
        self.status = "ok"      # ok, mismatch, unsupported, error
        self.flows = 0
        self.problems = []

    @property
    def mode(self):
        return "tunnels" if self.tunnels else "no-tunnels"

    def fail(self, msg, status="mismatch"):
        self.status = status
        self.problems.append(msg)


def compare(path, frames, tsh_err, tunnels, probe, max_diffs=20):
    """Compares the probe with tshark's expectation for <path>."""
    out = Outcome(path, tunnels)
    res = run_probe(path, tunnels, probe)
    if res.rc == 2:
        if UNSUPPORTED_RE.search(res.stderr):
            encaps = tshark_linktypes(path)
            if encaps and not set(encaps) & SUPPORTED_ENCAPS:
                out.status = "unsupported"
                out.problems.append("link type %s" % ",".join(encaps))
            else:
                out.fail("probe refuses link type, capinfos says %s: %s" %
                         (",".join(encaps) or "?",
                          res.stderr.strip().splitlines()[0]))
        else:
            out.fail("probe exit 2: %s" % res.stderr.strip()[:300], "error")
        return out
    cut = bool(tsh_err) and ("cut short" in tsh_err or "truncated" in tsh_err)
    if res.rc not in (0, 1) or (res.rc == 1 and not cut):
        out.fail("probe exit %s (tshark: %s): %s" % (
            res.rc, tsh_err.strip()[:200] or "no error",
            res.stderr.strip()[:300]))
    elif res.rc == 0 and cut:
        out.fail("probe exit 0 but tshark says: %s" % tsh_err.strip()[:200])
    if res.bad_lines:
        out.fail("%d unparsable record(s), first: %s" % (
            len(res.bad_lines), res.bad_lines[0][:200]))
    exp, ign = expected_flows(frames, tunnels)
    nign, ign_frames = len(ign), [v.number for v in ign]
    exp_pkts = sum(sum(c.pkts) for c in exp.values())
    if res.read is None:
        out.fail("no 'packets:' counter line on stderr")
    else:
        if res.read != len(frames):
            out.fail("read %d, tshark frames %d" % (res.read, len(frames)))
        if res.in_records + res.ignored != res.read:
            out.fail("in records %d + ignored %d != read %d" % (
                res.in_records, res.ignored, res.read))
        if res.in_records != exp_pkts:
            out.fail("in records %d, expected %d (ignored %d, expected %d%s)"
                     % (res.in_records, exp_pkts, res.ignored, nign,
                        ": frames " + ",".join(map(str, ign_frames[:10]))
                        if nign else ""))
    diffs = []
    for k in sorted(set(exp) | set(res.flows), key=fmt_key):
        e, g = exp.get(k), res.flows.get(k)
        if e is not None and g is not None and e.same(g):
            continue
        hint = ignored_hint(k, ign)
        if g is None:
            diffs.append("missing  %s: expected %s (frames %s)" % (
                fmt_key(k), e, ",".join(map(str, e.frames))))
        elif e is None:
            diffs.append("extra    %s: probe %s%s" % (fmt_key(k), g, hint))
        else:
            diffs.append("differs  %s: expected %s, probe %s (frames %s)%s"
                         % (fmt_key(k), e, g, ",".join(map(str, e.frames)),
                            hint))
    out.flows = len(exp)
    if diffs:
        out.fail("%d flow(s) differ of %d expected, %d reported:" % (
            len(diffs), len(exp), len(res.flows)))
        out.problems += ["  " + d for d in diffs[:max_diffs]]
        if len(diffs) > max_diffs:
            out.problems.append("  ... %d more" % (len(diffs) - max_diffs))
    return out


def check_file(path, modes, probe):
    """Runs tshark once on <path>, then compares each mode in <modes>
    (booleans: tunnels on?). Returns a list of Outcome."""
    frames, err = run_tshark(path)
    if not frames and err:
        o = Outcome(path, True)
        o.fail("tshark: %s" % err.strip()[:300], "error")
        return [o]
    return [compare(path, frames, err, t, probe) for t in modes]


def load_exceptions(path):
    """Exception list: lines 'FILE MODE REASON...' (MODE is tunnels,
    no-tunnels or both; FILE relative to the corpus, or a basename);
    '#' comments. Returns dict (file, mode) -> reason."""
    exc = {}
    if not path:
        return exc
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[1] not in ("tunnels", "no-tunnels",
                                                  "both"):
                raise ValueError("bad exception line: %s" % line)
            modes = ("tunnels", "no-tunnels") if parts[1] == "both" \
                else (parts[1],)
            for m in modes:
                exc[(parts[0], m)] = parts[2]
    return exc


def exception_for(exc, path, mode):
    """Reason <path> is excepted in <mode>, or None."""
    for name in (path, os.path.basename(path),
                 "/".join(path.split("/")[-2:])):
        if (name, mode) in exc:
            return exc[(name, mode)], name
    return None, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", help="capture files")
    ap.add_argument("--files-from", metavar="LIST",
                    help="also compare the files named in LIST, one a line")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--no-tunnels", action="store_true",
                   help="compare with --no-tunnels only")
    g.add_argument("--both", action="store_true",
                   help="compare with and without tunnels")
    ap.add_argument("--probe", default=os.environ.get("L7PROBE",
                                                      "./l7probe"))
    ap.add_argument("--jobs", "-j", type=int, default=1)
    ap.add_argument("--exceptions", help="file of excepted captures")
    ap.add_argument("--max-except-pct", type=float, default=None,
                    help="fail when exceptions exceed this %% of files")
    ap.add_argument("--max-diffs", type=int, default=20)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    if args.files_from:
        with open(args.files_from, encoding="utf-8") as f:
            args.files += [l.rstrip("\n") for l in f if l.strip()]
    args.files = [os.path.normpath(f) for f in args.files]
    if not args.files:
        ap.error("no capture files")
    modes = [False] if args.no_tunnels else [False, True] if args.both \
        else [True]
    try:
        exc = load_exceptions(args.exceptions)
    except (OSError, ValueError) as e:
        print("flowcmp: %s" % e, file=sys.stderr)
        return 2
    t0 = time.time()
    results = []
    with concurrent.futures.ProcessPoolExecutor(max(1, args.jobs)) as pool:
        futs = {pool.submit(check_file, f, modes, args.probe): f
                for f in args.files}
        for fut in concurrent.futures.as_completed(futs):
            try:
                results += fut.result()
            except Exception as e:  # noqa: BLE001 - report, keep going
                o = Outcome(futs[fut], True)
                o.fail("flowcmp crashed: %r" % e, "error")
                results.append(o)
    results.sort(key=lambda o: (o.path, o.tunnels))

    failed, excepted, unsupported, stale = [], [], [], []
    used = set()
    flows = 0
    for o in results:
        reason, name = exception_for(exc, o.path, o.mode)
        if name:
            used.add((name, o.mode))
        if o.status == "unsupported":
            unsupported.append(o)
        elif o.status == "ok":
            flows += o.flows
            if reason:
                stale.append((o, reason))
        elif reason:
            excepted.append((o, reason))
        else:
            failed.append(o)
        if args.verbose and o.status == "ok":
            print("ok       %s [%s] %d flows" % (o.path, o.mode, o.flows))

    for o in failed:
        print("FAIL     %s [%s]" % (o.path, o.mode))
        for p in o.problems:
            print("    " + p)
    for o in unsupported:
        print("unsupported link type (probe and capinfos agree): %s [%s] %s"
              % (o.path, o.mode, " ".join(o.problems)))
    for o, reason in excepted:
        print("excepted %s [%s]: %s" % (o.path, o.mode, reason))
        if args.verbose:
            for p in o.problems[:6]:
                print("    " + p)
    for o, reason in stale:
        print("note: %s [%s] is excepted but now matches; drop it from the "
              "list (%s)" % (o.path, o.mode, reason))
    for (name, mode) in sorted(set(exc) - used):
        print("note: exception %s [%s] matches no file compared" %
              (name, mode))

    nfiles = len(args.files)
    exc_files = {o.path for o, _ in excepted}
    print("summary: %d files, %d comparisons (%s), %d flows compared, "
          "%d failed, %d excepted (%d files), %d unsupported, %.1f s" % (
              nfiles, len(results), "+".join(
                  "tunnels" if m else "no-tunnels" for m in modes),
              flows, len(failed), len(excepted), len(exc_files),
              len(unsupported), time.time() - t0))
    rc = 1 if failed else 0
    if args.max_except_pct is not None:
        nexc = len({k[0] for k in exc})
        if nexc * 100.0 >= args.max_except_pct * nfiles:
            print("FAIL: %d excepted files is not under %.1f%% of %d" % (
                nexc, args.max_except_pct, nfiles))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
