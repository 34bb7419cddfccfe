#!/bin/sh
# Multicast replication (RFC 7429 REQ8; emu/mcast.c): via the anchor
# (RFC 6224) against direct (native at each access router).
#
#   (a) a network small enough to count by hand: two LMAs, two MAGs,
#       MN1 (LMA1) and MN2 (LMA2) at MAG1, MN3 (LMA1) at MAG2. Via the
#       anchor: three tunnels, MAG1 gets each packet twice (tunnel
#       convergence), the busiest link direction carries 2, all links 9;
#       direct: 3 links, 1 copy each, no tunnel;
#   (b) --multicast compare on emu/scenarios/mcast.json (4 LMAs, 32 MAGs)
#       and mcast-dmm.json (MAARs) at 10, 100 and 1000 listeners: direct
#       puts exactly one copy on each access router's upstream link and
#       none in a tunnel, its busiest link carries 1; via the anchor,
#       each anchor sends as many copies as it has tunnels to access
#       routers with listeners and each access router gets as many as
#       its listeners have anchors (counted apart from the walk), the
#       per-anchor copies add up to the tunnels, and the busiest link
#       carries more than 1 and grows with the listeners; at 1000
#       listeners on mcast.json every LMA reaches every MAG: 32 copies on
#       the busiest link direction (4 LMAs x 8 MAGs behind one router);
#   (c) a "multicast" without a source, or --multicast on a scenario
#       without one, is refused with a message.
#
# usage: tests/emu/mcast.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
here=$(dirname "$0")
top=$here/../..
NAME=emu-mcast
# shellcheck source=tests/emu/lib.sh
. "$here/lib.sh"
emu_need jq

# (a)
cat >"$tmp/small.json" <<'JSON'
{"name": "mcast-small", "duration": "10s",
 "defaults": {"link": {"delay": "1ms"}},
 "nodes": [
  {"name": "SRC", "kind": "cn", "address": "2001:db8:c::1"},
  {"name": "R", "kind": "router", "address": "2001:db8:e::1"},
  {"name": "LMA1", "kind": "lma", "address": "2001:db8:a::1", "pool": ["2001:db8:1::/48"]},
  {"name": "LMA2", "kind": "lma", "address": "2001:db8:a::2", "pool": ["2001:db8:2::/48"]},
  {"name": "MAG1", "kind": "mag", "address": "2001:db8:f::1", "default_lma": "LMA1"},
  {"name": "MAG2", "kind": "mag", "address": "2001:db8:f::2", "default_lma": "LMA1"},
  {"name": "MN1", "kind": "mn", "home_lma": "LMA1", "cn": "SRC", "path": ["MAG1"], "start": "0.1s"},
  {"name": "MN2", "kind": "mn", "home_lma": "LMA2", "cn": "SRC", "path": ["MAG1"], "start": "0.1s"},
  {"name": "MN3", "kind": "mn", "home_lma": "LMA1", "cn": "SRC", "path": ["MAG2"], "start": "0.1s"}],
 "links": [{"a": "SRC", "b": "R"}, {"a": "R", "b": "LMA1"}, {"a": "R", "b": "LMA2"},
           {"a": "R", "b": "MAG1"}, {"a": "R", "b": "MAG2"}],
 "mobility": {"dwell": {"type": "fixed", "mean": "1000s"}},
 "traffic": {"downlink_pps": 0},
 "multicast": {"source": "SRC", "sample": "1s"}}
JSON
if "$emu" --format json "$tmp/small.json" >"$tmp/small.out" 2>"$tmp/small.err"; then ok; else bad "small: $(cat "$tmp/small.err")"; fi
m='.multicast'
check "small: 9 samples, 3 listeners" "$tmp/small.out" "$m.samples == 9 and $m.listening_mean == 3"
check "small: 3 tunnels with listeners" "$tmp/small.out" "$m.tunnels_with_listeners_mean == 3 and $m.via_anchor.tunnel_copies_mean == 3"
check "small: LMA1 sends 2, LMA2 1" "$tmp/small.out" \
	"[$m.via_anchor.per_anchor[] | .tunnel_copies_mean] == [2, 1]"
check "small: tunnel convergence at MAG1" "$tmp/small.out" \
	"$m.via_anchor.routers_with_duplicates_mean == 1 and $m.via_anchor.duplicate_copies_mean == 1"
check "small: via anchor, busiest 2, all links 9" "$tmp/small.out" \
	"$m.via_anchor.busiest_link_max == 2 and $m.via_anchor.all_links_mean == 9"
check "small: R to MAG1 carries 2 via the anchors" "$tmp/small.out" \
	"[$m.via_anchor.per_link[] | select(.from == \"R\" and .to == \"MAG1\") | .copies_mean] == [2]"
check "small: direct, 3 links once, no tunnel, no duplicate" "$tmp/small.out" \
	"$m.direct.all_links_mean == 3 and $m.direct.busiest_link_max == 1 and $m.direct.tunnel_copies_mean == 0 and $m.direct.duplicate_copies_mean == 0"
check "small: the walk agrees with the count" "$tmp/small.out" \
	"$m.anchor_copies_not_tunnels == 0 and $m.router_copies_not_anchors == 0"

# (b)
for s in mcast mcast-dmm; do
	f=$tmp/$s.json
	if "$emu" --multicast compare --format json "$top/emu/scenarios/$s.json" >"$f" 2>"$f.err"; then ok; else
		bad "$s: $(cat "$f.err")"
		continue
	fi
	check "$s: 10, 100 and 1000 listeners" "$f" '[.runs[].listeners] == [10, 100, 1000]'
	check "$s: listeners attached" "$f" '[.runs[] | .multicast.listening_mean > 0.9 * .listeners] | all'
	check "$s: direct: each upstream link once, busiest 1, no tunnel" "$f" \
		'[.runs[].multicast.direct | .upstream_not_once == 0 and .busiest_link_max == 1 and .tunnel_copies_mean == 0 and .duplicate_copies_mean == 0] | all'
	check "$s: via anchor: copies per anchor = tunnels with listeners" "$f" \
		'[.runs[].multicast | .anchor_copies_not_tunnels == 0 and .router_copies_not_anchors == 0 and .via_anchor.tunnel_copies_mean == .tunnels_with_listeners_mean] | all'
	check "$s: via anchor: per-anchor copies add up" "$f" \
		'[.runs[].multicast.via_anchor | (([.per_anchor[].tunnel_copies_mean] | add) - .tunnel_copies_mean | fabs) < 0.01] | all'
	check "$s: via anchor: busiest above 1 and growing" "$f" \
		'[.runs[].multicast.via_anchor.busiest_link_mean] as $b | $b[0] > 1 and $b[0] < $b[1] and $b[1] <= $b[2]'
done
check "mcast: 1000 listeners: 32 copies on the busiest link" "$tmp/mcast.json" \
	'.runs[2].multicast.via_anchor.busiest_link_max == 32'

# (c)
jq 'del(.multicast.source)' "$tmp/small.json" >"$tmp/nosrc.json"
if "$emu" "$tmp/nosrc.json" >/dev/null 2>"$tmp/nosrc.err"; then bad "a multicast without a source was accepted"; else
	grep -q 'multicast: an object with a "source"' "$tmp/nosrc.err" && ok || bad "nosrc: $(cat "$tmp/nosrc.err")"
fi
if "$emu" --multicast compare "$top/emu/scenarios/fig4.json" >/dev/null 2>"$tmp/none.err"; then
	bad "--multicast on a scenario without multicast was accepted"
else
	grep -q 'needs a scenario with "multicast"' "$tmp/none.err" && ok || bad "none: $(cat "$tmp/none.err")"
fi

echo "emu-mcast: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
