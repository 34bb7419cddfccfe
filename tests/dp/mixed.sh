#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Interoperability of the data plane backends on the wire: the PMIPv6
# binding of tests/dp/user.sh with one end on the kernel backend (seg6
# encap.red + End.DT6) and the other on the user backend (TUN + raw
# protocol-41 socket), both ways round:
#
#   MN ── MAG(kernel) ── LMA(user) ── CN
#   MN ── MAG(user) ── LMA(kernel) ── CN
#
# Every check of user.sh runs; the outer header is checked byte for byte
# on the user side only (the kernel copies hop limit, traffic class and
# flow label from the inner packet). Ends with "mixed-dp: N passed, M failed".
#
#   [BENCH=1] tests/dp/mixed.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
for pair in "kernel user" "user kernel"; do
	# shellcheck disable=SC2086 # two words on purpose
	set -- $pair
	out=$(tests/dp/user.sh --mag "$1" --lma "$2" --label "mixed-dp MAG=$1 LMA=$2" ${BENCH:+--bench} 2>&1)
	echo "$out"
	line=$(echo "$out" | grep -E '^mixed-dp MAG=.*: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [[ -z $line ]]; then
		echo "  FAIL  MAG=$1 LMA=$2: no summary"
		failed=$((failed + 1))
		continue
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "mixed-dp: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
