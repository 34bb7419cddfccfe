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
#   [BENCH=1] tests/dp/mixed.sh [--label NAME] ["MAG-BACKEND LMA-BACKEND" ...]
#
# With pairs, those instead of the two above, and with --label, NAME
# instead of "mixed-dp" (tests/dp/mixed-bpf.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
label=mixed-dp
if [[ ${1:-} == --label ]]; then
	label=$2
	shift 2
fi
[[ $# -gt 0 ]] || set -- "kernel user" "user kernel"
. tests/kfeat.sh
passed=0
failed=0
for pair in "$@"; do
	# shellcheck disable=SC2086 # two words on purpose
	set -- $pair
	[[ " $pair " == *" kernel "* ]] && kfeat_lacks seg6 "$label MAG=$1 LMA=$2" && continue
	out=$(tests/dp/user.sh --mag "$1" --lma "$2" --label "$label MAG=$1 LMA=$2" ${BENCH:+--bench} 2>&1)
	echo "$out"
	line=$(echo "$out" | grep -E "^$label MAG=.*: [0-9]+ passed, [0-9]+ failed\$" | tail -1)
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
echo "$label: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
