#!/bin/sh
# No function longer than a screen (STYLE.md): every function defined in
# the given directories is at most MAX lines, from the line that names it
# to its closing brace. The tree follows .clang-format (format-check), so
# a function body opens with "{" alone at column 0 and closes with "}"
# alone at column 0. Prints each longer function with file, line and
# length; exit 1 if any.
#
# usage: tests/structure/fnlen.sh [-m MAX] DIR...
set -u
max=100
if [ "${1:-}" = "-m" ]; then
	max=$2
	shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [-m MAX] DIR..." >&2; exit 2; }
files=$(find "$@" -name '*.c' | sort)
[ -n "$files" ] || { echo "fnlen: no C files in $*" >&2; exit 2; }
out=$(for f in $files; do
	awk -v f="$f" -v max="$max" '
	# The signature starts at the last line at column 0 before "{" that is
	# neither blank, a comment, a preprocessor line nor a continuation.
	/^[A-Za-z_]/ && !in_body { if (!sig_open) { start = NR; name = $0 } sig_open = ($0 !~ /[);][[:space:]]*$/) }
	/^[}#]/ && !in_body { sig_open = 0 }
	/^\{$/ && !in_body { in_body = 1; sig_open = 0; next }
	/^\}$/ && in_body {
		in_body = 0; len = NR - start + 1
		if (len > max) { sub(/\(.*/, "", name); n = split(name, w, /[ *]+/); printf "%s:%d: %s: %d lines\n", f, start, w[n], len }
	}' "$f"
done)
if [ -n "$out" ]; then
	echo "fnlen: functions longer than $max lines:"
	echo "$out"
	exit 1
fi
echo "fnlen: no function in $* is longer than $max lines"
