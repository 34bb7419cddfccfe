#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every dmmd config example in the docs runs as written.
#
# Each fenced ```json block of docs/*.md and README.md must be JSON (jq).
# A block whose top-level member is "dmm:node" is a dmmd config; each is
# checked with `dmmd -c FILE --check` and must be accepted. Then, since a
# host without a profile is refused (docs/dmmd.md, "Who may register"):
#   - a MAG or MAAR example needs a default-profile that may register and
#     whose mn-id-type (any, or the gateway's mn-id-form: eui48 by default,
#     or nai) covers the MN-IDs the gateway makes of its hosts' MACs;
#   - a CMD example needs a default-profile that may register, for any or
#     eui48 MN-IDs (what MAARs send by default);
#   - an LMA example needs a default-profile that may register, or at
#     least one mobile-nodes entry that may.
# No example at all is a failure too: the test cannot pass by finding
# nothing. Needs jq and build/dmmd, no root.
#
# Usage: tests/docs/run.sh [DMMD]
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMD=${1:-${DMMD:-build/dmmd}}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "docs: FAIL $*"
}

command -v jq >/dev/null || { echo "docs: FAIL jq missing (apt-get install jq)"; exit 1; }
[ -x "$DMMD" ] || { echo "docs: FAIL $DMMD not built (make all)"; exit 1; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

# Split every ```json block into $T/<file>-<line>.json (the line of its fence).
for md in docs/*.md README.md; do
	[ -f "$md" ] || continue
	awk -v out="$T" -v base="$(basename "$md" .md)" '
		/^```json[ \t]*$/ { f = sprintf("%s/%s-%d.json", out, base, NR); inb = 1; next }
		inb && /^```[ \t]*$/ { close(f); inb = 0; next }
		inb { print > f }
		END { if (inb) { print "unterminated json block in " base > "/dev/stderr"; exit 1 } }
	' "$md" || bad "$md: a json block is not closed"
done

# The jq program: "ok" when the config lets a host register, else the reason.
REGISTER='
.["dmm:node"] as $n | $n.role as $r | ($n["default-profile"]) as $d |
(if $d == null then null else ($d["mn-id-type"] // "any") end) as $t |
(($d != null) and ($d["may-register"] != false)) as $dp |
if $r == "mag" or $r == "maar" then
	($n[$r]["mn-id-form"] // "eui48") as $form |
	if $dp and ($t == "any" or $t == $form) then "ok"
	else "a \($r) needs a default-profile that may register, mn-id-type any or \($form)" end
elif $r == "cmd" then
	if $dp and ($t == "any" or $t == "eui48") then "ok"
	else "a cmd needs a default-profile that may register, mn-id-type any or eui48" end
else
	if $dp or ([$n["mobile-nodes"][]? | select(.["may-register"] != false)] | length > 0) then "ok"
	else "an lma needs a default-profile or a mobile-nodes entry that may register" end
end'

n=0
for f in "$T"/*.json; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .json)
	if ! jq -e . "$f" >/dev/null 2>&1; then
		bad "$name: not JSON"
		continue
	fi
	jq -e 'type == "object" and has("dmm:node")' "$f" >/dev/null || continue
	n=$((n + 1))
	if "$DMMD" -c "$f" --check >/dev/null 2>"$T/err"; then
		ok
	else
		bad "$name ($(jq -r '.["dmm:node"].role' "$f")): dmmd refuses it: $(head -n1 "$T/err")"
	fi
	why=$(jq -r "$REGISTER" "$f")
	if [ "$why" = ok ]; then
		ok
		echo "  $name: $(jq -r '.["dmm:node"].role' "$f"), valid, a host can register"
	else
		bad "$name: $why"
	fi
done
[ "$n" -gt 0 ] || bad "no dmmd config example found in docs/*.md"
echo "docs: $n config examples, $pass passed, $fail failed"
[ "$fail" -eq 0 ]
