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
: "${L7_BUILDDIR:=$(pwd)}"
skip_if_sanitized_module
skip_unless_cmd "$PYTHON" pkg-config "$CC"
if [ ! -f "$L7_BUILDDIR/.libs/l7probe.so" ]; then
	echo "SKIP: the Python module was not built (python3-dev missing)"
	exit 77
fi
PYTHONPATH=$L7_BUILDDIR/.libs; export PYTHONPATH
PKG_CONFIG_PATH=$L7_BUILDDIR; export PKG_CONFIG_PATH
LD_LIBRARY_PATH=$L7_BUILDDIR/.libs; export LD_LIBRARY_PATH
cp "$srcdir/tests/data/instagram.pcap" "$tmp/"
"$PYTHON" "$here/doc_examples.py" "$srcdir" "$tmp" "$CC" \
    "$(pkg-config --cflags --libs l7probe)"
