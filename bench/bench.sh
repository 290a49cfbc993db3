#!/bin/bash
# bench/bench.sh - prints l7probe's performance figures on this machine.
#
# Not a test: it never fails because the probe is slow, only when it cannot
# run at all (no probe binary, no corpus). See doc/BENCHMARKS.md.
#
#   bench/bench.sh [-o DIR] [-b PROBE] [-n RUNS] [-k REPEAT] [--no-ndpireader]
#
#   -o DIR           where the captures are built and kept (default /tmp/bench)
#   -b PROBE         probe binary (default: l7probe at the top of the tree)
#   -n RUNS          timed runs per throughput figure, best kept (default 3)
#   -k REPEAT        corpus repeats (default: enough for ~2.5 million packets)
#   --no-ndpireader  skip the ndpiReader comparison
#
# Figures: (a) throughput on the repeated nDPI corpus, with and without DPI;
# (b) memory per active flow: a capture of 200000 DNS flows against
# controls of the same length with 1000 and with 100000 flows (the second
# gives the marginal cost, once every fixed cost is paid);
# (c) probe version, capture sizes, machine.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
outdir=/tmp/bench
probe=$top/l7probe
runs=3
repeat=
ndpireader=1

while [ $# -gt 0 ]; do
	case $1 in
	-o) outdir=$2; shift 2 ;;
	-b) probe=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	-k) repeat=$2; shift 2 ;;
	--no-ndpireader) ndpireader=0; shift ;;
	-h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown option $1 (try -h)" >&2; exit 2 ;;
	esac
done

die() { echo "bench.sh: $*" >&2; exit 1; }

[ -x "$probe" ] || die "no probe binary at $probe (cd $top && make -j2)"
case $runs in ''|*[!0-9]*|0) die "-n wants a positive number" ;; esac

# --- GNU time, for user CPU and peak RSS ------------------------------------
TIME=/usr/bin/time
if [ ! -x $TIME ]; then
	echo "note: /usr/bin/time missing: installing Debian package 'time'"
	if [ "$(id -u)" = 0 ]; then
		(apt-get install -y -q time >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 &&
		      apt-get install -y -q time >/dev/null 2>&1; }) || true
	fi
	[ -x $TIME ] || echo "note: could not install 'time': no user CPU or" \
	    "peak RSS figures"
fi

tmp=$(mktemp -d /tmp/l7bench.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# run_timed OUTPREFIX CMD...: runs CMD once (stdout to /dev/null, stderr to
# OUTPREFIX.err); writes "wall_s user_s sys_s maxrss_kb" to OUTPREFIX.t.
run_timed() {
	local pfx=$1 t0 t1 rest
	shift
	t0=$(date +%s%N)
	if [ -x $TIME ]; then
		$TIME -o "$pfx.gt" -f "%U %S %M" "$@" >/dev/null 2>"$pfx.err"
	else
		"$@" >/dev/null 2>"$pfx.err"
		echo "nan nan nan" >"$pfx.gt"
	fi
	t1=$(date +%s%N)
	# GNU time writes "Command exited with non-zero status N" first
	rest=$(tail -n 1 "$pfx.gt")
	echo "$(( (t1 - t0) / 1000 )) $rest" |
	    awk '{ printf "%.6f %s %s %s\n", $1 / 1e6, $2, $3, $4 }' >"$pfx.t"
}

# best_of N OUTPREFIX CMD...: N runs of CMD; OUTPREFIX.t gets the run of
# least wall time (its user CPU and peak RSS come along).
best_of() {
	local n=$1 pfx=$2 i
	shift 2
	: >"$pfx.all"
	for ((i = 0; i < n; i++)); do
		run_timed "$pfx.$i" "$@"
		cat "$pfx.$i.t" >>"$pfx.all"
	done
	sort -n -k1,1 "$pfx.all" | head -n 1 >"$pfx.t"
}

fmt_rate() {	# packets bytes wall user sys rss label
	awk -v p="$1" -v b="$2" -v w="$3" -v u="$4" -v s="$5" -v r="$6" \
	    -v l="$7" 'BEGIN {
		if (u == "nan") us = "n/a"; else us = sprintf("%.2f s", u)
		if (s == "nan") ss = "n/a"; else ss = sprintf("%.2f s", s)
		if (r == "nan") rs = "n/a"; else rs = sprintf("%.1f MiB", r / 1024)
		printf "  %-19s %8.0f pkt/s %7.0f Mbit/s  wall %.3f s  user %s  sys %s  peak RSS %s\n",
		    l, p / w, b * 8 / w / 1e6, w, us, ss, rs
	}'
}

# --- captures -----------------------------------------------------------------
echo "== l7probe benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "building captures in $outdir (kept between runs)"
gen_args=(-o "$outdir" -q)
[ -n "$repeat" ] && gen_args+=(-k "$repeat")
/usr/bin/python3 "$here/make-bench-pcap.py" "${gen_args[@]}" >"$tmp/gen" ||
    die "make-bench-pcap.py failed"

stat_of() {	# FILE KEY: a key=value of the generator's line for FILE
	awk -v f="$1" -v k="$2" '$1 == f {
		for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] }
	}' "$tmp/gen"
}
corpus=$outdir/corpus.pcap
dns_big=$outdir/dns-200000.pcap
dns_ctrl=$outdir/dns-1000-of-200000.pcap
dns_mid=$outdir/dns-100000-of-200000.pcap
c_pkts=$(stat_of "$corpus" packets)
c_bytes=$(stat_of "$corpus" captured_bytes)
c_rep=$(stat_of "$corpus" repeat)
c_files=$(stat_of "$corpus" files_used)

# --- (c) what and where ------------------------------------------------------
echo
echo "== setup"
echo "  probe:    $("$probe" -V 2>&1 | head -n 1) ($probe)"
ndpi_ver=$(dpkg-query -W -f '${Version}' 'libndpi4*' 2>/dev/null | head -n 1)
echo "  nDPI:     ${ndpi_ver:-unknown} (Debian package)"
echo "  machine:  $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
printf "  corpus:   %s: %d packets, %d bytes of frames (%d Ethernet files x %d repeats), file %d bytes\n" \
    "$corpus" "$c_pkts" "$c_bytes" "$c_files" "$c_rep" "$(stat -c %s "$corpus")"
for f in "$dns_big" "$dns_mid" "$dns_ctrl"; do
	printf "  dns:      %s: %d packets (%d flows), %d bytes of frames\n" "$f" \
	    "$(stat_of "$f" packets)" "$(stat_of "$f" flows)" \
	    "$(stat_of "$f" captured_bytes)"
done

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

# --- (a) throughput ----------------------------------------------------------
echo
echo "== (a) throughput: corpus.pcap, -q -n json:/dev/null, best of $runs (wall)"
# warm the page cache (as after a read from disk), and one untimed run for
# the probe's own counters
cache_fresh "$corpus"
"$probe" -r "$corpus" -n json:/dev/null >/dev/null 2>"$tmp/warm.err"
sed -n 's/^l7probe: \(packets\|records\|dpi\):/  probe counters: \1:/p' "$tmp/warm.err"

for mode in dpi nodpi; do
	extra=()
	[ $mode = nodpi ] && extra=(--no-dpi)
	best_of "$runs" "$tmp/tp_$mode" "$probe" -r "$corpus" -q \
	    -n json:/dev/null "${extra[@]}"
	read -r w u s r <"$tmp/tp_$mode.t"
	label="l7probe (DPI)"
	[ $mode = nodpi ] && label="l7probe (--no-dpi)"
	fmt_rate "$c_pkts" "$c_bytes" "$w" "$u" "$s" "$r" "$label"
done

if [ $ndpireader = 1 ] && command -v ndpiReader >/dev/null 2>&1; then
	best_of "$runs" "$tmp/tp_ndpi" ndpiReader -q -i "$corpus"
	read -r w u s r <"$tmp/tp_ndpi.t"
	fmt_rate "$c_pkts" "$c_bytes" "$w" "$u" "$s" "$r" "ndpiReader -q"
	echo "    (ndpiReader: no export, up to 80 TCP / 24 UDP packets per" \
	    "flow to nDPI, keeps every flow for its final report)"
elif [ $ndpireader = 1 ]; then
	echo "  ndpiReader: not installed (Debian package libndpi-bin), skipped"
fi

# --- (b) memory per active flow ----------------------------------------------
# Peak RSS with 200000 flows minus peak RSS with 1000, over 199000. The
# control has the same packets, sizes and times (only the flow count
# differs), so what depends on the capture's length (file pages the mapped
# reader keeps, buffers) cancels out. Also through libpcap (-r - < FILE),
# which keeps no file pages. Also the marginal cost: (peak RSS with 200000
# flows - peak RSS with 100000) / 100000, where buffers whose use grows
# with the records in flight (the workers' record batches, a fixed cost a
# long run pays anyway) are full in both runs, not in the 1000-flow one.
echo
echo "== (b) memory per active flow (detection over): 200000 DNS flows vs 1000, and vs 100000 (marginal), same capture length"
margs=(--idle-timeout 3600 --active-timeout 3600 --max-flows 1000000 -n json:/dev/null)
thr_list=(1)
[ "$(nproc)" -gt 1 ] && thr_list+=("$(nproc)")
for mode in dpi nodpi; do
	for th in "${thr_list[@]}"; do
		for path in file pipe; do
			extra=(--threads "$th")
			[ $mode = nodpi ] && extra+=(--no-dpi)
			for f in big ctrl mid; do
				cap=$dns_big
				[ $f = ctrl ] && cap=$dns_ctrl
				[ $f = mid ] && cap=$dns_mid
				pfx=$tmp/m_${mode}_${th}_${path}_$f
				if [ $path = file ]; then
					run_timed "$pfx" "$probe" -r "$cap" \
					    "${margs[@]}" "${extra[@]}"
				else
					run_timed "$pfx" sh -c \
					    'f=$1; shift; exec "$@" < "$f"' sh \
					    "$cap" "$probe" -r - "${margs[@]}" \
					    "${extra[@]}"
				fi
			done
			pfx=$tmp/m_${mode}_${th}_${path}
			read -r _ _ _ rb <"${pfx}_big.t"
			read -r _ _ _ rs <"${pfx}_ctrl.t"
			read -r _ _ _ rm <"${pfx}_mid.t"
			pb=$(sed -n 's/.*flows [0-9]*, peak \([0-9]*\).*/\1/p' "${pfx}_big.err")
			ps=$(sed -n 's/.*flows [0-9]*, peak \([0-9]*\).*/\1/p' "${pfx}_ctrl.err")
			pm=$(sed -n 's/.*flows [0-9]*, peak \([0-9]*\).*/\1/p' "${pfx}_mid.err")
			label="DPI"
			[ $mode = nodpi ] && label="--no-dpi"
			how="-r FILE"
			[ $path = pipe ] && how="-r - <FILE"
			label=$(printf "%-8s --threads %s  %-11s" "$label" "$th" "$how")
			if [ -z "$pb" ] || [ -z "$ps" ] || [ -z "$pm" ]; then
				echo "  $label: could not read the probe's flow counters (see below)"
				sed 's/^/    /' "${pfx}_big.err"
				continue
			fi
			awk -v l="$label" -v rb="$rb" -v rs="$rs" -v pb="$pb" -v ps="$ps" \
			    -v rm="$rm" -v pm="$pm" 'BEGIN {
				if (rb == "nan") { printf "  %s no peak RSS (GNU time missing)\n", l; exit }
				printf "  %s peak RSS %.1f MiB with %d flows, %.1f MiB with %d: %.0f bytes per flow;",
				    l, rb / 1024, pb, rs / 1024, ps, (rb - rs) * 1024 / (pb - ps)
				printf " marginal (%.1f MiB with %d): %.0f\n",
				    rm / 1024, pm, (rb - rm) * 1024 / (pb - pm)
			}'
		done
	done
	dpil=$(sed -n 's/^l7probe: dpi: //p' "$tmp/m_${mode}_1_file_big.err")
	[ -n "$dpil" ] && echo "    (dpi, 200000 flows: $dpil)"
done
echo
echo "(bytes per flow include the hash buckets: the array grows with the flows,"
echo " one 4-byte flow index per flow at most; see doc/BENCHMARKS.md)"
exit 0
