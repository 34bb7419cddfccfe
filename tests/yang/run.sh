#!/bin/sh
# The YANG model against the daemon's config loader (ARCHITECTURE.md rule 7).
#   1. yanglint compiles yang/dmm.yang without a message;
#   2. tests/yang/good/*.json: yanglint and `dmmd --check` both accept;
#   3. tests/yang/bad/*.json: both refuse (the reasons are printed);
#   4. tests/yang/known/*.json: the disagreements docs/yang.md lists still
#      hold: dmmd-only-* is accepted by dmmd only, yang-only-* by yanglint
#      only. A case that starts to agree fails, so that it moves to good/
#      or bad/ and docs/yang.md loses the entry;
#   5. tests/yang/state/*.json: operational data that validates (-t data).
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

# 3. Refused by both, each for its reason.
for f in tests/yang/bad/*.json; do
	judge "$f"
	n=$(basename "$f" .json)
	if [ $y = ref ] && [ $d = ref ]; then
		ok
		echo "  $n"
		echo "    yanglint: $(y_reason "$ye")"
		echo "    dmmd:     $(d_reason "$de")"
	else
		bad "$f: bad, but yanglint ${y}, dmmd ${d}"
		[ $y = ref ] && echo "    yanglint: $(y_reason "$ye")"
		[ $d = ref ] && echo "    dmmd:     $(d_reason "$de")"
	fi
done
echo "yang: bad/ done"

# 4. The known disagreements (docs/yang.md).
for f in tests/yang/known/*.json; do
	judge "$f"
	n=$(basename "$f" .json)
	case $n in
	dmmd-only-*) want_y=ref want_d=acc ;;
	yang-only-*) want_y=acc want_d=ref ;;
	*)
		bad "$f: name it dmmd-only-* or yang-only-*"
		continue
		;;
	esac
	if [ $y = "$want_y" ] && [ $d = "$want_d" ]; then
		ok
		echo "  known: $n"
		[ $y = ref ] && echo "    yanglint: $(y_reason "$ye")"
		[ $d = ref ] && echo "    dmmd:     $(d_reason "$de")"
	else
		bad "$f: documented as $n, now yanglint ${y}, dmmd ${d}: move it to good/ or bad/, update docs/yang.md"
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

echo "yang: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
