#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The cost of a /metrics scrape against the number of bindings: one dmmd
# LMA (user data plane, MH over UDP) with /metrics on, driven by mh-load
# as the MAGs (topology in tests/scale/lib.sh). Scrapes BENCH_SCRAPES
# times with curl at 0 bindings and at BENCH_MNS (default 10^5), and
# prints the wall time per scrape, the loop's own snapshot time
# (dmm_metrics_snapshot_seconds) and the size of the exposition, with the
# ratio of the two: the scrape reads counts, never a table, so the ratio
# should stay near 1. Also the registration rate and dmmd's RSS per
# binding as mh-load and /proc see them. Prints figures, never fails on
# speed. Root.
#
# BENCH_BASE=DIR: also register the same MNs with DIR/dmmd (a build of
# another revision, without /metrics) for the registration rate and RSS
# beside this build's.
#
#   [BENCH_MNS=100000] [BENCH_SCRAPES=50] [BENCH_BASE=DIR] bench/metrics-scrape.sh
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/scale/lib.sh
. tests/scale/lib.sh
N=${BENCH_MNS:-100000}
S=${BENCH_SCRAPES:-50}
sc_init metrics-scrape
command -v curl >/dev/null || { echo "metrics-scrape: FAIL curl missing"; exit 1; }
sc_setup

# start DMMD [MONITORING]: the LMA with that binary and config member.
start() {
	cat >"$SC_T/lma.json" <<JSON
{"dmm:node": {"name": "scale", "role": "lma", "address": "$LMA_A", "transport": "udp",
  "dataplane": "user", "control-socket": "$SC_T/lma.sock", "state-file": "$SC_T/lma.state",
  "log-level": "err", "tun-name": "dmmsc0", "heartbeat": {"interval": 0},
  "lma": {"pools": ["$POOL"], "max-bindings": $((N * 2)), "max-lifetime": 262140,
          "timestamp-validity-window": 5000},
  "default-profile": {"mn-id-type": "eui48"}${2:-}}}
JSON
	rm -f "$SC_T/lma.sock"
	ip netns exec "$SC_LMA" "$1" -c "$SC_T/lma.json" 2>>"$SC_T/dmmd.log" &
	D_PID=$!
	for ((i = 0; i < 1200; i++)); do
		[[ -S $SC_T/lma.sock ]] && break
		sleep 0.1
	done
	[[ -S $SC_T/lma.sock ]] || { echo "metrics-scrape: FAIL dmmd did not start"; tail "$SC_T/dmmd.log"; exit 1; }
}
register() {
	sc_load register --transport udp --mns "$N" --mags 16 --mag-base $MAG_BASE --window 64 --timeout 30 \
		--seconds 900 >/dev/null
	jq -r '"\(.accepted) accepted, \(.rate // "?") /s"' "$SC_T/last.json"
}
if [[ -n ${BENCH_BASE:-} ]]; then
	start "$BENCH_BASE/dmmd"
	r0=$(sc_rss)
	base_reg=$(register)
	base_rss=$(( ($(sc_rss) - r0) * 1024 / N ))
	sc_stop_within 60
fi
start "$B/dmmd" ', "monitoring": {"metrics": {"address": "::1", "port": 9437}}'

# scrape: "seconds-per-scrape snapshot-seconds bytes" over S scrapes.
scrape() {
	local t0 t1
	: >"$SC_T/snap"
	t0=$(date +%s.%N)
	for ((i = 0; i < S; i++)); do
		lns curl -s -g 'http://[::1]:9437/metrics' >"$SC_T/m.prom"
		awk '$1 == "dmm_metrics_snapshot_seconds" {print $2}' "$SC_T/m.prom" >>"$SC_T/snap"
	done
	t1=$(date +%s.%N)
	# The loop's snapshot time: the median of the scrapes (a shared machine preempts some).
	awk -v a="$t0" -v b="$t1" -v n="$S" -v sz="$(wc -c <"$SC_T/m.prom")" \
		-v snap="$(sort -g "$SC_T/snap" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')" \
		'BEGIN { printf "%.6f %.9f %d\n", (b - a) / n, snap, sz }'
}
read -r s0 snap0 b0 < <(scrape)
rss0=$(sc_rss)
reg=$(register)
rss1=$(sc_rss)
read -r s1 snap1 b1 < <(scrape)
bind=$(awk '$1 == "dmm_bindings{table=\"binding-cache\",state=\"ACTIVE\"}" {print $2}' "$SC_T/m.prom")
echo "metrics-scrape: LMA, user data plane, $S scrapes each (curl in the LMA's namespace, a process per scrape)"
printf '  %-12s %14s %16s %10s\n' bindings "s per scrape" "loop snapshot s (median)" bytes
printf '  %-12s %14s %16s %10s\n' 0 "$s0" "$snap0" "$b0"
printf '  %-12s %14s %16s %10s\n' "$bind" "$s1" "$snap1" "$b1"
awk -v a="$s0" -v b="$s1" -v c="$snap0" -v d="$snap1" \
	'BEGIN { printf "  ratio at %s / at 0: scrape %.2f, loop snapshot %.2f\n", "'"$bind"'", b / a, (c > 0 ? d / c : 0) }'
echo "  registration: $reg"
[[ -n ${BENCH_BASE:-} ]] && echo "  registration with $BENCH_BASE/dmmd: $base_reg, $base_rss octets RSS per binding"
echo "  RSS: $rss0 kB at 0, $rss1 kB at $bind bindings ($(((rss1 - rss0) * 1024 / (bind > 0 ? bind : 1))) octets per binding)"
sc_stop_within 60
echo "  stop with $bind bindings: ${SC_STOP_S} s"
