#!/bin/sh
# run-fuzzers.sh - runs every libFuzzer target for a bounded time, as CI
# does: from the top of a build configured with
#	./configure --enable-fuzzing --enable-sanitizers CC=clang
# (Debian packages clang and libclang-rt-14-dev).
#
#	tests/fuzz/run-fuzzers.sh [SECONDS [TARGET...]]
#
# SECONDS per target (default 60); TARGETs default to all (decode export
# conf cfile tmpl capture pcapng pcapfile); JOBS of them run at once
# (default: online cores). Each target starts from a copy of its stored corpus
# (tests/fuzz/corpus/TARGET, left untouched) and runs with the sanitizers.
# A crash, sanitizer report, leak, timeout or broken invariant fails:
# the reproducer is printed (hex) with the command that replays it, and
# kept under fuzz-artifacts/. Exit 0 when every target ran clean, 1 when
# one failed, 99 when a target is not built.
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-decode export conf cfile tmpl capture pcapng pcapfile}
srcdir=${srcdir:-$(dirname "$0")/../..}
art=$(pwd)/fuzz-artifacts
work=$(mktemp -d "${TMPDIR:-/tmp}/l7fuzz.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
mkdir -p "$art"
fails=0

# one TARGET: fuzzes it; its report goes to $work/TARGET.report, its
# status to $work/TARGET.status.
one() {
	t=$1
	bin=./tests/fuzz/fuzz_$t
	mkdir -p "$work/$t" "$art/$t"
	cp "$srcdir/tests/fuzz/corpus/$t"/* "$work/$t"/
	# The capture, pcapng and pcapfile targets read whole files; the others small
	# inputs.
	case $t in
	capture|pcapng|pcapfile) maxlen=65536 ;;
	*) maxlen=4096 ;;
	esac
	{
	echo "=== fuzz_$t: $secs s from $(ls "$work/$t" | wc -l) seeds"
	"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
	    -max_len="$maxlen" -print_final_stats=1 \
	    -artifact_prefix="$art/$t/" "$work/$t" >"$work/$t.log" 2>&1
	st=$?
	grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' \
	    "$work/$t.log"
	if [ "$st" -ne 0 ]; then
		echo "FAIL fuzz_$t: exit status $st"
		grep -E -A30 'ERROR: (AddressSanitizer|UndefinedBehavior|LeakSanitizer|libFuzzer)|runtime error:|deadly signal' \
		    "$work/$t.log" | head -60
		for a in "$art/$t"/*; do
			[ -f "$a" ] || continue
			echo "--- reproducer $a ($(wc -c <"$a") bytes):"
			od -A x -t x1z -v "$a" | head -64
			echo "--- replay: $bin $a   (or tests/fuzz/replay_$t $a in any build)"
		done
	else
		rmdir "$art/$t" 2>/dev/null
	fi
	echo "$st" >"$work/$t.status"
	} >"$work/$t.report"
}

for t in $targets; do
	if [ ! -x "./tests/fuzz/fuzz_$t" ]; then
		echo "ERROR: ./tests/fuzz/fuzz_$t not built (configure --enable-fuzzing CC=clang)"
		exit 99
	fi
done
# JOBS targets at a time (default: the online cores).
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
n=0
for t in $targets; do
	one "$t" &
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		wait
		n=0
	fi
done
wait
for t in $targets; do
	cat "$work/$t.report"
	[ "$(cat "$work/$t.status" 2>/dev/null)" = 0 ] || fails=$((fails + 1))
done
rmdir "$art" 2>/dev/null
echo "fuzzing: $(echo "$targets" | wc -w) targets, $fails failed"
[ "$fails" -eq 0 ]
