#!/usr/bin/python3
"""Writes seed inputs for the fuzz targets from real captures.

Usage: make-seeds.py OUTDIR PCAP...          (fuzz_decode)
       make-seeds.py --capture OUTDIR PCAP...  (fuzz_capture)
fuzz_decode: each seed is a link-type index (as fuzz_decode.c's
linktypes[]), an options byte (0 = tunnels on), then one frame. Up to 8
frames of each capture, chosen to differ in their first 64 bytes' layout.
fuzz_capture: each seed is an options byte (fuzz_capture.c) then the
whole capture file; per capture, three seeds: defaults, tunnels and DPI
off with biflow and the minimal template, and a flow table of 2 flows.
"""
import hashlib
import os
import struct
import sys

LINKTYPES = [1, 113, 276, 12, 101, 228, 229, 0, 108, 9, 50, 104, 239, 192]


def frames(path):
    """Yields (linktype, frame) of a classic pcap file."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            end = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            end = ">"
        else:
            return
        lt = struct.unpack(end + "I", hdr[20:24])[0] & 0xFFFF
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(end + "I", rec[8:12])[0]
            data = f.read(incl)
            if len(data) < incl:
                return
            yield lt, data


def capture_seeds(out, paths):
    os.makedirs(out, exist_ok=True)
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        for opt in (0x00, 0x0F, 0x20):
            seed = bytes([opt]) + data
            name = hashlib.sha1(seed).hexdigest()[:16]
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed)


def main():
    if sys.argv[1] == "--capture":
        capture_seeds(sys.argv[2], sys.argv[3:])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sys.argv[2:]:
        kept = 0
        shapes = set()
        for lt, data in frames(path):
            if lt not in LINKTYPES or kept >= 8:
                continue
            shape = bytes(data[12:14]) + bytes(len(data) // 64)
            if shape in shapes:
                continue
            shapes.add(shape)
            seed = bytes([LINKTYPES.index(lt), 0]) + data[:2048]
            name = hashlib.sha1(seed).hexdigest()[:16]
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed)
            kept += 1


if __name__ == "__main__":
    main()
