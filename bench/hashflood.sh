#!/bin/bash
# bench/hashflood.sh - flow table cost per packet under hash flooding, old
# (constant hash seed) versus new (keyed, per-table random key).
#
# Not a test: it prints figures. See doc/BENCHMARKS.md.
#
#   bench/hashflood.sh [-r OLDREV] [-n TUPLES] [-k ROUNDS]
#
#   -r OLDREV   git revision of the old flow table (default: the commit
#               before the keyed hash came, found from git history)
#   -n TUPLES   tuples per set (default 2000)
#   -k ROUNDS   times each set is sent (default 100)
#
# Builds bench/hashflood.c twice with -O2: against src/flow/ of OLDREV and
# against the working tree's src/flow/. Needs git, cc.

set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rev=
n=2000
rounds=100
while [ $# -gt 0 ]; do
	case $1 in
	-r) rev=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	-k) rounds=$2; shift 2 ;;
	-h|--help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "hashflood.sh: unknown option $1 (try -h)" >&2; exit 2 ;;
	esac
done
cd "$top"
if [ -z "$rev" ]; then
	first=$(git log --diff-filter=A --format=%H -- src/flow/flowkey.c |
	    tail -n 1)
	[ -n "$first" ] || { echo "hashflood.sh: no src/flow/flowkey.c in" \
	    "history; give -r" >&2; exit 1; }
	rev=$first^
fi
tmp=$(mktemp -d /tmp/l7hashflood.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

CC=${CC:-cc}
CFLAGS="-O2 -g -std=gnu11 -D_GNU_SOURCE"

# old: src/flow, src/decode/decode.h and src/log of OLDREV
mkdir -p "$tmp/old/src/flow" "$tmp/old/src/decode" "$tmp/old/src/log"
for f in $(git ls-tree --name-only "$rev" src/flow/) \
    src/decode/decode.h src/log/log.h src/log/log.c; do
	git show "$rev:$f" >"$tmp/old/$f"
done
$CC $CFLAGS -I"$tmp/old/src" -o "$tmp/hashflood-old" bench/hashflood.c \
    "$tmp"/old/src/flow/*.c "$tmp/old/src/log/log.c"
$CC $CFLAGS -Isrc -o "$tmp/hashflood-new" bench/hashflood.c src/flow/*.c \
    src/log/log.c

echo "== flow table under hash flooding: $n tuples, each sent $rounds times"
echo "   (default table: max_flows 128000; one packet per flow_table_add)"
echo "-- old flow table ($(git rev-parse --short "$rev"), constant seed):"
"$tmp/hashflood-old" "$n" "$rounds" | sed 's/^/   /'
echo "-- new flow table ($(git rev-parse --short HEAD)$(git diff --quiet -- src/flow || echo ' + changes'), keyed hash):"
"$tmp/hashflood-new" "$n" "$rounds" | sed 's/^/   /'
