#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 5949 fast handover in the emulator: emu/scenarios/fho.json (RFC 7429
# Figure 4's topology, 1000 downlink packets a second, a 20 ms L2 gap) run
# as plain PMIPv6, with --fho predictive and with --fho reactive on the same
# seed (same moves), asserted on the JSON reports, then printed side by side
# with DMM and centralized PMIPv6 from emu/scenarios/dmm.json (its own
# topology and traffic: sessions at 5 packets a second).
#
#   - every handover completes in all three runs;
#   - predictive: no downlink packet lost, delivery at the new MAG the
#     moment the MN attaches (the buffer flushes);
#   - reactive: fewer packets lost than plain PMIPv6;
#   - HI and HAck appear in the signalling of both fast-handover runs only.
#
# usage: tests/emu/fho.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
top=$(dirname "$0")/../..
sc=$top/emu/scenarios/fho.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

check() {
	if jq -e "$3" "$2" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		echo "emu-fho: FAIL: $1 ($3)" >&2
	fi
}
run() {
	out=$1
	shift
	if ! "$emu" --format json --seed 7 "$@" >"$out" 2>"$out.err"; then
		fail=$((fail + 1))
		echo "emu-fho: FAIL: dmm-emu $* exited non-zero: $(cat "$out.err")" >&2
	fi
}

run "$tmp/plain.json" "$sc"
run "$tmp/pred.json" --fho predictive "$sc"
run "$tmp/react.json" --fho reactive "$sc"
run "$tmp/dmm.json" "$top/emu/scenarios/dmm.json"
for f in plain pred react; do
	check "$f: every handover completed" "$tmp/$f.json" '.handovers.count == 10 and .handovers.completed == 10'
	check "$f: both MNs registered at the end" "$tmp/$f.json" '.registration.registered_at_mag_and_lma == 2'
done
check "plain PMIPv6 loses packets in the L2 gap (the baseline)" "$tmp/plain.json" '.handovers.lost_packets_total > 0'
check "predictive: no downlink packet lost" "$tmp/pred.json" '.handovers.lost_packets_total == 0'
check "predictive: the first packet at the moment of attach" "$tmp/pred.json" \
	'.handovers.attach_to_first_packet_ms.max < 1'
plain_lost=$(jq '.handovers.lost_packets_total' "$tmp/plain.json")
check "reactive: fewer packets lost than plain PMIPv6 ($plain_lost)" "$tmp/react.json" \
	".handovers.lost_packets_total < $plain_lost"
check "plain: no HI or HAck" "$tmp/plain.json" '.signalling.by_type.HI == null and .signalling.by_type.HAck == null'
check "predictive: one HI and one HAck per handover at least" "$tmp/pred.json" \
	'.signalling.by_type.HI >= 10 and .signalling.by_type.HAck >= 10'
check "reactive: HI and HAck" "$tmp/react.json" '.signalling.by_type.HI >= 10 and .signalling.by_type.HAck >= 10'

# The side-by-side table.
gap=20
row() { # LABEL JQ-EXPRESSION (on .handovers)
	printf '%-36s' "$1"
	for f in plain pred react; do
		printf ' %16s' "$(jq -r ".handovers | $2" "$tmp/$f.json" 2>/dev/null)"
	done
	printf ' %16s %16s\n' "$(jq -r ".dmm.handovers | $2" "$tmp/dmm.json" 2>/dev/null)" \
		"$(jq -r ".pmipv6.handovers | $2" "$tmp/dmm.json" 2>/dev/null)"
}
echo "emu-fho: seed 7; fho.json (RFC 7429 Fig. 4, 1000 pkt/s, L2 gap ${gap} ms) | dmm.json (sessions, 5 pkt/s, L2 gap 50 ms)"
printf '%-36s %16s %16s %16s %16s %16s\n' "" "PMIPv6" "FHO predictive" "FHO reactive" "DMM (dmm.json)" "PMIPv6 (dmm.json)"
row "handovers" '.count'
row "attach -> PBA, ms median / max" '"\(.attach_to_pba_ms.median * 10 | round / 10) / \(.attach_to_pba_ms.max * 10 | round / 10)"'
row "attach -> 1st packet, ms median / max" '"\(.attach_to_first_packet_ms.median * 10 | round / 10) / \(.attach_to_first_packet_ms.max * 10 | round / 10)"'
row "packets lost per handover, mean / max" '"\(.lost_packets.mean * 10 | round / 10) / \(.lost_packets.max)"'
row "packets lost in all" '.lost_packets_total'
row "MH messages per handover" '.signalling_messages.mean * 10 | round / 10'
echo "  (interruption = L2 gap + attach -> 1st packet; predictive: the packets of the gap were buffered at the new MAG)"

echo "emu-fho: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
