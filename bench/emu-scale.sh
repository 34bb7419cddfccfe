#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the emulator costs as the MN count grows: emu/scenarios/large.json
# (100 MAGs, 4 LMAs, exponential dwell mean 60 s, 1 % of MNs with a
# downlink stream) with 10^4 and 10^5 MNs, and emu/scenarios/large-1m.json
# (the same with pools large enough for 10^6 MNs). For each size: the
# handovers, the CPU time (setup: scenario, roles and tables; events; the
# report), handovers per CPU-second over the whole process and over the
# events only, and the peak RSS. Prints figures; never fails on speed.
#
#   [SIZES="10000 100000 1000000"] [DURATION=120s] [SEED=1] bench/emu-scale.sh [path/to/dmm-emu]
set -u
cd "$(dirname "$0")/.." || exit 1

B=${BUILD:-build}
EMU=${1:-$B/dmm-emu}
SIZES=${SIZES:-10000 100000 1000000}
DURATION=${DURATION:-120s}
SEED=${SEED:-1}

command -v jq >/dev/null || {
	echo "emu-scale: jq missing" >&2
	exit 1
}
[[ -x $EMU ]] || make -s "$B/dmm-emu" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-9s %10s %9s %9s %9s %13s %13s %10s\n' MNs handovers cpu_s setup_s events_s ho_per_cpu_s ho_per_ev_s rss_MiB
for n in $SIZES; do
	base=emu/scenarios/large.json
	((n > 250000)) && base=emu/scenarios/large-1m.json
	jq --argjson n "$n" '.generators[0].mn_count = $n | .name = "large-\($n)"' "$base" >"$tmp/s.json" || exit 1
	if ! "$EMU" --cost --seed "$SEED" --duration "$DURATION" --format json -o "$tmp/r.json" "$tmp/s.json" \
		2>"$tmp/err"; then
		echo "emu-scale: $n MNs: dmm-emu failed: $(cat "$tmp/err")" >&2
		continue
	fi
	# dmm-emu: cost: N MNs, H handovers, cpu C s (setup S s, events E s, report R s), X handovers
	# per cpu-second (Y counting the events only), max rss M MiB
	line=$(grep 'dmm-emu: cost:' "$tmp/err")
	read -r ho cpu setup ev per per_ev rss < <(sed -E 's/.* ([0-9]+) handovers, cpu ([0-9.]+) s \(setup ([0-9.]+) s, events ([0-9.]+) s.*\), ([0-9]+) handovers per cpu-second \(([0-9]+) counting.*max rss ([0-9.]+) MiB/\1 \2 \3 \4 \5 \6 \7/' <<<"$line")
	printf '%-9s %10s %9s %9s %9s %13s %13s %10s\n' "$n" "$ho" "$cpu" "$setup" "$ev" "$per" "$per_ev" "$rss"
	jq -r '"          registered at the end: \(.registration.registered_at_mag_and_lma) of \(.registration.attached) attached (\(.registration.moving) moving), \(.events) events"' "$tmp/r.json"
done
