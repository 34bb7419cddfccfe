#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The namespace lab: tests/lab/pmip.sh with the three data plane set-ups
# (kernel, user, mixed: MAGs kernel, LMAs user), tests/lab/malformed.sh and
# tests/lab/dmm.sh (RFC 8885: kernel data plane with a proxy CMD, user data
# plane with a relay CMD; LAB_DMM="kernel:relay ..." picks others).
# Prints "lab: N passed, M failed" over all of them; exits 1 on a failure.
set -u
cd "$(dirname "$0")/../.." || exit 1

if [[ $(id -u) -ne 0 ]]; then
	echo "lab: skipped (needs root for network namespaces)"
	exit 0
fi

passed=0
failed=0
run() {
	local out line
	out=$(mktemp /tmp/dmm-lab-run.XXXXXX)
	"$@" 2>&1 | tee "$out"
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [[ -z $line ]]; then
		echo "  FAIL  $* ended without a summary"
		failed=$((failed + 1))
	else
		read -r _ p _ f _ <<<"$line"
		passed=$((passed + p))
		failed=$((failed + f))
	fi
	rm -f "$out"
}

for dp in ${LAB_DATAPLANES:-kernel user mixed}; do
	run tests/lab/pmip.sh "$dp"
done
run tests/lab/malformed.sh
for dm in ${LAB_DMM:-kernel:proxy user:relay}; do
	run tests/lab/dmm.sh "${dm%%:*}" "${dm##*:}"
done

echo "lab: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
