#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs a list of tests one by one and adds their summary lines
# ("NAME: N passed, M failed", the last one each prints) into
# "vm: N passed, M failed", with each test's time. Meant to run inside the
# machine of tests/vm/run.sh (make vm-check), where the stock kernel has
# the features tests/kfeat.sh probes; it runs anywhere as root.
#
#   tests/vm/suite.sh TEST...
#
# A TEST is a script and its arguments joined by ':', e.g.
# tests/lab/mcast.sh:kernel:direct. A test that exits non-zero or prints
# no summary line counts as one failure more (unless its summary already
# says it failed); one that says "not run" fails too: DMM_KERNEL_FEATURES
# is "required" here unless set otherwise. Each test's whole output is in
# build/vm/logs/; the last lines of a failed one are printed.
set -u
cd "$(dirname "$0")/../.." || exit 1
export DMM_KERNEL_FEATURES=${DMM_KERNEL_FEATURES:-required}
LOGS=build/vm/logs
mkdir -p "$LOGS" || exit 1
echo "vm: kernel $(uname -r)"
tests/kernel-features.sh | grep -v '^kernel: [0-9]'

passed=0
failed=0
start=$SECONDS
for t in "$@"; do
	IFS=: read -r -a argv <<<"$t"
	log=$LOGS/$(printf '%s' "$t" | tr '/:' '__').log
	s=$SECONDS
	"${argv[@]}" >"$log" 2>&1
	rc=$?
	secs=$((SECONDS - s))
	line=$(grep -E ': [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	p=0
	f=0
	if [[ $line =~ :\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
	fi
	# A failing exit or a missing summary is a failure, counted once.
	[[ ($rc -ne 0 || -z $line) && $f -eq 0 ]] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	if [[ $f -eq 0 ]]; then
		echo "vm: ok    ${argv[*]}: ${line:-no summary} (${secs} s)"
	else
		echo "vm: FAIL  ${argv[*]}: ${line:-no summary line} (exit $rc, ${secs} s); its failures and last lines ($log):"
		grep -E '^ *FAIL' "$log" | head -n 20 | sed 's/^/      /'
		tail -n 15 "$log" | sed 's/^/    | /'
	fi
done
echo "vm: the tests took $((SECONDS - start)) s"
echo "vm: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
