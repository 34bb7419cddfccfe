#!/bin/sh
# Emulator tests: run dmm-emu on scenarios and assert on its JSON report.
# They assert behaviour only (registrations, detections, determinism),
# never wall time.
#
#   (a) with 1 % loss on every link, every MN ends registered at its MAG
#       (BUL REGISTERED) and at its LMA (BCE ACTIVE pointing at that MAG);
#   (b) when an LMA is killed, every MAG that held bindings with it
#       declares it down (RFC 5847) within the heartbeat bound;
#   (c) the same seed gives a byte-identical report, another seed does not.
#
# usage: tests/emu/run.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
here=$(dirname "$0")
top=$here/../..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "emu: FAIL: $*" >&2
}
# check DESCRIPTION FILE JQ-EXPRESSION: the expression must be true
check() {
	if jq -e "$3" "$2" >/dev/null 2>&1; then ok; else bad "$1 ($3)"; fi
}
run() { # run OUT ARGS...: dmm-emu --format json ARGS > OUT
	out=$1
	shift
	if "$emu" --format json "$@" >"$out" 2>"$out.err"; then ok; else
		bad "dmm-emu $* exited non-zero: $(cat "$out.err")"
	fi
}

# --- the Figure 4 demo: two MNs, two anchors, five handovers each ---
run "$tmp/fig4.json" --handovers "$top/emu/scenarios/fig4.json"
f=$tmp/fig4.json
check "fig4: 10 handovers, all completed" "$f" '.handovers.count == 10 and .handovers.completed == 10'
check "fig4: every handover has a PBA at the new MAG" "$f" '[.handovers.list[] | select(.pba_ms > 0)] | length == 10'
check "fig4: every handover delivers downlink again" "$f" '[.handovers.list[] | select(.first_packet_ms > 0)] | length == 10'
check "fig4: one binding per anchor" "$f" '[.anchors[] | .bindings_end] == [1, 1]'
check "fig4: prefix kept across MAGs" "$f" '.registration.prefix_changes == 0'
check "fig4: both MNs registered at the end" "$f" '.registration.registered_at_mag_and_lma == 2'
check "fig4: downlink mostly delivered" "$f" '.data.downlink.delivered > 0.95 * .data.downlink.sent'
check "fig4: uplink delivered" "$f" '.data.uplink.delivered > 0'
check "fig4: anchor path longer than direct" "$f" '.stretch.hop_ratio > 1'
check "fig4: PBUs and PBAs counted" "$f" '.signalling.by_type.PBU > 0 and .signalling.by_type.PBA > 0'
check "fig4: intents hold packet counters" "$f" '[.anchors[].intent_packets_end] | add > 0'

# --- (a) 1 % loss on every link: every MN ends registered ---
run "$tmp/lossy.json" --loss 0.01 --seed 3 "$top/tests/emu/medium.json"
f=$tmp/lossy.json
check "loss: links did lose messages" "$f" '.signalling.lost_on_links > 0'
check "loss: MAGs retransmitted PBUs" "$f" '[.mags[].pbu_retransmissions] | add > 0'
check "loss: all 200 MNs attached" "$f" '.registration.mns == 200 and .registration.attached == 200'
check "loss: every MN registered at MAG and LMA" "$f" '.registration.registered_at_mag_and_lma == 200'
check "loss: bindings per anchor add up" "$f" '[.anchors[].bindings_end] | add == 200'
check "loss: no role timer stalled" "$f" '.registration.role_timer_stalls == 0'

# --- (b) an LMA killed at 30 s (scenario event) and another from the command line ---
run "$tmp/kill.json" --kill LMA1@32s "$top/tests/emu/kill.json"
f=$tmp/kill.json
check "kill: both kills happened" "$f" '[.kills[] | select(.happened)] | length == 2'
check "kill: some MAGs held bindings with each" "$f" '[.kills[] | select(.mags_with_bindings > 0)] | length == 2'
check "kill: every MAG detected within the bound" "$f" '[.kills[] | select(.all_within_bound)] | length == 2'
check "kill: no detection missing" "$f" '[.kills[].detections[] | select(.detected_after_s == null)] | length == 0'
check "kill: no detection before missing_allowed - 1 intervals" "$f" '[.kills[].detections[] | select(.detected_after_s < 10)] | length == 0'
check "kill: MAGs counted peers down" "$f" '[.mags[].peers_down] | add >= 2'

# --- (c) determinism ---
run "$tmp/s5a.json" --loss 0.01 --seed 5 "$top/tests/emu/medium.json"
run "$tmp/s5b.json" --loss 0.01 --seed 5 "$top/tests/emu/medium.json"
run "$tmp/s6.json" --loss 0.01 --seed 6 "$top/tests/emu/medium.json"
if cmp -s "$tmp/s5a.json" "$tmp/s5b.json"; then ok; else bad "same seed, different reports"; fi
if cmp -s "$tmp/s5a.json" "$tmp/s6.json"; then bad "different seeds, identical reports"; else ok; fi
run "$tmp/f1.json" --seed 1 "$top/emu/scenarios/fig4.json"
run "$tmp/f2.json" --seed 2 "$top/emu/scenarios/fig4.json"
if cmp -s "$tmp/f1.json" "$tmp/f2.json"; then bad "fig4: seeds 1 and 2 gave identical reports"; else ok; fi

# --- formats and bad input ---
if "$emu" --format csv "$top/emu/scenarios/fig4.json" 2>/dev/null | head -n 1 | grep -q '^metric,n,min,mean,median,p95,max$'; then ok; else
	bad "csv: header line"
fi
if "$emu" "$top/emu/scenarios/fig4.json" | tail -n 1 | grep -q '^wall time'; then ok; else bad "text: wall time is the last line"; fi
if "$emu" "$tmp/none.json" >/dev/null 2>&1; then bad "a missing scenario was accepted"; else ok; fi
echo '{"nodes": [{"name": "X", "kind": "bridge", "address": "2001:db8::1"}], "links": []}' >"$tmp/badkind.json"
if "$emu" "$tmp/badkind.json" 2>&1 | grep -q 'kind must be'; then ok; else bad "a bad node kind was not named"; fi
if "$emu" --kill NOPE@1s "$top/emu/scenarios/fig4.json" >/dev/null 2>&1; then bad "--kill of an unknown node was accepted"; else ok; fi

echo "emu: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
