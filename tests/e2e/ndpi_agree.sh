#!/bin/sh
# ndpi_agree.sh - l7probe's nDPI classification agrees with ndpiReader's on
# the nDPI test corpus (>= 99% of the flows both see). The work is done by
# ndpi_agree.py; see its header for the environment it reads.
srcdir=${srcdir:-.}
exec /usr/bin/python3 "$srcdir/tests/e2e/ndpi_agree.py" "$@"
