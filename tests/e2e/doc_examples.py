#!/usr/bin/python3
"""doc_examples.py - runs the examples of doc/python.md and doc/library.md
as written.

    doc_examples.py SRCDIR WORKDIR CC PKG_CONFIG_FLAGS

Every ```python block of doc/python.md runs with /usr/bin/python3 in
WORKDIR (which holds instagram.pcap); a block written for nfstream
("from nfstream import ...") runs with only that import line changed to
l7probe. Every ```c block of doc/library.md is compiled with CC and the
pkg-config flags, and run there. Each must exit 0 and print something.
Exit 0 pass, 1 fail.
"""
import os
import re
import shlex
import subprocess
import sys

BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(path, lang):
    with open(path) as f:
        return [b for l, b in BLOCK.findall(f.read()) if l == lang]


def main():
    src, work, cc, flags = sys.argv[1:5]
    fails = 0
    py = blocks(os.path.join(src, "doc", "python.md"), "python")
    c = blocks(os.path.join(src, "doc", "library.md"), "c")
    if len(py) < 6 or len(c) < 1:
        print("FAIL: expected at least 6 Python and 1 C example, got %d, %d"
              % (len(py), len(c)))
        return 1
    for i, code in enumerate(py):
        nf = "from nfstream import" in code
        code = code.replace("from nfstream import", "from l7probe import")
        p = subprocess.run(["/usr/bin/python3", "-"], input=code.encode(),
                           cwd=work, capture_output=True, timeout=120)
        out = p.stdout.decode()
        what = "python example %d%s" % (i + 1, " (nfstream's)" if nf else "")
        if p.returncode != 0 or not out.strip():
            print("FAIL: %s: exit %d\n%s%s" % (what, p.returncode, out[-500:],
                                               p.stderr.decode()[-2000:]))
            fails += 1
        else:
            print("ok: %s: %d lines, first: %s" % (
                what, len(out.splitlines()), out.splitlines()[0][:100]))
    for i, code in enumerate(c):
        prog = os.path.join(work, "example%d" % i)
        with open(prog + ".c", "w") as f:
            f.write(code)
        p = subprocess.run([cc, "-Wall", "-Wextra", "-Werror", "-o", prog,
                            prog + ".c"] + shlex.split(flags),
                           capture_output=True)
        if p.returncode != 0:
            print("FAIL: C example %d does not build:\n%s" %
                  (i + 1, p.stderr.decode()[-2000:]))
            fails += 1
            continue
        p = subprocess.run([prog], cwd=work, capture_output=True, timeout=60)
        out = p.stdout.decode()
        if p.returncode != 0 or not out.strip():
            print("FAIL: C example %d: exit %d: %s" % (
                i + 1, p.returncode, p.stderr.decode()[-500:]))
            fails += 1
        else:
            print("ok: C example %d: %d lines" % (i + 1, len(out.splitlines())))
    print("PASS" if fails == 0 else "%d failure(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
