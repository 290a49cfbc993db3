#!/bin/sh
# shipped_files.sh - every definition file shipped in templates/ is read
# by a parser of its format, as the collector it is for would read it:
# XML by xmllint (well-formed; libfds refuses a file that is not, e.g. a
# "--" inside a comment) and by defcheck.py for its structure, YAML by
# python3-yaml, the CSV by its columns and Telegraf's data types, pmacct's
# primitives by their keys, the probe's templates and the first_pkts rules
# by the probe itself. Then tools/iedoc, which
# writes the collector files from the registry, is run and its output is
# checked the same way and must equal the shipped files (make ie-docs
# after a registry change). A file in templates/ that this test does not
# know fails it, so a new one cannot ship unchecked.
#
# Exit: 0 pass, 1 fail, 77 skip (xmllint or python3-yaml missing), 99
# hard error. Needs (Debian): libxml2-utils, python3-yaml.
set -u
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

skip_unless_cmd xmllint "$PYTHON"
"$PYTHON" -c 'import yaml' 2>/dev/null ||
    { echo "SKIP: python3-yaml not installed"; exit 77; }
[ -x "$L7PROBE" ] || { echo "ERROR: no probe binary at $L7PROBE"; exit 99; }
iedoc=$(dirname "$L7PROBE")/tools/iedoc
[ -x "$iedoc" ] || { echo "ERROR: no generator at $iedoc"; exit 99; }
defcheck=$here/defcheck.py
tdir=$srcdir/templates
fails=0

# check KIND FILE: parses FILE as KIND; prints and counts faults.
check() {
	case $1 in
	libfds|ipfix-registry)
		if ! xmllint --noout "$2" >"$tmp/out" 2>&1; then
			echo "FAIL $2: not well-formed XML:"; cat "$tmp/out"
			fails=$((fails + 1))
			return
		fi ;;
	esac
	if ! "$PYTHON" "$defcheck" "$1" "$2" >"$tmp/out" 2>&1; then
		echo "FAIL $2:"; cat "$tmp/out"
		fails=$((fails + 1))
	else
		echo "ok   $2 ($1)"
	fi
}

# The shipped files, each with the format it must parse as.
port=$(free_port udp)
# A NetFlow v9 sink on it: the probe's datagrams are taken (nobody
# listening would be records lost, exit status 1).
udp_sink "$port"
for f in "$tdir"/*; do
	case ${f##*/} in
	ipfixcol2-*.xml) check libfds "$f" ;;
	l7probe-ie.xml) check ipfix-registry "$f" ;;
	goflow2-mapping.yaml) check goflow2 "$f" ;;
	telegraf-pen.csv) check telegraf "$f" ;;
	nfacctd-primitives.lst) check pmacct "$f" ;;
	*.tmpl)
		# The probe refuses a template it cannot parse (exit 2); a
		# NetFlow v9 collector (the sink above) makes it use the
		# template.
		if "$L7PROBE" -q -T "$f" -r "$srcdir/tests/data/vxlan.pcap" \
		    -n "nfv9://127.0.0.1:$port" >"$tmp/out" 2>&1; then
			echo "ok   $f (template)"
		else
			echo "FAIL $f: the probe refuses it:"; cat "$tmp/out"
			fails=$((fails + 1))
		fi ;;
	first_pkts.rules)
		# The first_pkts plugin reads it at start and refuses a rule it
		# cannot parse (exit 2).
		if "$L7PROBE" -q --plugin "first_pkts:n=3,rules=$f" \
		    -r "$srcdir/tests/data/vxlan.pcap" -n json:/dev/null \
		    >"$tmp/out" 2>&1; then
			echo "ok   $f (first_pkts rules)"
		else
			echo "FAIL $f: the first_pkts plugin refuses it:"
			cat "$tmp/out"
			fails=$((fails + 1))
		fi ;;
	*)
		echo "FAIL $f: no check for this shipped file (add one here)"
		fails=$((fails + 1)) ;;
	esac
done

# The generator's output: valid, and what is shipped.
while read -r kind file args; do
	# shellcheck disable=SC2086
	if ! "$iedoc" $args >"$tmp/gen" 2>"$tmp/err"; then
		echo "FAIL iedoc $args: exit status $?:"; cat "$tmp/err"
		fails=$((fails + 1))
		continue
	fi
	[ "$kind" = md ] || check "$kind" "$tmp/gen"
	if ! cmp -s "$tmp/gen" "$srcdir/$file"; then
		echo "FAIL $file differs from 'iedoc $args' (run make ie-docs):"
		diff -u "$srcdir/$file" "$tmp/gen" | head -20
		fails=$((fails + 1))
	fi
done <<'LIST'
md doc/INFORMATION-ELEMENTS.md md
libfds templates/ipfixcol2-ntop.xml libfds 35632
libfds templates/ipfixcol2-l7probe.xml libfds 32473
pmacct templates/nfacctd-primitives.lst pmacct
goflow2 templates/goflow2-mapping.yaml goflow2
telegraf templates/telegraf-pen.csv telegraf
LIST
echo "$fails faults"
[ "$fails" -eq 0 ]
