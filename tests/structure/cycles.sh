#!/bin/sh
# One-way layers (ARCHITECTURE.md, STYLE.md): within a group of object
# files, no file calls a function defined in a file that calls it back,
# directly or through others. Edges come from nm: file A calls file B
# when a symbol A leaves undefined (U) is one B defines (T). tsort then
# finds any cycle. Prints the files of each cycle; exit 1 if any.
#
# usage: tests/structure/cycles.sh OBJ...   (one group: e.g. build/core/role/*.o)
set -u
[ $# -gt 1 ] || { echo "usage: $0 OBJ OBJ..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for o in "$@"; do
	[ -f "$o" ] || { echo "cycles: $o: no such object (build first)" >&2; exit 2; }
	b=$(basename "$o" .o)
	nm "$o" | awk '$2 == "T" { print $3 }' | sort -u >"$tmp/$b.def"
	nm "$o" | awk '$1 == "U" { print $2 }' | sort -u >"$tmp/$b.und"
done
: >"$tmp/edges"
for a in "$@"; do
	ba=$(basename "$a" .o)
	for c in "$@"; do
		bc=$(basename "$c" .o)
		[ "$ba" = "$bc" ] && continue
		syms=$(comm -12 "$tmp/$ba.und" "$tmp/$bc.def" | tr '\n' ' ')
		[ -n "$syms" ] && echo "$ba $bc $syms" >>"$tmp/edges"
	done
done
# A pair that calls both ways is the common case: name it with the symbols.
bad=$(awk '{ e[$1 " " $2] = $0 } END { for (k in e) { split(k, p, " "); r = p[2] " " p[1]; if ((r in e) && p[1] < p[2]) print "  " e[k] "\n  " e[r] } }' "$tmp/edges")
loop=$(awk '{ print $1, $2 }' "$tmp/edges" | tsort 2>&1 >/dev/null | grep -v '^tsort: -: input contains a loop:' | sed 's/^tsort: /  /')
if [ -n "$bad" ] || [ -n "$loop" ]; then
	echo "cycles: files that call each other (caller callee symbols):"
	[ -n "$bad" ] && echo "$bad"
	[ -n "$loop" ] && echo "cycles: a loop through:" && echo "$loop"
	exit 1
fi
echo "cycles: $# files, $(wc -l <"$tmp/edges") one-way call edges, no cycle"
