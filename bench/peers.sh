#!/bin/bash
# bench/peers.sh - l7probe and the installed peer flow meters, side by side
# on one capture of many distinct flows. Prints, per run: packets/s, CPU
# seconds (user + sys), peak RSS, records, whether the packet totals are
# exact, and the ratios the performance targets are stated in.
#
# Not a test: it never fails because a tool is slow, only when it cannot
# run at all (no probe binary, no corpus). See doc/BENCHMARKS.md.
#
#   bench/peers.sh [-o DIR] [-b PROBE] [-n RUNS] [-r REPLICAS] [-f PCAP]
#
#   -o DIR       where the capture is built and kept (default /tmp/bench)
#   -b PROBE     probe binary (default: l7probe at the top of the tree)
#   -n RUNS      timed runs per line, least wall time kept (default 1)
#   -r REPLICAS  replicas of the nDPI corpus in flows.pcap (default 47:
#                about 4.8 million packets, 400,000 flows)
#   -f PCAP      use this capture instead of building flows.pcap
#
# Runs (each reads the same file, page cache warm, in the state a read from
# disk leaves it: cache_fresh; exporting where the tool exports over UDP
# to a local sink that only reads the datagrams):
#   l7probe, DPI on and --no-dpi, IPFIX (ipfix://127.0.0.1:PORT), large
#     --max-flows and its default timeouts; with --threads 1 and --threads
#     N (N = online CPUs) too once "l7probe --help" lists --threads;
#   ndpiReader -i PCAP (libndpi-bin: nDPI's reader; no export);
#   softflowd -r PCAP -v 10 -m 1000000 -n 127.0.0.1:PORT -d -c none (IPFIX;
#     with a control socket, softflowd 1.1.0 may block in accept() at
#     start when reading a file);
#   yaf and ipfixprobe when installed (not in Debian 12).
# Records and packet totals come from each tool's own report:
#   l7probe  "packets: read R, in records I, ignored G", "records: N":
#            exact when R = packets in the file and R = I + G;
#   ndpiReader  "Unique flows", "IP packets: P of T", and the packets of
#            its per-protocol table: exact when T = packets in the file
#            and the table's packets + (T - P) = T;
#   softflowd  "Flows exported: N", "Ignored packets: G", and the packets
#            of its per-protocol table: exact when those + G = packets in
#            the file.
#
# Needs: /usr/bin/python3, GNU time (/usr/bin/time, package time), the
# nDPI corpus ($L7_PCAPS/ndpi, default ../shared/pcaps/ndpi) unless -f;
# peers as installed: ndpiReader (libndpi-bin), softflowd (softflowd).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
outdir=/tmp/bench
probe=$top/l7probe
runs=1
replicas=47
pcap=

while [ $# -gt 0 ]; do
	case $1 in
	-o) outdir=$2; shift 2 ;;
	-b) probe=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	-r) replicas=$2; shift 2 ;;
	-f) pcap=$2; shift 2 ;;
	-h|--help) sed -n '2,40s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "peers.sh: unknown option $1 (try -h)" >&2; exit 2 ;;
	esac
done

die() { echo "peers.sh: $*" >&2; exit 1; }

[ -x "$probe" ] || die "no probe binary at $probe (cd $top && make -j2)"
case $runs in ''|*[!0-9]*|0) die "-n wants a positive number" ;; esac
TIME=/usr/bin/time
[ -x $TIME ] || die "GNU time missing: apt-get install time"

tmp=$(mktemp -d /tmp/l7peers.XXXXXX) || die "mktemp failed"
sink=
trap '[ -n "$sink" ] && kill $sink 2>/dev/null; rm -rf "$tmp"' EXIT

# cache_fresh FILE: FILE into the page cache as a capture read from disk
# is in: dropped from it (dd iflag=nocache), then read once. A file just
# written (make-bench-pcap.py) may sit in the cache in 4 KiB pages, one
# read from disk in large folios (Linux 6.x on ext4); mapping the file and
# read() both cost several times more in small pages, for every tool, so
# without this the figures would depend on the file's history.
cache_fresh() {
	dd if="$1" iflag=nocache count=0 status=none 2>/dev/null || true
	cat "$1" >/dev/null
}

# --- the capture ------------------------------------------------------------
if [ -z "$pcap" ]; then
	echo "building $outdir/flows.pcap ($replicas replicas; kept between runs)"
	/usr/bin/python3 "$here/make-bench-pcap.py" -o "$outdir" -q --flows \
	    --replicas "$replicas" --no-corpus --no-dns >"$tmp/gen" ||
	    die "make-bench-pcap.py failed"
	pcap=$outdir/flows.pcap
fi
[ -r "$pcap" ] || die "cannot read $pcap"
# Packets in the file, by the probe's reader (it reads every record).
total=$("$probe" -r "$pcap" --no-dpi -n json:/dev/null 2>&1 |
    sed -n 's/^l7probe: packets: read \([0-9]*\),.*/\1/p')
[ -n "$total" ] || die "the probe could not read $pcap"
cache_fresh "$pcap"

# A UDP sink on a free loopback port: reads and drops every datagram, so
# the exporters pay for their sends and nobody gets "port unreachable".
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(65535)
' "$port" &
sink=$!

# run NAME CMD...: best of $runs; NAME.t gets "wall user sys rss_kb" of
# the run of least wall time, NAME.out its stdout and stderr.
run() {
	local name=$1 i t0 t1 best=
	shift
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		$TIME -o "$tmp/$name.gt" -f "%U %S %M" "$@" >"$tmp/$name.o$i" 2>&1
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 )) $(tail -n 1 "$tmp/$name.gt") $i" |
		    awk '{ printf "%.6f %s %s %s %s\n", $1 / 1e6, $2, $3, $4, $5 }' \
		    >>"$tmp/$name.all"
	done
	best=$(sort -n -k1,1 "$tmp/$name.all" | head -n 1)
	echo "$best" | cut -d' ' -f1-4 >"$tmp/$name.t"
	cp "$tmp/$name.o$(echo "$best" | cut -d' ' -f5)" "$tmp/$name.out"
}

# line LABEL NAME RECORDS EXACT: prints one row and remembers pkt/s.
line() {
	local w u s r
	read -r w u s r <"$tmp/$2.t"
	awk -v l="$1" -v p="$total" -v w="$w" -v u="$u" -v s="$s" -v r="$r" \
	    -v rec="$3" -v ex="$4" 'BEGIN {
		printf "| %-28s | %10.0f | %7.2f | %8.1f | %9s | %-22s |\n",
		    l, p / w, u + s, r / 1024, rec, ex }'
	awk -v p="$total" -v w="$w" 'BEGIN { printf "%.0f\n", p / w }' \
	    >"$tmp/$2.pps"
}

# l7probe's report: "records exact" fields.
probe_report() {
	local out=$tmp/$1.out r i g n
	r=$(sed -n 's/^l7probe: packets: read \([0-9]*\), in records \([0-9]*\), ignored \([0-9]*\)$/\1 \2 \3/p' "$out")
	n=$(sed -n 's/^l7probe: records: \([0-9]*\) exported.*/\1/p' "$out")
	read -r r i g <<<"$r"
	if [ -z "${r:-}" ]; then
		echo "n/a unreadable"
	elif [ "$r" = "$total" ] && [ "$r" -eq $((i + g)) ]; then
		echo "$n yes ($i+$g)"
	else
		echo "$n no (read $r: $i in records + $g ignored)"
	fi
}

echo
echo "== setup"
echo "  capture:  $pcap: $total packets, $(stat -c %s "$pcap") bytes"
echo "  probe:    $("$probe" -V 2>&1 | tr '\n' ' ')($probe)"
echo "  nDPI:     $(dpkg-query -W -f '${Version}' 'libndpi4*' 2>/dev/null | head -n 1) (Debian)"
command -v softflowd >/dev/null &&
    echo "  softflowd: $(dpkg-query -W -f '${Version}' softflowd 2>/dev/null)"
echo "  machine:  $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "  runs:     best of $runs (wall), page cache warm (read back fresh), date $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| run                          |      pkt/s |   CPU s | RSS MiB |   records | packet totals exact    |"
echo "|---|---:|---:|---:|---:|---|"

# --- l7probe ----------------------------------------------------------------
pargs=(-r "$pcap" -n "ipfix://127.0.0.1:$port" --max-flows 4000000)
threads=("")
if "$probe" --help 2>&1 | grep -q -- '--threads'; then
	threads=("--threads 1" "--threads $(nproc)")
fi
for th in "${threads[@]}"; do
	# shellcheck disable=SC2086
	run "l7_dpi$th" "$probe" "${pargs[@]}" $th
	read -r n ex <<<"$(probe_report "l7_dpi$th")"
	line "l7probe DPI${th:+ $th}" "l7_dpi$th" "$n" "$ex"
	# shellcheck disable=SC2086
	run "l7_nodpi$th" "$probe" "${pargs[@]}" --no-dpi $th
	read -r n ex <<<"$(probe_report "l7_nodpi$th")"
	line "l7probe --no-dpi${th:+ $th}" "l7_nodpi$th" "$n" "$ex"
done
dpi_name="l7_dpi${threads[${#threads[@]} - 1]}"
nodpi_name="l7_nodpi${threads[${#threads[@]} - 1]}"

# --- peers ------------------------------------------------------------------
if command -v ndpiReader >/dev/null 2>&1; then
	run ndpireader ndpiReader -i "$pcap"
	o=$tmp/ndpireader.out
	n=$(sed -n 's/^[[:space:]]*Unique flows:[[:space:]]*\([0-9]*\).*/\1/p' "$o")
	read -r ip all <<<"$(sed -n 's/^[[:space:]]*IP packets:[[:space:]]*\([0-9]*\)[[:space:]]*of \([0-9]*\) packets total.*/\1 \2/p' "$o")"
	inflows=$(awk '/^Detected protocols:/ { on = 1; next }
	    on && /packets:/ { for (i = 1; i < NF; i++) if ($i == "packets:") s += $(i + 1) }
	    on && /^$/ && s > 0 { exit } END { print s + 0 }' "$o")
	if [ -z "${all:-}" ]; then
		ex="n/a unreadable"
	elif [ "$all" = "$total" ] && [ $((inflows + all - ip)) -eq "$total" ]; then
		ex="yes ($inflows+$((all - ip)))"
	else
		ex="no ($inflows in flows, $((all - ip)) not IP, of $all)"
	fi
	line "ndpiReader -i" ndpireader "${n:-n/a}" "$ex"
else
	echo "| ndpiReader: not installed (libndpi-bin) | | | | | |"
fi

if command -v softflowd >/dev/null 2>&1; then
	run softflowd softflowd -r "$pcap" -v 10 -m 1000000 \
	    -n "127.0.0.1:$port" -d -p "$tmp/sfd.pid" -c none
	o=$tmp/softflowd.out
	n=$(sed -n 's/^Flows exported: \([0-9]*\).*/\1/p' "$o")
	ig=$(sed -n 's/^Ignored packets: \([0-9]*\).*/\1/p' "$o")
	inflows=$(awk '/^Per-protocol statistics:/ { on = 1; next }
	    on && NF >= 5 { s += $(NF - 2) } END { print s + 0 }' "$o")
	if [ -z "${ig:-}" ]; then
		ex="n/a unreadable"
	elif [ $((inflows + ig)) -eq "$total" ]; then
		ex="yes ($inflows+$ig)"
	else
		ex="no ($inflows in flows + $ig ignored)"
	fi
	line "softflowd -v 10" softflowd "${n:-n/a}" "$ex"
else
	echo "| softflowd: not installed (softflowd) | | | | | |"
fi

if command -v yaf >/dev/null 2>&1; then
	run yaf yaf --in "$pcap" --out "$tmp/yaf.ipfix"
	line "yaf (no DPI)" yaf n/a "n/a (not parsed)"
	rm -f "$tmp/yaf.ipfix"
fi
if command -v ipfixprobe >/dev/null 2>&1; then
	run ipfixprobe ipfixprobe -i "pcap;file=$pcap" \
	    -o "ipfix;host=127.0.0.1;port=$port;udp"
	line "ipfixprobe" ipfixprobe n/a "n/a (not parsed)"
fi

# --- ratios -----------------------------------------------------------------
echo
ratio() {	# LABEL A B: pkt/s of A / pkt/s of B, and the same per CPU s
	local ua sa ub sb
	[ -f "$tmp/$2.pps" ] && [ -f "$tmp/$3.pps" ] || return
	read -r _ ua sa _ <"$tmp/$2.t"
	read -r _ ub sb _ <"$tmp/$3.t"
	awk -v l="$1" -v a="$(cat "$tmp/$2.pps")" -v b="$(cat "$tmp/$3.pps")" \
	    -v ca="$ua + $sa" -v cb="$ub + $sb" 'BEGIN {
		split(ca, x, " + "); split(cb, y, " + ")
		printf "  %-44s %.2fx wall, %.2fx CPU\n", l, a / b,
		    (y[1] + y[2]) / (x[1] + x[2]) }'
}
echo "== ratios (packets per wall second; packets per CPU second: on a"
echo "   busy machine the CPU ratio is the steadier one)"
ratio "l7probe DPI / ndpiReader (target >= 6)" "$dpi_name" ndpireader
ratio "l7probe --no-dpi / softflowd (target >= 3.2)" "$nodpi_name" softflowd
[ -f "$tmp/yaf.pps" ] && ratio "l7probe --no-dpi / yaf" "$nodpi_name" yaf
[ -f "$tmp/ipfixprobe.pps" ] &&
    ratio "l7probe --no-dpi / ipfixprobe" "$nodpi_name" ipfixprobe
echo
echo "== l7probe's own counters (DPI run)"
sed -n 's/^l7probe: \(packets\|records\|dpi\|collector\)/  \1/p' "$tmp/$dpi_name.out"
exit 0
