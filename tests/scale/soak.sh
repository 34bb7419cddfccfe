#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Soak: a dmmd LMA holds SOAK_MNS bindings (default 10^5) that mh-load
# refreshes for SOAK_SECONDS (default 120) at SOAK_RATE PBUs per second
# (default 10000; 0: as fast as the window allows), each refresh asking for
# a lifetime of SOAK_LIFETIME seconds (default 60, shorter than the
# registration's 600: the refreshes must take effect). Topology in lib.sh.
# Asserts:
#   - every MN registered (every PBA status 0);
#   - no PBU goes unanswered during the soak, every PBA status 0 with the
#     MN's prefix, and every MN refreshed at least once;
#   - no binding lost: show peers and show bindings count SOAK_MNS at the
#     end, each binding's lifetime left at most SOAK_LIFETIME;
#   - dmmd's RSS grows less than 1 % from after the registration to the end;
#   - dmmd exits 0 on SIGTERM.
# Needs root; fails (never skips) when it cannot run.
#
#   [SOAK_MNS=100000] [SOAK_SECONDS=120] [SOAK_DATAPLANE=user] tests/scale/soak.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/scale/lib.sh
. tests/scale/lib.sh
N=${SOAK_MNS:-100000}
SECS=${SOAK_SECONDS:-120}
RATE=${SOAK_RATE:-10000}
LIFE=${SOAK_LIFETIME:-60}
DP=${SOAK_DATAPLANE:-user}
TR=${SOAK_TRANSPORT:-udp}
sc_init soak
sc_setup

counts() {
	local peers list
	peers=$(sc_bindings)
	list=$("$B/dmmctl" show bindings -s "$SC_T/lma.sock" --json | jq length)
	echo "show peers: $peers, show bindings: $list"
	[[ $peers -eq $N && $list -eq $N ]]
}
lifetimes() {
	local max
	max=$("$B/dmmctl" show bindings -s "$SC_T/lma.sock" --json | jq '[.[]."lifetime-left"] | max')
	echo "longest lifetime left: $max s"
	awk -v m="$max" -v l="$LIFE" 'BEGIN { exit !(m <= l) }'
}
rss_flat() {
	echo "RSS after registration $1 kB, at the end $2 kB"
	awk -v a="$1" -v b="$2" 'BEGIN { g = (b - a) / a * 100; printf "growth %.3f %%\n", g; exit !(g < 1) }'
}

echo "soak: $DP data plane, MH over $TR, $N MNs, refreshed for $SECS s at ${RATE}/s (0: window-bound)"
sc_start "$DP" "$TR" $((N + N / 4 + 16)) || exit 1
t0=$(date +%s.%N)
sc_load register --transport "$TR" --mns "$N" --mags 16 --mag-base $MAG_BASE --window 32 --timeout 30 \
	--seconds "${SOAK_REGISTER_LIMIT:-1800}" --hnp-out "$SC_T/hnp" >/dev/null
echo "  registration: $(jq -c '{accepted, rate, lat_median_us, lat_p99_us}' "$SC_T/last.json") in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
check "every MN registered, every PBA status 0 ($N)" \
	sc_json ".accepted == $N and .timeouts == 0 and .mismatch == 0 and .statuses == {\"0\": $N}"
rss0=$(sc_rss)

mns "$B/mh-load" refresh --to $LMA_A --transport "$TR" --hnp-in "$SC_T/hnp" --seconds "$SECS" \
	--rate "$RATE" --lifetime "$LIFE" --window 32 --timeout 10 >"$SC_T/refresh.json" &
load=$!
SC_PIDS+=("$load")
for ((s = 0; s < SECS; s += 10)); do
	sleep 10
	echo "  t=$((s + 10)) s: RSS $(sc_rss) kB"
done
wait "$load"
cp "$SC_T/refresh.json" "$SC_T/last.json"
echo "  refresh: $(jq -c '{sent, accepted, timeouts, rate, lat_median_us, lat_p99_us}' "$SC_T/last.json")"
check "no PBU unanswered, every PBA status 0 with the MN's prefix" \
	sc_json '.sent > 0 and .accepted == .sent and .timeouts == 0 and .mismatch == 0 and .rejected == 0'
check "every MN refreshed at least once" sc_json ".sent >= $N"
rss1=$(sc_rss)
check "no binding lost ($N)" counts
check "the refreshes took effect (lifetime left <= $LIFE s)" lifetimes
check "dmmd's RSS grows less than 1 %" rss_flat "$rss0" "$rss1"
sc_stop
check "dmmd exits 0 on SIGTERM" test "$SC_RC" -eq 0
sc_done
