# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Assertions for the namespace lab tests (tests/lab/*.sh), on top of the
# Figure 4 topology functions of lab/pmip-fig4.sh.
#
#   check NAME CMD...    run CMD, count and print pass or FAIL (with its output)
#   info TEXT            print a measured figure (never a verdict)
#   summary LABEL        print "LABEL: N passed, M failed"; status 1 on failure

# shellcheck source=lab/pmip-fig4.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../lab/pmip-fig4.sh"

PASSED=0
FAILED=0

check() {
	local name=$1 out
	shift
	out=$(mktemp "$LAB_TMP/check.XXXXXX")
	if "$@" >"$out" 2>&1; then
		PASSED=$((PASSED + 1))
		printf '  pass  %s\n' "$name"
	else
		FAILED=$((FAILED + 1))
		printf '  FAIL  %s\n' "$name"
		tail -n 20 "$out" | sed 's/^/        /'
	fi
	rm -f "$out"
}

info() {
	printf '  info  %s\n' "$*"
}

summary() {
	echo "$1: $PASSED passed, $FAILED failed"
	[[ $FAILED -eq 0 ]]
}

# Show the daemons' logs when something failed (to the test's output).
dump_logs_on_failure() {
	local n
	[[ $FAILED -gt 0 && -n $LAB_TMP ]] || return 0
	for n in lma1 lma2 mag1 mag2 mag3; do
		[[ -s $LAB_TMP/$n.log ]] || continue
		echo "  --- $n.log (last 25 lines)"
		tail -n 25 "$LAB_TMP/$n.log" | sed 's/^/      /'
	done
}
