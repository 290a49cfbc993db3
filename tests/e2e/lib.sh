# lib.sh - helpers for the end-to-end tests; source it first thing:
#
#	. "$(dirname "$0")/lib.sh"
#
# Sets, unless already in the environment (make check sets them):
#   srcdir    top of the source tree (default .)
#   L7PROBE   the probe binary (default ./l7probe)
#   L7_PCAPS  the shared capture corpus (default $srcdir/../shared/pcaps)
#   PYTHON    Debian's interpreter (default /usr/bin/python3)
#   tmp       a fresh directory for this test, removed on exit (kept when
#             L7_KEEP=1, and its path printed)
# Functions:
#   skip_unless_cmd CMD...   exit 77 (skip) unless every CMD can be run
#   at_exit 'COMMAND'        run COMMAND on exit, before $tmp is removed
#   free_port [udp|tcp]      print a free ephemeral port on 127.0.0.1
#   have_ndpi                true when the probe classifies with nDPI
#   skip_unless_ndpi         exit 77 (skip) when it was built without
#   skip_unless_ipfix        exit 77 (skip) when built without libfixbuf
#   use_python_module        exit 77 (skip) unless the build's Python
#                            module loads here; PYTHONPATH set for it
# POSIX sh: the tests run under /bin/sh (dash).

: "${srcdir:=.}"
: "${L7PROBE:=./l7probe}"
: "${L7_PCAPS:=$srcdir/../shared/pcaps}"
: "${PYTHON:=/usr/bin/python3}"
export srcdir L7PROBE L7_PCAPS PYTHON

_l7_at_exit=

# at_exit COMMAND: queues COMMAND (a string for eval) for the exit trap;
# commands run last-queued first.
at_exit() {
	_l7_at_exit="$1; $_l7_at_exit"
}

_l7_cleanup() {
	_l7_st=$?
	trap - EXIT
	eval "$_l7_at_exit" 2>/dev/null
	if [ "${L7_KEEP:-0}" = 1 ]; then
		echo "kept work directory $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$_l7_st"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l7e2e.XXXXXX") || {
	echo "ERROR: mktemp failed"; exit 99; }
trap _l7_cleanup EXIT
# dash runs the EXIT trap only on exit: turn signals into exits.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# skip_unless_cmd CMD...: exits 77 when one of the commands is missing.
skip_unless_cmd() {
	for _l7_c in "$@"; do
		if ! command -v "$_l7_c" >/dev/null 2>&1; then
			echo "SKIP: '$_l7_c' not found"
			exit 77
		fi
	done
}

# free_port [udp|tcp]: prints a port the kernel calls free on 127.0.0.1
# (default udp). Another process may take it before the caller binds:
# use it at once.
free_port() {
	"$PYTHON" - "${1:-udp}" <<'PYEOF'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PYEOF
}

# udp_sink PORT [LINES]: a UDP sink on 127.0.0.1:PORT that reads every
# datagram (with LINES, a file: writes each one's length there, a line
# each, flushed at once); returns once it is bound (exit 99 if it never
# is); killed at exit.
udp_sink() {
	"$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("127.0.0.1", int(sys.argv[1])))
out = open(sys.argv[3], "w", buffering=1) if sys.argv[3] else None
open(sys.argv[2], "w").close()
while True:
    n = len(s.recv(65535))
    if out:
        out.write("%d\n" % n)' "$1" "$tmp/.udp_sink$1.ready" "${2:-}" &
	at_exit "kill $! 2>/dev/null"
	for _l7_i in $(seq 100); do
		[ -f "$tmp/.udp_sink$1.ready" ] && return 0
		sleep 0.05
	done
	echo "ERROR: the UDP sink on port $1 did not start"
	exit 99
}

# _l7_version: the probe's -V output; exits 99 without a probe binary.
_l7_version() {
	[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
	"$L7PROBE" -V 2>&1
}

# have_ndpi: true when -V names a classification library (a build
# without nDPI says "classification: none").
have_ndpi() {
	_l7_v=$(_l7_version) || exit 99
	case $_l7_v in
	*"classification: none"*) return 1 ;;
	*"classification: "*) return 0 ;;
	esac
	echo "ERROR: '$L7PROBE -V' names no classification library"
	exit 99
}

# skip_unless_ndpi: exits 77 when the probe was built without nDPI.
skip_unless_ndpi() {
	if ! have_ndpi; then
		echo "SKIP: l7probe was built without nDPI"
		exit 77
	fi
}

# skip_if_sanitized_module: exits 77 in a build with sanitizers (make
# check exports SAN_LDFLAGS): the Python module is then instrumented and
# Debian's uninstrumented python3 cannot load it. The same checks run in
# the plain build, which CI runs first.
skip_if_sanitized_module() {
	if [ -n "${SAN_LDFLAGS:-}" ]; then
		echo "SKIP: sanitizer build ($SAN_LDFLAGS): python3 cannot load the instrumented module; checked in the plain build"
		exit 77
	fi
}

# use_python_module: exits 77 when the build's Python module cannot be
# loaded here (sanitizer build, no python3, module not built), else
# exports PYTHONPATH so that "import l7probe" finds it in
# $L7_BUILDDIR/.libs.
use_python_module() {
	: "${L7_BUILDDIR:=$(pwd)}"
	skip_if_sanitized_module
	skip_unless_cmd "$PYTHON"
	if [ ! -f "$L7_BUILDDIR/.libs/l7probe.so" ]; then
		echo "SKIP: the Python module was not built (python3-dev missing)"
		exit 77
	fi
	PYTHONPATH=$L7_BUILDDIR/.libs; export PYTHONPATH
}

# have_ipfix: true when -V names an IPFIX encoder (a build without
# libfixbuf says "IPFIX: none").
have_ipfix() {
	_l7_v=$(_l7_version) || exit 99
	case $_l7_v in
	*"IPFIX: none"*) return 1 ;;
	*"IPFIX: "*) return 0 ;;
	esac
	echo "ERROR: '$L7PROBE -V' names no IPFIX encoder"
	exit 99
}

# skip_unless_ipfix: exits 99 without a probe binary, 77 when the probe was
# built without libfixbuf (-V says "IPFIX: none": no IPFIX export).
skip_unless_ipfix() {
	_l7_v=$(_l7_version) || exit 99
	case $_l7_v in
	*"IPFIX: none"*)
		echo "SKIP: l7probe was built without libfixbuf"
		exit 77 ;;
	*"IPFIX: "*) ;;
	*)
		echo "ERROR: '$L7PROBE -V' names no IPFIX encoder"
		exit 99 ;;
	esac
}
