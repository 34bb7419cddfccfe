#!/bin/sh
# Runs each fuzz target for SECONDS, seeded from tests/fuzz/corpus/<name>/
# (fuzz_mh_ip6 shares the mh seeds with an address pair prepended), in a
# scratch corpus so the tree stays clean. Prints executions per target and
# "fuzz: N passed, M failed".
set -u
secs=$1
shift
if [ "$#" -eq 0 ]; then
	echo "fuzz: no fuzz target given (are tests/fuzz/fuzz_*.c there, and clang?)" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
pass=0
fail=0
total_execs=0
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	[ -d "$seeds" ] || seeds=tests/fuzz/corpus/mh
	mkdir -p "$work/$name"
	if [ "$name" = fuzz_mh_ip6 ]; then
		# 2001:db8::1 -> 2001:db8::2 in front of every seed
		for f in "$seeds"/*; do
			[ -f "$f" ] || continue
			{ printf '\040\001\015\270\0\0\0\0\0\0\0\0\0\0\0\001\040\001\015\270\0\0\0\0\0\0\0\0\0\0\0\002'; cat "$f"; } \
				>"$work/$name/$(basename "$f")"
		done
	else
		[ -d "$seeds" ] && cp "$seeds"/* "$work/$name/" 2>/dev/null
	fi
	log="$work/$name.log"
	if "$bin" -max_total_time="$secs" -max_len=2100 -print_final_stats=1 -artifact_prefix="$work/" \
		"$work/$name" >"$log" 2>&1; then
		execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
		execs=${execs:-0}
		total_execs=$((total_execs + execs))
		echo "$name: ${execs} executions in ${secs}s, no crash"
		pass=$((pass + 1))
	else
		echo "$name: FAILED" >&2
		tail -n 40 "$log" >&2
		mkdir -p build/fuzz-artifacts
		cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* build/fuzz-artifacts/ 2>/dev/null
		fail=$((fail + 1))
	fi
done
echo "fuzz: $total_execs executions in all"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
