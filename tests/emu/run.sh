#!/bin/sh
# Emulator tests: run dmm-emu on scenarios and assert on its JSON report.
# They assert behaviour only (registrations, detections, determinism),
# never wall time.
#
#   (a) with 1 % loss on every link, every MN ends registered at its MAG
#       (BUL REGISTERED) and at its LMA (BCE ACTIVE pointing at that MAG);
#   (b) when an LMA is killed, every MAG that held bindings with it
#       declares it down (RFC 5847) within the heartbeat bound;
#   (c) the same seed gives a byte-identical report, another seed does not;
#   (d) DMM (RFC 8885) in proxy and in relay mode: every MN ends registered
#       at its serving MAAR and at the CMD, sessions are delivered, new
#       sessions take the direct path;
#   (e) an unreachable previous MAAR (killed): other MNs' handovers are not
#       delayed, the serving MAAR still registers (relay: within
#       relay_timeout);
#   (f) a full MAAR: the CMD chooses another anchor and never a full one;
#   (g) idle release (GAP2-1): idle old prefixes are released within
#       idle_release + idle_check (+ path delays) and go back to their
#       anchor's pool; a prefix with an ongoing session never is;
#   (h) --compare: the same mobility and session trace in both runs,
#       deterministic JSON;
#   (i) scale: 10^5 MNs moving for 20 s of a 30 s run: the run ends at
#       its virtual duration, every handover completes within a bound and
#       every MN ends attached and registered at its MAG and its LMA;
#   (j) events far ahead (a fixed 300 s dwell, beyond the calendar
#       queue's ring): every move happens exactly one dwell after the last;
#   (k) anchor relocation (GAP1-1) with the routing system, off and on:
#       relocation takes old sessions out of the tunnels (stretch), the old
#       anchors release what they handed over, and with relocation on every
#       session on a killed anchor's prefix survives, re-anchored within the
#       heartbeat bound plus the routing convergence; a drained MAAR can
#       be stopped with nothing left on it.
#
# usage: tests/emu/run.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
here=$(dirname "$0")
top=$here/../..
command -v jq >/dev/null || {
	echo "emu: jq missing (apt-get install jq, or make deps as root)" >&2
	exit 1
}
[ -x "$emu" ] || {
	echo "emu: $emu not built (make all)" >&2
	exit 1
}
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
# run OUT ARGS...: dmm-emu --format json ARGS > OUT. A run that exits 0
# is not a check by itself (only the assertions on its report count); one
# that fails is a failure.
run() {
	out=$1
	shift
	if ! "$emu" --format json "$@" >"$out" 2>"$out.err"; then
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
check "kill: no detection before missing_allowed intervals" "$f" '[.kills[].detections[] | select(.detected_after_s < 15)] | length == 0'
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

# --- (d) DMM: proxy and relay mode ---
small=$top/tests/emu/dmm-small.json
# relay TIMEOUT > FILE: the small scenario with the CMD in relay mode
relay() {
	jq --arg t "$1" '.nodes |= map(if .kind == "cmd" then .mode = "relay" | .relay_timeout = $t else . end)' "$small"
}
relay 500ms >"$tmp/relay-scen.json"
for mode in proxy relay; do
	if [ $mode = proxy ]; then scen=$small; else scen=$tmp/relay-scen.json; fi
	run "$tmp/$mode.json" "$scen"
	f=$tmp/$mode.json
	check "$mode: the run is DMM" "$f" ".run == \"dmm\" and .cmd.mode == \"$mode\""
	check "$mode: all 40 MNs attached" "$f" '.registration.attached == 40'
	check "$mode: every MN registered at its S-MAAR and the CMD" "$f" '.registration.registered_at_mag_and_lma == 40'
	check "$mode: every handover completed" "$f" '.handovers.count > 100 and .handovers.completed == .handovers.count'
	check "$mode: the CMD saw the handovers and updated P-MAARs" "$f" '.cmd.handovers > 100 and .cmd.pmaar_updates > 0'
	check "$mode: sessions started and delivered" "$f" '.sessions.started > 200 and .sessions.delivered_ratio > 0.95'
	check "$mode: old sessions went through tunnels" "$f" '.sessions.stretch_old_sessions.packets > 0 and .sessions.stretch_old_sessions.hop_ratio > 1'
	# New sessions started between the attach and the router advertisement still use the
	# previous (then preferred) prefix: nearly all, not all, take the direct path.
	check "$mode: new sessions took the direct path" "$f" '.sessions.stretch_new_sessions.packets > 0 and .sessions.stretch_new_sessions.hop_ratio < 1.05'
	check "$mode: every MAAR anchored prefixes and carried traffic" "$f" '[.maars[] | select(.local_anchors > 0 and .carried.packets > 0)] | length == 4'
	check "$mode: tunnels were alive" "$f" '.tunnels_alive.max > 0'
	check "$mode: no role timer stalled" "$f" '.registration.role_timer_stalls == 0'
done
check "relay: no P-MAAR given up without a fault" "$tmp/relay.json" '.cmd.pmaar_give_ups == 0'

# --- (e) an unreachable previous MAAR ---
for mode in proxy relay; do
	if [ $mode = proxy ]; then scen=$small; else scen=$tmp/relay-scen.json; fi
	run "$tmp/kill-$mode.json" --kill MAAR1@20s "$scen"
	f=$tmp/kill-$mode.json
	check "$mode kill: MAAR1 died" "$f" '.kills[0].happened and ([.maars[] | select(.name == "MAAR1" and .dead)] | length == 1)'
	check "$mode kill: handovers with a prefix at MAAR1 happened" "$f" '.handovers.attach_to_pba_ms_prefix_at_dead_node.n > 0'
	check "$mode kill: they all registered" "$f" '.handovers.completed == .handovers.count'
	check "$mode kill: every MN not at MAAR1 registered" "$f" '.registration.registered_at_mag_and_lma + .registration.attached_to_dead_node == .registration.attached'
	check "$mode kill: other MNs' handovers not delayed (two round trips)" "$f" '.handovers.attach_to_pba_ms_others.max <= 4 * .max_role_path_delay_ms + 0.01'
done
check "proxy kill: the S-MAAR is not delayed by the dead P-MAAR" "$tmp/kill-proxy.json" '.handovers.attach_to_pba_ms_prefix_at_dead_node.max <= 4 * .max_role_path_delay_ms + 0.01'
check "relay kill: the S-MAAR registers within relay_timeout" "$tmp/kill-relay.json" '.handovers.attach_to_pba_ms_prefix_at_dead_node.max <= 500 + 2 * .max_role_path_delay_ms + 0.01'
check "relay kill: the CMD sent partial PBAs" "$tmp/kill-relay.json" '.cmd.partial_pbas > 0'

# --- (f) a full MAAR, and one that never anchors ---
jq '.nodes |= map(if .name == "MAAR1" then .max_anchored = 3 elif .name == "MAAR2" then .anchor_locally = false else . end)' "$small" >"$tmp/full.json"
run "$tmp/full.json.out" "$tmp/full.json"
f=$tmp/full.json.out
check "full: MAAR1 filled up and asked the CMD" "$f" '.maars[] | select(.name == "MAAR1") | .pool_used_peak == 3 and .remote_anchor_asks > 0'
check "full: no MAAR ever above its maximum" "$f" '[.maars[] | select(.pool_used_peak > .max_anchored)] | length == 0'
check "full: MAAR2 (anchor_locally false) asked for anchors" "$f" '.maars[] | select(.name == "MAAR2") | .remote_anchor_asks > 0'
check "full: MAAR2 anchored only where the CMD chose it" "$f" '([.maars[] | select(.name == "MAAR2")][0].local_anchors) == ([.cmd.anchors[] | select(.maar == "MAAR2")][0].chosen)'
check "full: the CMD chose anchors" "$f" '.cmd.anchor_choices > 0 and .cmd.no_anchor == 0'
check "full: the CMD's table never above a maximum" "$f" '[.cmd.anchors[] | select(.sessions_in_use > .max_sessions)] | length == 0'
check "full: every MN registered" "$f" '.registration.registered_at_mag_and_lma == 40'
check "full: sessions delivered" "$f" '.sessions.delivered_ratio > 0.95'

# --- (g) idle release ---
f=$tmp/proxy.json
check "release: idle prefixes released" "$f" '.releases.count > 20 and .cmd.releases > 0'
check "release: never a prefix with an ongoing session" "$f" '.releases.with_active_sessions == 0'
check "release: within idle_release + idle_check + path delays" "$f" '.releases.late == 0 and .releases.worst_lag_s <= .releases.bound_s'
check "release: back in the anchor's pool" "$f" '.releases.checked_at_anchor > 0 and .releases.not_returned_to_pool == 0'
check "release (relay): the same rules" "$tmp/relay.json" '.releases.count > 20 and .releases.with_active_sessions == 0 and .releases.late == 0 and .releases.not_returned_to_pool == 0'
# Sessions that never end: their prefixes stay.
jq '.sessions.duration = "1000s" | .sessions.interval = "3s"' "$small" >"$tmp/long.json"
run "$tmp/long.json.out" "$tmp/long.json"
check "release: busy prefixes kept" "$tmp/long.json.out" '.releases.with_active_sessions == 0 and .sessions.active_at_end == .sessions.started and .sessions.delivered_ratio > 0.95'
jq '.defaults.idle_release = "0s"' "$small" >"$tmp/norel.json"
run "$tmp/norel.json.out" "$tmp/norel.json"
check "release: idle_release 0 releases nothing" "$tmp/norel.json.out" '.releases.count == 0'

# --- (h) --compare and determinism of DMM runs ---
run "$tmp/c1.json" --compare "$top/emu/scenarios/dmm-demo.json"
run "$tmp/c1b.json" --compare "$top/emu/scenarios/dmm-demo.json"
run "$tmp/c2.json" --compare --seed 2 "$top/emu/scenarios/dmm-demo.json"
f=$tmp/c1.json
check "compare: both runs" "$f" '.dmm.run == "dmm" and .pmipv6.run == "pmipv6"'
check "compare: the same moves" "$f" '.dmm.handovers.count == .pmipv6.handovers.count and .dmm.handovers.count > 0'
check "compare: the same session trace" "$f" '(.dmm.sessions.started + .dmm.sessions.no_address) == (.pmipv6.sessions.started + .pmipv6.sessions.no_address)'
check "compare: every MN registered in both" "$f" '.compare.dmm.registered_end == .compare.dmm.attached_end and .compare.pmipv6.registered_end == .compare.pmipv6.attached_end'
check "compare: one anchor in PMIPv6, nine in DMM" "$f" '(.compare.pmipv6.anchors | length) == 1 and ([.compare.dmm.anchors[] | select(.packets > 0)] | length) == 9'
check "compare: new sessions (nearly) direct in DMM only" "$f" '.compare.dmm.stretch_new_sessions.hop_ratio < 1.05 and .compare.pmipv6.stretch_new_sessions.hop_ratio > 1.5'
check "compare: DMM releases prefixes, PMIPv6 none" "$f" '.compare.dmm.released_prefixes > 0 and .compare.pmipv6.released_prefixes == 0'
if cmp -s "$tmp/c1.json" "$tmp/c1b.json"; then ok; else bad "compare: same seed, different reports"; fi
if cmp -s "$tmp/c1.json" "$tmp/c2.json"; then bad "compare: different seeds, identical reports"; else ok; fi
run "$tmp/d5a.json" --seed 5 "$small"
run "$tmp/d5b.json" --seed 5 "$small"
run "$tmp/d6.json" --seed 6 "$small"
if cmp -s "$tmp/d5a.json" "$tmp/d5b.json"; then ok; else bad "dmm: same seed, different reports"; fi
if cmp -s "$tmp/d5a.json" "$tmp/d6.json"; then bad "dmm: different seeds, identical reports"; else ok; fi
if "$emu" --compare "$top/emu/scenarios/dmm-demo.json" | grep -q 'path stretch, old sessions'; then ok; else bad "compare: text table"; fi
if "$emu" --compare "$top/emu/scenarios/fig4.json" >/dev/null 2>&1; then bad "--compare without MAARs was accepted"; else ok; fi

# --- (i) 10^5 MNs: bounded virtual time, every MN registered at the end ---
run "$tmp/100k.json" "$top/tests/emu/scale/100k.json"
f=$tmp/100k.json
check "100k: the run ends at its 30 s" "$f" '.virtual_duration_s == 30'
check "100k: 10^5 MNs, all attached, none moving" "$f" '.registration.mns == 100000 and .registration.attached == 100000 and .registration.moving == 0'
check "100k: every MN registered at MAG and LMA" "$f" '.registration.registered_at_mag_and_lma == 100000 and .registration.not_registered == 0'
check "100k: every initial registration within 1 s" "$f" '.initial_registration_ms.n == 100000 and .initial_registration_ms.max < 1000'
check "100k: many handovers, all completed within 100 ms" "$f" '.handovers.count > 50000 and .handovers.completed == .handovers.count and .handovers.attach_to_pba_ms.max < 100'
check "100k: one binding per MN at its LMA" "$f" '[.anchors[].bindings_end] | add == 100000'
check "100k: no refused or failed attachment, no timer stall" "$f" '.registration.refused_events == 0 and .registration.attach_failures == 0 and .registration.detach_failures == 0 and .registration.role_timer_stalls == 0'

# --- (j) events beyond the calendar ring: moves exactly one dwell apart ---
run "$tmp/far.json" --handovers "$top/tests/emu/scale/far.json"
f=$tmp/far.json
check "far: two moves per MN, all completed" "$f" '.handovers.count == 400 and .handovers.completed == 400'
check "far: first move 300 s after the start" "$f" '[.handovers.list[] | select(.detach_s >= 300 and .detach_s < 302)] | length == 200'
check "far: second move 300 s after the first attach" "$f" '[.handovers.list[] | select(.detach_s >= 600.05 and .detach_s < 602.05)] | length == 200'
check "far: every MN registered at the end" "$f" '.registration.registered_at_mag_and_lma == 200'

# --- (k) relocation off and on, the same traces; MAAR1 killed at 30 s ---
reloc=$top/emu/scenarios/reloc.json
run "$tmp/reloc.json" --relocation compare "$reloc"
f=$tmp/reloc.json
check "reloc: off relocates nothing" "$f" '.relocation_off.signalling.relocations == 0 and .relocation_off.signalling.announcements == 0'
check "reloc: on relocates, and old anchors withdraw" "$f" '.relocation_on.signalling.relocations > 20 and .relocation_on.signalling.withdrawals > 10'
check "reloc: old sessions cross under half the tunnels" "$f" '.relocation_off.old_sessions.tunnels_per_packet > 0.5 and .relocation_on.old_sessions.tunnels_per_packet < 0.5 * .relocation_off.old_sessions.tunnels_per_packet'
check "reloc: old sessions' extra hops under half" "$f" '.relocation_on.old_sessions.extra_hops_per_packet < 0.5 * .relocation_off.old_sessions.extra_hops_per_packet'
check "reloc: new sessions never tunnelled" "$f" '.relocation_off.new_sessions.tunnels_per_packet == 0 and .relocation_on.new_sessions.tunnels_per_packet == 0'
check "reloc: make-before-break, no downlink packet finds no intent" "$f" '.relocation_on.downlink.lost_no_intent == 0'
check "reloc: fewer tunnels alive at the end" "$f" '.relocation_on.tunnels_alive.end < .relocation_off.tunnels_alive.end'
check "reloc: off, no session on the killed anchor survives" "$f" '.relocation_off.failure.sessions_at_risk > 0 and .relocation_off.failure.sessions_survived == 0'
check "reloc: on, every one survives" "$f" '.relocation_on.failure.sessions_at_risk == .relocation_off.failure.sessions_at_risk and .relocation_on.failure.sessions_survived == .relocation_on.failure.sessions_at_risk'
# Relocation late (12 s): the failure finds the sessions on the dead anchor, and the CMD re-anchors them.
jq '.relocation.relocate_after = "12s"' "$reloc" >"$tmp/reloc-late-scen.json"
run "$tmp/reloc-late.json" --relocation on "$tmp/reloc-late-scen.json"
f=$tmp/reloc-late.json
check "reloc late: sessions still on the dead anchor" "$f" '.relocation.failure.still_routed_to_it > 0'
check "reloc late: all re-anchored and alive" "$f" '.relocation.failure.still_routed_survived == .relocation.failure.still_routed_to_it'
# heartbeat 1 s, 2 missing allowed: detection within 1 s x (2 + 2) + path delays, then 200 ms convergence
check "reloc late: interruption within detection + convergence" "$f" '.relocation.failure.interruption_max_s <= 4 + 0.2 + 2 * .max_role_path_delay_ms / 1000 + 0.1 and .relocation.failure.interruption_mean_s >= 2'
# Maintenance: MAAR1 drained at 27 s, then stopped at 30 s: nothing is left on it, nothing lost.
jq '.events = [{"at": "27s", "drain": "MAAR1"}, {"at": "30s", "kill": "MAAR1"}]' "$tmp/reloc-late-scen.json" >"$tmp/reloc-drain-scen.json"
run "$tmp/reloc-drain.json" --relocation on "$tmp/reloc-drain-scen.json"
f=$tmp/reloc-drain.json
check "reloc drain: the drain relocated prefixes" "$f" '.relocation.signalling.drained > 0'
check "reloc drain: every session at risk survives, none was still on MAAR1" "$f" '.relocation.failure.sessions_at_risk > 0 and .relocation.failure.sessions_survived == .relocation.failure.sessions_at_risk and .relocation.failure.still_routed_to_it == 0'
check "reloc drain: no downlink packet finds no intent" "$f" '.relocation.downlink.lost_no_intent == 0'
jq '.events = [{"at": "27s", "drain": "CN1"}]' "$reloc" >"$tmp/reloc-bad.json"
if "$emu" "$tmp/reloc-bad.json" 2>&1 | grep -q 'drain: must name a maar'; then ok; else bad "a drain of a non-MAAR was not refused"; fi
if "$emu" --relocation sideways "$reloc" >/dev/null 2>&1; then bad "--relocation: a bad mode was accepted"; else ok; fi
if "$emu" --relocation compare "$top/tests/emu/dmm-small.json" >/dev/null 2>&1; then bad "--relocation compare without \"relocation\" was accepted"; else ok; fi

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
