#!/bin/bash
# Runs the data plane tests (kernel, batch, user, mixed, bpf, mixed-bpf, buffer) and adds their
# "name: N passed, M failed" lines into "dp: N passed, M failed". A test
# that skips or ends without a summary counts as failed; one that says
# "not run" because this kernel lacks a feature it needs (tests/kfeat.sh)
# is listed, and make check names it at the end.
set -u
cd "$(dirname "$0")/../.." || exit 1
# A suite that cannot run fails, with the reason (a skip would let
# "make check" say that every suite passed).
if [[ $(id -u) -ne 0 ]]; then
	echo "dp: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
missing=
for t in ip:iproute2 tcpdump:tcpdump iperf3:iperf3 ping:iputils-ping; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t%%:*} (${t##*:})"
done
/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || missing="$missing scapy (python3-scapy)"
if [[ -n $missing ]]; then
	echo "dp: missing tools:$missing: run make deps as root" >&2
	exit 1
fi
passed=0
failed=0
for t in tests/dp/kernel.sh tests/dp/batch.sh tests/dp/user.sh tests/dp/user-batch.sh tests/dp/mixed.sh \
	tests/dp/bpf.sh tests/dp/mixed-bpf.sh tests/dp/buffer.sh; do
	out=$("$t" 2>&1)
	line=$(printf '%s\n' "$out" | grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	if printf '%s\n' "$out" | grep -qiE '^[a-z-]+: skipped'; then
		printf '%s\n' "$out" | grep -iE '^[a-z-]+: skipped' | head -n 1
		echo "$t: skipped, which fails"
		failed=$((failed + 1))
		continue
	fi
	# Not run for want of a kernel feature (tests/kfeat.sh): said, not failed.
	printf '%s\n' "$out" | grep -E '^[a-z-]+( [^:]*)?: not run: '
	if [[ -z $line ]] && printf '%s\n' "$out" | grep -qE '^[a-z-]+( [^:]*)?: not run: '; then
		continue
	fi
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
