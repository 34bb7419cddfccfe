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
# With a second build (OLD, e.g. the emulator of an earlier commit), each
# size runs both, one after the other, ROUNDS times (the shared machine
# moves CPU times from one run to the next; a pair run back to back sees
# the same load): a row per build with its fastest round, and the ratio
# of the new build's CPU time to the old one's, per round and overall.
# The two reports of a size must be the same (the wall time aside): a
# difference is printed and the exit status is 1.
#
#   [SIZES="10000 100000 1000000"] [DURATION=120s] [SEED=1] [ROUNDS=1]
#   bench/emu-scale.sh [path/to/dmm-emu [path/to/old/dmm-emu]]
set -u
cd "$(dirname "$0")/.." || exit 1

B=${BUILD:-build}
EMU=${1:-$B/dmm-emu}
OLD=${2:-}
SIZES=${SIZES:-10000 100000 1000000}
DURATION=${DURATION:-120s}
SEED=${SEED:-1}
ROUNDS=${ROUNDS:-1}

command -v jq >/dev/null || {
	echo "emu-scale: jq missing" >&2
	exit 1
}
[[ -x $EMU ]] || make -s "$B/dmm-emu" || exit 1
[[ -z $OLD || -x $OLD ]] || {
	echo "emu-scale: $OLD: not an executable" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# run EMU TAG: one run of $tmp/s.json; sets ho cpu setup ev per per_ev rss, the report in $tmp/TAG.json.
run() {
	local emu=$1 tag=$2 line
	if ! "$emu" --cost --seed "$SEED" --duration "$DURATION" --format json -o "$tmp/$tag.json" "$tmp/s.json" \
		2>"$tmp/err"; then
		echo "emu-scale: $n MNs: $emu failed: $(cat "$tmp/err")" >&2
		return 1
	fi
	# dmm-emu: cost: N MNs, H handovers, cpu C s (setup S s, events E s, report R s), X handovers
	# per cpu-second (Y counting the events only), max rss M MiB
	line=$(grep 'dmm-emu: cost:' "$tmp/err")
	read -r ho cpu setup ev per per_ev rss < <(sed -E 's/.* ([0-9]+) handovers, cpu ([0-9.]+) s \(setup ([0-9.]+) s, events ([0-9.]+) s.*\), ([0-9]+) handovers per cpu-second \(([0-9]+) counting.*max rss ([0-9.]+) MiB/\1 \2 \3 \4 \5 \6 \7/' <<<"$line")
}

# lt A B: A < B, or B is empty; div A B: A / B to two places.
lt() {
	[[ -z $2 ]] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}
div() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

row() {
	printf '%-9s %-5s %10s %9s %9s %9s %13s %13s %10s\n' "$@"
}

row MNs build handovers cpu_s setup_s events_s ho_per_cpu_s ho_per_ev_s rss_MiB
for n in $SIZES; do
	base=emu/scenarios/large.json
	((n > 250000)) && base=emu/scenarios/large-1m.json
	jq --argjson n "$n" '.generators[0].mn_count = $n | .name = "large-\($n)"' "$base" >"$tmp/s.json" || exit 1
	best_new="" best_old="" ratios=""
	for ((r = 0; r < ROUNDS; r++)); do
		run "$EMU" new || continue
		new_cpu=$cpu
		lt "$cpu" "${best_new%% *}" &&
			best_new="$cpu $ho $setup $ev $per $per_ev $rss"
		[[ -n $OLD ]] || continue
		run "$OLD" old || continue
		lt "$cpu" "${best_old%% *}" &&
			best_old="$cpu $ho $setup $ev $per $per_ev $rss"
		ratios+=" $(div "$new_cpu" "$cpu")"
		if ! cmp -s "$tmp/new.json" "$tmp/old.json"; then
			echo "emu-scale: $n MNs: the reports of the two builds differ" >&2
			diff "$tmp/old.json" "$tmp/new.json" | head -20 >&2
			status=1
		fi
	done
	[[ -n $best_new ]] || continue
	read -r cpu ho setup ev per per_ev rss <<<"$best_new"
	row "$n" new "$ho" "$cpu" "$setup" "$ev" "$per" "$per_ev" "$rss"
	if [[ -n $best_old ]]; then
		read -r ocpu ho setup ev per per_ev rss <<<"$best_old"
		row "$n" old "$ho" "$ocpu" "$setup" "$ev" "$per" "$per_ev" "$rss"
		echo "          new/old CPU: $(div "$cpu" "$ocpu") (fastest rounds); per round:$ratios"
	fi
	jq -r '"          registered at the end: \(.registration.registered_at_mag_and_lma) of \(.registration.attached) attached (\(.registration.moving) moving), \(.events) events"' "$tmp/new.json"
done
exit $status
