# shellcheck shell=bash
# Shared by the emulator's test scripts: set NAME, source this, then
# emu_need TOOL...; count with ok, bad MESSAGE and check LABEL FILE JQ-EXPR;
# $tmp is a directory removed at exit.
emu_need() {
	local t
	for t; do
		command -v "$t" >/dev/null || {
			echo "$NAME: $t missing (tests/deps.sh installs it)" >&2
			exit 1
		}
	done
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "$NAME: FAIL: $*" >&2
}
check() {
	if jq -e "$3" "$2" >/dev/null 2>&1; then ok; else bad "$1 ($3)"; fi
}
