#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Cache misses per binding-cache lookup, by MN-ID and by prefix, at 10^3 to
# 10^6 entries, counted by valgrind's cache simulation (callgrind, a 32 KiB
# L1 and an 8 MiB last-level cache, 64-octet lines), where the machine has
# no hardware counters to ask (perf stat -e cache-misses needs a PMU).
# Beside each: a plain array of entries read in the same random order,
# which costs one miss per read once it outgrows the caches. Prints
# figures, never fails on them. Usage: bench/lookup-misses.sh [bench_bcache]
# [sizes...] (default build/bench_bcache, 1000 10000 100000 1000000).
set -eu
bin=${1:-build/bench_bcache}
[ $# -gt 0 ] && shift
sizes=${*:-1000 10000 100000 1000000}
command -v valgrind >/dev/null || { echo "lookup-misses: valgrind is needed" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
# LL misses per call of f (three passes of n lookups each) from callgrind's inclusive costs.
per() {
	callgrind_annotate --inclusive=yes --show=DLmr "$1" 2>/dev/null |
		awk -v f="$2" -v n="$3" '$0 ~ ("bench_bcache.c:" f " ") { gsub(/,/, "", $1); printf "%.2f", $1 / (3 * n); found = 1 }
			END { if (!found) printf "n/a" }'
}
printf '%-5s %9s %10s %10s %10s\n' kind entries by-mnid by-prefix array
for kind in eui nai; do
	for n in $sizes; do
		valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --LL=8388608,16,64 \
			--toggle-collect=lookup_mnid --toggle-collect=lookup_prefix --toggle-collect=base_read \
			--callgrind-out-file="$out/cg.$kind.$n" "$bin" "$n" "$kind" >/dev/null 2>&1
		printf '%-5s %9s %10s %10s %10s\n' "$kind" "$n" "$(per "$out/cg.$kind.$n" lookup_mnid "$n")" \
			"$(per "$out/cg.$kind.$n" lookup_prefix "$n")" "$(per "$out/cg.$kind.$n" base_read "$n")"
	done
done
