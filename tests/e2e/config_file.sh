#!/bin/sh
# config_file.sh - the configuration file (-C) against the command line.
#
# 1. A file holding the same options as a command line gives the same
#    records on a capture, byte for byte (two collectors, a filter, flow
#    and classification options, a flag written bare and as "= yes").
# 2. The command line wins: a file's value is replaced, a file's list of
#    collectors is replaced by the command line's.
# 3. A bad line: one line on stderr starting "FILE:LINE: ", exit 2, and no
#    output file created.
#
# Exit: 0 pass, 1 fail, 99 hard error.
set -u
. "$(dirname "$0")/lib.sh"

cap=$srcdir/tests/data/instagram.pcap
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# --- 1. same records ------------------------------------------------------
# The IPFIX file joins the comparison in a build that can write one.
ipfix_cli= ipfix_file=
if have_ipfix; then
	ipfix_cli="ipfix-file:$tmp/cli.ipfix"
	ipfix_file="collector = ipfix-file:$tmp/file.ipfix"
fi
# One worker: records, and their order, do not depend on the shard key
# (which is random), also when --max-flows 50 evicts.
"$L7PROBE" -q -r "$cap" --threads 1 -f "tcp or udp" --idle-timeout 10 \
    --active-timeout 30 --max-flows 50 --dpi-packets 8 --no-tunnels \
    -n "json:$tmp/cli.json" ${ipfix_cli:+-n "$ipfix_cli"} \
    2>"$tmp/cli.err" || { cat "$tmp/cli.err"; exit 99; }
cat >"$tmp/probe.conf" <<CONFEOF
# the same as the command line above
read = $cap
   filter = tcp or udp
idle-timeout=10
active-timeout = 30

max-flows = 50
threads = 1
dpi-packets = 8
no-tunnels = yes
quiet
collector = json:$tmp/file.json
$ipfix_file
CONFEOF
"$L7PROBE" -C "$tmp/probe.conf" 2>"$tmp/file.err" || {
	cat "$tmp/file.err"; exit 99; }
if [ ! -s "$tmp/cli.json" ] || ! cmp -s "$tmp/cli.json" "$tmp/file.json"; then
	fail "-C gives other JSON records than the command line"
else
	echo "ok: -C file equals the command line ($(wc -l <"$tmp/cli.json") JSON records)"
fi
# IPFIX files hold export times: compare their size and the record count.
if [ -z "$ipfix_cli" ]; then
	echo "ok: no IPFIX in this build (libfixbuf absent): JSON compared only"
elif [ "$(wc -c <"$tmp/cli.ipfix")" -ne "$(wc -c <"$tmp/file.ipfix")" ]; then
	fail "-C gives an IPFIX file of another size"
else
	echo "ok: the IPFIX files have the same size ($(wc -c <"$tmp/cli.ipfix") bytes)"
fi
# The defaults differ from the file's options: the file was really read.
"$L7PROBE" -q -r "$cap" -n "json:$tmp/default.json" 2>/dev/null
if cmp -s "$tmp/default.json" "$tmp/file.json"; then
	fail "the file's options made no difference"
fi

# --- 2. the command line wins ---------------------------------------------
"$L7PROBE" -C "$tmp/probe.conf" -f "tcp" -n "json:$tmp/wins.json" \
    2>"$tmp/wins.err" || { cat "$tmp/wins.err"; fail "-C with overrides"; }
"$L7PROBE" -q -r "$cap" --threads 1 -f "tcp" --idle-timeout 10 --active-timeout 30 \
    --max-flows 50 --dpi-packets 8 --no-tunnels -n "json:$tmp/wins-cli.json"
if ! cmp -s "$tmp/wins.json" "$tmp/wins-cli.json"; then
	fail "command line over -C: other records than the command line alone"
else
	echo "ok: -f and -n on the command line replace the file's"
fi
# The file's collectors were replaced, not added to: they were not rewritten.
rm -f "$tmp/file.json"
"$L7PROBE" -C "$tmp/probe.conf" -n "json:$tmp/only.json" 2>/dev/null
if [ -e "$tmp/file.json" ] || [ ! -s "$tmp/only.json" ]; then
	fail "-n on the command line did not replace the file's collectors"
else
	echo "ok: -n replaces the file's collector list"
fi

# --- 3. bad lines ---------------------------------------------------------
# bad LINE WORDS CONTENT: the error names file:LINE and holds WORDS.
bad() {
	line=$1 words=$2
	printf '%s' "$3" >"$tmp/bad.conf"
	"$L7PROBE" -C "$tmp/bad.conf" -r "$cap" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ $st -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
	    ! grep -qF -- "l7probe: $tmp/bad.conf:$line: $words" "$tmp/err"; then
		fail "bad line $line ($words): exit $st, stderr:"
		cat "$tmp/err"
	else
		echo "ok: $(cat "$tmp/err")"
	fi
}
bad 3 "unknown option 'idle_timeout'" "# x
collector = json:$tmp/never.json
idle_timeout = 5
"
bad 2 "idle-timeout '5 s': not a whole number" "
idle-timeout = 5 s
"
bad 1 "write the option without its dashes" "--no-dpi
"
bad 2 "max-flows: given twice (first on line 1)" "max-flows = 5
max-flows = 6
"
[ -e "$tmp/never.json" ] && fail "a bad file created an output file"

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
exit 0
