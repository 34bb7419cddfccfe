#!/bin/sh
# The YANG model is dmmd's config validator (dmmd reads every config
# through libyang against yang/dmm.yang, daemon/yangcfg.c):
#   1. yanglint compiles yang/dmm.yang without a message;
#   2. tests/yang/good/*.json: yanglint and `dmmd --check` both accept;
#   3. tests/yang/bad/*.json: both refuse, and dmmd names the node that
#      tests/yang/expected-paths gives for the file (libyang's data path);
#   4. tests/yang/beyond/*.json: the rules dmmd adds to the model, which
#      YANG cannot express (docs/yang.md, "Rules beyond the model"):
#      yanglint accepts, dmmd refuses with the expected path. There is no
#      list of known differences any more: a file yanglint and dmmd judge
#      differently for any other reason fails in 2 or 3;
#   5. tests/yang/state/*.json: operational data that validates (-t data);
#   6. every dmmd config in docs/ and tests/ (tests/yang/corpus.sh) passes
#      `dmmd --check`.
# Usage: tests/yang/run.sh [DMMD]   (default build/dmmd)
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMD=${1:-${DMMD:-build/dmmd}}
YANG=yang/dmm.yang
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "yang: FAIL $*"
}

if ! command -v yanglint >/dev/null 2>&1; then
	echo "yang: yanglint not found (apt-get install libyang2-tools)" >&2
	echo "yang: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$DMMD" ]; then
	echo "yang: $DMMD not built (make all)" >&2
	echo "yang: 0 passed, 1 failed"
	exit 1
fi

# yanglint's first error line, without the "libyang err : " prefix.
y_reason() { grep -m1 'err' "$1" | sed 's/^libyang err : //; s/^YANGLINT\[E\]: //' | cut -c1-160; }
d_reason() { sed 's/^dmmd: config refused: //' "$1" | head -n1; }

ye=$(mktemp) && de=$(mktemp) || exit 1
trap 'rm -f "$ye" "$de"' EXIT

# 1. The module compiles, with no warning.
if yanglint "$YANG" >"$ye" 2>&1 && [ ! -s "$ye" ]; then
	ok
	echo "yang: $YANG compiles"
else
	bad "$YANG does not compile cleanly:"
	sed 's/^/    /' "$ye"
fi

# Sets y and d to acc or ref for FILE, leaving the messages in $ye and $de.
judge() {
	if yanglint -t config "$YANG" "$1" >/dev/null 2>"$ye"; then y=acc; else y=ref; fi
	if "$DMMD" -c "$1" --check >/dev/null 2>"$de"; then d=acc; else d=ref; fi
}

# 2. Accepted by both.
for f in tests/yang/good/*.json; do
	judge "$f"
	if [ $y = acc ] && [ $d = acc ]; then
		ok
	else
		bad "$f: good, but yanglint ${y}, dmmd ${d}"
		[ $y = ref ] && echo "    yanglint: $(y_reason "$ye")"
		[ $d = ref ] && echo "    dmmd:     $(d_reason "$de")"
	fi
done
echo "yang: good/ done"

# The path dmmd's message starts with, and the one expected-paths gives for $1 (dir/name.json).
d_path() { d_reason "$1" | sed 's/: .*//'; }
want_path() { awk -F'\t' -v f="$1" '$1 == f { print $2 }' tests/yang/expected-paths; }

# 3. Refused by both, dmmd with the expected path.
for f in tests/yang/bad/*.json; do
	judge "$f"
	n=$(basename "$f" .json)
	want=$(want_path "bad/$n.json")
	if [ $y = ref ] && [ $d = ref ] && [ -n "$want" ] && [ "$(d_path "$de")" = "$want" ]; then
		ok
		echo "  $n"
		echo "    yanglint: $(y_reason "$ye")"
		echo "    dmmd:     $(d_reason "$de")"
	else
		bad "$f: bad, yanglint ${y}, dmmd ${d}, expected path '${want:-none in expected-paths}'"
		[ $y = ref ] && echo "    yanglint: $(y_reason "$ye")"
		[ $d = ref ] && echo "    dmmd:     $(d_reason "$de")"
	fi
done
echo "yang: bad/ done"

# 4. The rules beyond the model: yanglint accepts, dmmd refuses with the path.
for f in tests/yang/beyond/*.json; do
	judge "$f"
	n=$(basename "$f" .json)
	want=$(want_path "beyond/$n.json")
	if [ $y = acc ] && [ $d = ref ] && [ -n "$want" ] && [ "$(d_path "$de")" = "$want" ]; then
		ok
		echo "  beyond: $n"
		echo "    dmmd:     $(d_reason "$de")"
	else
		bad "$f: a rule beyond the model, but yanglint ${y}, dmmd ${d}, expected path '${want:-none}'"
		[ $y = ref ] && echo "    yanglint: $(y_reason "$ye")"
		[ $d = ref ] && echo "    dmmd:     $(d_reason "$de")"
	fi
done

# 5. Operational state samples.
for f in tests/yang/state/*.json; do
	[ -e "$f" ] || continue
	if yanglint -t data "$YANG" "$f" >/dev/null 2>"$ye"; then
		ok
	else
		bad "$f: state sample refused: $(y_reason "$ye")"
	fi
done

# 6. Every config of docs/ and tests/.
if tests/yang/corpus.sh "$DMMD" >"$ye" 2>&1; then
	ok
	tail -n1 "$ye"
else
	bad "tests/yang/corpus.sh:"
	sed 's/^/    /' "$ye"
fi

echo "yang: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
