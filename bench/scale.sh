#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench-scale (root): one dmmd LMA per binding count and data plane,
# driven by mh-load as 16 MAGs (topology in tests/scale/lib.sh), beside a
# UDP echo of the same message sizes over the same path in the same run.
# For each SIZES x DATAPLANES:
#
#   register  SIZE MNs, window WINDOW: registrations per second with the
#             forwarding installed (a PBA with status 0 means it is in
#             place), and the PBU -> PBA latency (median, p99) at that window;
#   install   min(SIZE / 4, BENCH_INSTALLS) more MNs at window 1 (one PBU
#             outstanding), for at most BENCH_SECONDS: the install latency
#             per binding, PBU sent to PBA with status 0 received (median,
#             p99), beside the round trip of a window-1 UDP echo;
#   refresh   every MN again and again for BENCH_SECONDS: refreshes per second;
#   handoff   min(SIZE, BENCH_HANDOFFS) MNs to other MAG addresses (HI 3);
#   echo      UDP, PBU-sized requests and PBA-sized replies, same window;
#   memory    dmmd's RSS per binding (all of it / the growth during the
#             registration), the kernel's Slab growth per binding (/proc/meminfo,
#             machine-wide: other work on the machine shows in it).
#
# Every phase stops at PHASE_LIMIT seconds and reports what it reached
# (the "MNs" column: registered of SIZE). Prints figures and ratios; never
# fails on speed. docs/scale.md explains the columns.
#
#   [SIZES="1000 10000 100000 1000000"] [DATAPLANES="kernel user"] [BENCH_SECONDS=3]
#   [PHASE_LIMIT=300] [WINDOW=32] [BENCH_HANDOFFS=10000] [BENCH_INSTALLS=2000]
#   [BENCH_TRANSPORT=udp] bench/scale.sh
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/scale/lib.sh
. tests/scale/lib.sh
SIZES=${SIZES:-1000 10000 100000 1000000}
DATAPLANES=${DATAPLANES:-kernel user}
# The kernel data plane needs SRv6 (tests/kfeat.sh): on a kernel without it
# its rows are left out, said so, and make bench-scale-vm named: it runs
# them in a qemu machine on Debian's stock kernel (bench/scale-vm.sh).
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
VM_HINT=
if [[ " $DATAPLANES " == *" kernel "* ]] && kfeat_lacks seg6 "bench-scale kernel" >&2; then
	DATAPLANES=$(echo " $DATAPLANES " | sed 's/ kernel / /; s/^ *//; s/ *$//')
	VM_HINT="bench-scale: the kernel data plane's rows: make bench-scale-vm (Debian's stock kernel in a qemu machine, software emulation; docs/scale.md)"
	echo "$VM_HINT" >&2
fi
SECS=${BENCH_SECONDS:-3}
LIMIT=${PHASE_LIMIT:-300}
WINDOW=${WINDOW:-32}
HANDOFFS=${BENCH_HANDOFFS:-10000}
INSTALLS=${BENCH_INSTALLS:-2000}
TR=${BENCH_TRANSPORT:-udp}
sc_init bench-scale
sc_setup
lns "$B/mh-load" echo-server --port 5437 &
SC_PIDS+=("$!")
ROWS=()

slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
j() { jq -r "$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
per() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.0f", (n > 0 ? a * 1024 / n : 0) }'; }

# A phase's refusals, mismatches and timeouts, for the notes column.
problems() {
	jq -r --arg p "$1" 'select(.rejected + .mismatch + .timeouts > 0) |
		"\($p): \(.rejected) refused \(.statuses | del(."0") | tostring), \(.mismatch) mismatched, \(.timeouts) unanswered; "' \
		"$SC_T/$1.json"
}

# One line per phase while it runs, for whoever watches. PHASE_AS: the file's name if not the mode's.
phase() {
	local name=$1 as=${PHASE_AS:-$1}
	shift
	mns "$B/mh-load" "$name" "$@" --to $LMA_A --transport "$TR" >"$SC_T/$as.json"
	problems "$as" >>"$SC_T/notes"
	printf '  %-9s %s\n' "$as" "$(jq -c '{sent, accepted, rejected, mismatch, timeouts, unsent, statuses, seconds, rate, lat_median_us, lat_p99_us}' "$SC_T/$as.json")"
}

run_one() {
	local size=$1 dp=$2 slab0 slab1 rss0 rss1 reached ho echo inst note=""
	echo "bench-scale: $size MNs, $dp data plane (phase limit $LIMIT s)"
	: >"$SC_T/notes"
	sc_start "$dp" "$TR" $((size + size / 4 + 16)) || exit 1
	slab0=$(slab_kb)
	rss0=$(sc_rss)
	phase register --mns "$size" --mags 16 --mag-base $MAG_BASE --seconds "$LIMIT" --timeout 10 \
		--hnp-out "$SC_T/hnp" --window "$WINDOW"
	reached=$(j .accepted "$SC_T/register.json")
	rss1=$(sc_rss)
	slab1=$(slab_kb)
	if [[ $(j .unsent "$SC_T/register.json") -gt 0 ]]; then
		note="registered $reached of $size in $LIMIT s; "
	elif [[ $reached -lt $size ]]; then
		note="registered $reached of $size; "
	fi
	# The install latency: MNs beyond the SIZE (max-bindings has room), one PBU at a time.
	inst=$((size / 4 < INSTALLS ? size / 4 : INSTALLS))
	PHASE_AS=install phase register --mns $((inst > 0 ? inst : 1)) --mn-base "$size" --mags 16 \
		--mag-base $MAG_BASE --seconds "$SECS" --timeout 10 --window 1
	phase refresh --hnp-in "$SC_T/hnp" --seconds "$SECS" --timeout 10 --window "$WINDOW"
	head -n "$HANDOFFS" "$SC_T/hnp" >"$SC_T/moving"
	phase handoff --hnp-in "$SC_T/moving" --mags 16 --mag-base $MAG_BASE2 --seconds "$LIMIT" --timeout 10 \
		--window "$WINDOW"
	ho=$(j .accepted "$SC_T/handoff.json")
	[[ $ho -lt $(wc -l <"$SC_T/moving") ]] && note="${note}handoffs $ho of $(wc -l <"$SC_T/moving"); "
	mns "$B/mh-load" echo --to $LMA_A --port 5437 --size "$(j .pbu_bytes "$SC_T/refresh.json")" \
		--reply "$(j .pba_bytes "$SC_T/refresh.json")" --seconds "$SECS" --window "$WINDOW" >"$SC_T/echo.json"
	echo=$(j .rate "$SC_T/echo.json")
	printf '  %-9s %s\n' echo "$(cat "$SC_T/echo.json")"
	mns "$B/mh-load" echo --to $LMA_A --port 5437 --size "$(j .pbu_bytes "$SC_T/register.json")" \
		--reply "$(j .pba_bytes "$SC_T/register.json")" --seconds 1 --window 1 >"$SC_T/echo1.json"
	printf '  %-9s %s\n' echo-w1 "$(cat "$SC_T/echo1.json")"
	sc_stop_within "$LIMIT"
	[[ $SC_RC -ne 0 ]] && note="${note}dmmd exit $SC_RC after ${SC_STOP_S}s; "
	ROWS+=("$(printf '| %9s | %-6s | %9s | %8s | %5s | %8s | %5s | %8s | %5s | %8s | %8s | %9s | %7s | %7s | %6s | %6s | %6s | %6s | %s' \
		"$size" "$dp" "$reached" "$(j .rate "$SC_T/register.json")" \
		"$(ratio "$(j .rate "$SC_T/register.json")" "$echo")" "$(j .rate "$SC_T/refresh.json")" \
		"$(ratio "$(j .rate "$SC_T/refresh.json")" "$echo")" "$(j .rate "$SC_T/handoff.json")" \
		"$(ratio "$(j .rate "$SC_T/handoff.json")" "$echo")" "$echo" \
		"$(j .lat_median_us "$SC_T/register.json")" "$(j .lat_p99_us "$SC_T/register.json")" \
		"$(j .lat_median_us "$SC_T/install.json")" "$(j .lat_p99_us "$SC_T/install.json")" \
		"$(j .lat_median_us "$SC_T/echo1.json")" \
		"$(per "$rss1" "$reached")" "$(per $((rss1 - rss0)) "$reached")" "$(per $((slab1 - slab0)) "$reached")" \
		"${note}$(tr -d '\n' <"$SC_T/notes")stop ${SC_STOP_S}s |")")
}

for size in $SIZES; do
	for dp in $DATAPLANES; do
		run_one "$size" "$dp"
	done
done

echo
echo "dmmd LMA, MH over $TR, window $WINDOW, $SECS s per rate phase; ratios are of the UDP echo in the same run"
echo
echo "|      size | dp     |       MNs |  reg./s | ratio | refresh/s | ratio | handoff/s | ratio |   echo/s | reg. med µs | reg. p99 µs | inst. med µs | inst. p99 µs | echo w1 µs | RSS B/bnd | ΔRSS | slab B/bnd | notes |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
[[ -n $VM_HINT ]] && echo && echo "$VM_HINT"
exit 0
