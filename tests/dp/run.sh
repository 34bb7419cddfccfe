#!/bin/bash
# Runs the data plane tests (kernel, user, mixed) and adds their
# "name: N passed, M failed" lines into "dp: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
for t in tests/dp/kernel.sh tests/dp/user.sh tests/dp/mixed.sh; do
	out=$("$t" 2>&1)
	line=$(printf '%s\n' "$out" | grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [[ -z $line ]]; then
		printf '%s\n' "$out" | tail -20
		echo "$t: no summary"
		failed=$((failed + 1))
		continue
	fi
	printf '%s\n' "$out" | grep -E '^\s+FAIL' -A3
	echo "$line"
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "dp: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
