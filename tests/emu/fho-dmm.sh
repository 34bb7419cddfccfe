#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 5949 fast handover between MAARs (core/role/maar_fho.c) in the
# emulator: emu/scenarios/dmm.json (RFC 8885, a CMD and MAARs, sessions
# on the MNs' prefixes) run as plain DMM, with --fho predictive and with
# --fho reactive on the same seed (same moves), asserted on the JSON
# reports, then printed side by side:
#
#   - every handover completes, as many as in plain DMM;
#   - HI and HAck between MAARs appear in both fast-handover runs only;
#   - predictive: the first packet after the attach comes sooner than in
#     plain DMM (median), the downlink having been sent ahead to the new
#     MAAR; reactive: no later than plain DMM (median);
#   - no run loses a downlink packet.
#
# usage: tests/emu/fho-dmm.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
here=$(dirname "$0")
top=$here/../..
NAME=emu-fho-dmm
# shellcheck source=tests/emu/lib.sh
. "$here/lib.sh"
emu_need jq
sc=$top/emu/scenarios/dmm.json
run() {
	out=$1
	shift
	"$emu" --format json --seed 7 "$@" >"$out" 2>"$out.err" || bad "dmm-emu $*: $(cat "$out.err")"
}

run "$tmp/plain.json" "$sc"
run "$tmp/pred.json" --fho predictive "$sc"
run "$tmp/react.json" --fho reactive "$sc"
n=$(jq '.dmm.handovers.completed' "$tmp/plain.json")
for f in plain pred react; do
	check "$f: every handover completed ($n)" "$tmp/$f.json" \
		".dmm.handovers.completed == $n and .dmm.handovers.completed > 0"
	check "$f: no downlink packet lost" "$tmp/$f.json" '.dmm.handovers.lost_packets_total == 0'
done
check "plain: no HI or HAck" "$tmp/plain.json" '.dmm.signalling.by_type.HI == null and .dmm.signalling.by_type.HAck == null'
for f in pred react; do
	check "$f: one HI and one HAck per handover at least" "$tmp/$f.json" \
		".dmm.signalling.by_type.HI >= $n and .dmm.signalling.by_type.HAck >= $n"
done
p0=$(jq '.dmm.handovers.attach_to_first_packet_ms.median' "$tmp/plain.json")
check "predictive: attach -> first packet sooner than plain DMM ($p0 ms)" "$tmp/pred.json" \
	".dmm.handovers.attach_to_first_packet_ms.median < $p0"
check "reactive: attach -> first packet no later than plain DMM ($p0 ms)" "$tmp/react.json" \
	".dmm.handovers.attach_to_first_packet_ms.median <= $p0"

row() { # LABEL JQ-EXPRESSION (on .dmm.handovers)
	printf '%-40s' "$1"
	for f in plain pred react; do
		printf ' %16s' "$(jq -r ".dmm.handovers | $2" "$tmp/$f.json" 2>/dev/null)"
	done
	printf '\n'
}
echo "$NAME: seed 7, emu/scenarios/dmm.json"
printf '%-40s %16s %16s %16s\n' "" "DMM" "DMM+FHO pred." "DMM+FHO react."
row "handovers" '.count'
row "attach -> PBA, ms median / max" '"\(.attach_to_pba_ms.median * 10 | round / 10) / \(.attach_to_pba_ms.max * 10 | round / 10)"'
row "attach -> 1st packet, ms median / max" '"\(.attach_to_first_packet_ms.median * 10 | round / 10) / \(.attach_to_first_packet_ms.max * 10 | round / 10)"'
row "MH messages per handover" '.signalling_messages.mean * 10 | round / 10'
echo "$NAME: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
