#!/bin/sh
# Runs each unit test binary (built with ASan and UBSan) and adds up the
# "name: N passed, N failed" lines into one total. A binary that prints
# no summary, exits non-zero, or checked nothing (0 passed, 0 failed)
# fails the run: a test that asserts nothing proves nothing.
set -u
total_p=0
total_f=0
status=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v ': [0-9]* passed, [0-9]* failed$' >&2
	line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$t: no summary (exit $rc)" >&2
		status=1
		total_f=$((total_f + 1))
		continue
	fi
	echo "$line"
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/')
	total_p=$((total_p + p))
	total_f=$((total_f + f))
	[ "$rc" -ne 0 ] && status=1
	if [ "$((p + f))" -eq 0 ]; then
		echo "$t: ran no check" >&2
		status=1
		total_f=$((total_f + 1))
	fi
done
if [ "$#" -eq 0 ]; then
	echo "unit: no test binary given" >&2
	status=1
fi
echo "unit: $total_p passed, $total_f failed"
exit $status
