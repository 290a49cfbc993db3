#!/bin/sh
# doc_examples.sh - the examples of doc/python.md (nfstream's tutorial with
# only the import line changed, and ours) and doc/library.md (C, built
# through pkg-config) run as written on tests/data/instagram.pcap.
# Exit: 0 pass, 1 fail, 77 skip (Python module not built, no compiler).
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

: "${CC:=cc}"
use_python_module
skip_unless_cmd pkg-config "$CC"
PKG_CONFIG_PATH=$L7_BUILDDIR; export PKG_CONFIG_PATH
LD_LIBRARY_PATH=$L7_BUILDDIR/.libs; export LD_LIBRARY_PATH
cp "$srcdir/tests/data/instagram.pcap" "$tmp/"
"$PYTHON" "$here/doc_examples.py" "$srcdir" "$tmp" "$CC" \
    "$(pkg-config --cflags --libs l7probe)"
