#!/bin/sh
# Localized routing (RFC 6705, emu/lr.c) and the release of old prefixes
# by the sessions rather than an idle timer (GAP2-1, GAP2-3, emu/release.c).
#
#   (a) two MNs anchored at LMA1 and LMA2 on one MAG, run without and
#       with the MAGs' localized routing (core/role/mag_lr.c, LMAs that
#       allow it): with it, one pair, an LRI and an LRA with each LMA, and
#       every packet stays at the MAG (no hop, no tunnel); without, two
#       tunnels and the way through both LMAs; on two MAGs nothing is
#       localized and no LRI goes; when one moves away and back, the pair
#       ends and starts again and no local route outlives the co-location;
#   (b) emu/scenarios/lr.json (40 MNs in pairs, moving) with three seeds:
#       the same traces both ways; localized routing never lengthens the
#       path (hops, delay and tunnels per packet no higher), some packets
#       are routed locally, never more than the co-located pair-samples;
#   (c) emu/scenarios/release.json, idle timer against sessions (the
#       MAARs' release_by_sessions, told the sessions of each tunnelled
#       prefix with dmm_maar_sessions()), with three seeds: with the
#       sessions no prefix is released while a session
#       on it is open, and none is kept without a session longer than the
#       grace plus an idle check (and the sampling); every released prefix
#       goes back to its anchor's pool; the idle timer keeps prefixes
#       without sessions far longer and holds more tunnels; on seed 1 it
#       cuts an open but quiet session (a long idle connection);
#   (d) a "release" mode other than sessions or idle, and
#       --localized-routing compare without "localized_routing", are
#       refused with a message.
#
# usage: tests/emu/gap2.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
here=$(dirname "$0")
top=$here/../..
NAME=emu-gap2
# shellcheck source=tests/emu/lib.sh
. "$here/lib.sh"
emu_need jq
run() {
	out=$1
	shift
	"$emu" --format json "$@" >"$out" 2>"$out.err" || bad "dmm-emu $*: $(cat "$out.err")"
}

# (a) MN1 (LMA1) and MN2 (LMA2) on MAG1, then on MAG1 and MAG2.
pair() {
	cat <<JSON
{"name": "lr-pair", "duration": "10s",
 "defaults": {"link": {"delay": "1ms"}},
 "nodes": [
  {"name": "CN1", "kind": "cn", "address": "2001:db8:c::1"},
  {"name": "R", "kind": "router", "address": "2001:db8:e::1"},
  {"name": "LMA1", "kind": "lma", "address": "2001:db8:a::1", "pool": ["2001:db8:1::/48"]},
  {"name": "LMA2", "kind": "lma", "address": "2001:db8:a::2", "pool": ["2001:db8:2::/48"]},
  {"name": "MAG1", "kind": "mag", "address": "2001:db8:f::1", "default_lma": "LMA1"},
  {"name": "MAG2", "kind": "mag", "address": "2001:db8:f::2", "default_lma": "LMA1"},
  {"name": "MN1", "kind": "mn", "home_lma": "LMA1", "cn": "CN1", "path": ["MAG1"], "start": "0.1s"},
  {"name": "MN2", "kind": "mn", "home_lma": "LMA2", "cn": "CN1", "path": ["$1"], "start": "0.1s"}],
 "links": [{"a": "CN1", "b": "R"}, {"a": "R", "b": "LMA1"}, {"a": "R", "b": "LMA2"},
           {"a": "R", "b": "MAG1"}, {"a": "R", "b": "MAG2"}],
 "mobility": {"dwell": {"type": "fixed", "mean": "1000s"}},
 "traffic": {"downlink_pps": 0},
 "localized_routing": {"sample": "100ms"}}
JSON
}
pair MAG1 >"$tmp/same.json"
pair MAG2 >"$tmp/two.json"
# MN2 moves between MAG1 and MAG2 every 3 s: localized, back to the tunnels, again.
pair 'MAG1", "MAG2' | jq '.mobility.dwell.mean = "3s"' >"$tmp/move.json"
run "$tmp/same.out" --localized-routing compare "$tmp/same.json"
f=$tmp/same.out
check "same MAG: 98 pair-samples (from 0.2 s), co-located with two anchors, in both runs" "$f" \
	'[.without, .with][] | .pair_samples == 98 and .colocated_pair_samples == 98 and .colocated_with_two_anchors == 98'
check "same MAG: without LR, 6 hops (MAG1-R-LMA1-R-LMA2-R-MAG1), 6 ms and 2 tunnels a packet" "$f" \
	'.without.hops_per_packet == 6 and .without.delay_ms_per_packet == 6 and .without.tunnels_per_packet == 2 and .without.direct_hops_per_packet == 0 and .without.lr_messages == 0'
check "same MAG: with LR, one pair (an LRI and an LRA with each LMA), every packet local" "$f" \
	'.with.pairs_started == 1 and .with.lr_messages == 4 and .with.routed_locally_share == 1 and .with.hops_per_packet == 0 and .with.tunnels_per_packet == 0'
run "$tmp/two.out" --localized-routing compare "$tmp/two.json"
f=$tmp/two.out
check "two MAGs: nothing local, no LRI, both ways the same" "$f" \
	'.with.colocated_pair_samples == 0 and .with.routed_locally_share == 0 and .with.lr_messages == 0 and .with.hops_per_packet == .without.hops_per_packet'
run "$tmp/move.out" --localized-routing compare "$tmp/move.json"
f=$tmp/move.out
check "moving: localized again after each return, ended when MN2 leaves, never stale" "$f" \
	'.with.pairs_started >= 2 and .with.pairs_ended >= 1 and .with.local_not_colocated == 0 and .with.routed_locally_share > 0 and .with.routed_locally_share <= .with.colocated_pair_samples / .with.pair_samples + 1e-5'
# Scenario A11 (RFC 6705 §5): both at LMA1, "a11": LMA1 initiates, MAG1 takes its LRI; MN2 moves.
pair 'MAG1", "MAG2' | jq '.mobility.dwell.mean = "3s" | .nodes[7].home_lma = "LMA1" | .localized_routing.a11 = true' >"$tmp/a11.json"
run "$tmp/a11.out" --localized-routing compare "$tmp/a11.json"
f=$tmp/a11.out
check "A11 (one LMA): localized by LMA1's LRI whenever co-located, ended when MN2 leaves, never stale" "$f" \
	'.with.colocated_with_two_anchors == 0 and .with.pairs_lma_initiated >= 2 and .with.pairs_started >= 2 and .with.pairs_ended >= 1 and .with.local_not_colocated == 0 and .with.routed_locally_share > 0 and (.with.routed_locally_share - .with.colocated_pair_samples / .with.pair_samples | fabs) < 0.05 and .without.lr_messages == 0'

# (b)
for s in 1 2 3; do
	f=$tmp/lr$s.json
	run "$f" --seed "$s" --localized-routing compare "$top/emu/scenarios/lr.json"
	check "lr seed $s: the same traces in both runs" "$f" \
		'.with.pair_samples == .without.pair_samples and .with.colocated_pair_samples == .without.colocated_pair_samples'
	check "lr seed $s: hops, delay, tunnels no higher with LR" "$f" \
		'.with.hops_per_packet <= .without.hops_per_packet and .with.delay_ms_per_packet <= .without.delay_ms_per_packet and .with.tunnels_per_packet <= .without.tunnels_per_packet and .with.hop_ratio <= .without.hop_ratio'
	check "lr seed $s: some packets local, never more than co-located, never stale" "$f" \
		'.with.routed_locally_share > 0 and .with.routed_locally_share <= .with.colocated_pair_samples / .with.pair_samples + 1e-5 and .with.local_not_colocated == 0 and .without.routed_locally_share == 0'
done

# (c)
for s in 1 2 3; do
	f=$tmp/rel$s.json
	run "$f" --seed "$s" --release compare "$top/emu/scenarios/release.json"
	check "release seed $s: the MAARs heard the sessions (dmm_maar_sessions) only in sessions mode" "$f" \
		'.sessions.session_reports > 0 and .idle.session_reports == 0'
	check "release seed $s: sessions: none released with a session open" "$f" \
		'.sessions.released_with_open_sessions == 0 and .sessions.released > 0'
	check "release seed $s: sessions: none kept without a session past the bound" "$f" \
		'.sessions.held_without_sessions_max_s <= .sessions.sessions_bound_s'
	check "release seed $s: the idle timer keeps them longer, with more tunnels" "$f" \
		'.idle.held_without_sessions_max_s > .sessions.sessions_bound_s and .idle.held_without_sessions_mean > .sessions.held_without_sessions_mean and .idle.tunnels_alive_mean > .sessions.tunnels_alive_mean'
done
check "release seed 1: the idle timer cuts a quiet session" "$tmp/rel1.json" '.idle.released_with_open_sessions >= 1'
run "$tmp/sess.json" --release sessions "$top/emu/scenarios/release.json"
check "release: the full report agrees (no release with a session, all back in the pool)" "$tmp/sess.json" \
	'.release.mode == "sessions" and .releases.with_active_sessions == 0 and .releases.not_returned_to_pool == 0 and .releases.count == .release.released'

# (d)
jq '.release.mode = "never"' "$top/emu/scenarios/release.json" >"$tmp/badmode.json"
if "$emu" "$tmp/badmode.json" >/dev/null 2>"$tmp/badmode.err"; then bad "release mode never accepted"; else
	grep -q 'release: an object; mode: sessions or idle' "$tmp/badmode.err" && ok || bad "badmode: $(cat "$tmp/badmode.err")"
fi
if "$emu" --localized-routing compare "$top/emu/scenarios/fig4.json" >/dev/null 2>"$tmp/nolr.err"; then
	bad "--localized-routing compare accepted without localized_routing"
else
	grep -q 'needs a scenario with "localized_routing"' "$tmp/nolr.err" && ok || bad "nolr: $(cat "$tmp/nolr.err")"
fi

echo "emu-gap2: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
