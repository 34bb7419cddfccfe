#!/bin/sh
# dmm-emu --svg: the pictures of a run.
#
#   (a) every SVG written for a single run (fig4), a --compare run
#       (dmm-demo, DMM and PMIPv6), a --relocation compare run and a
#       --release compare run (idle timer and sessions) is
#       well-formed XML (xmllint) and an SVG document;
#   (b) the pictures expected are all there, the topology names every
#       anchor, and its caption gives the chosen time (--svg-at);
#   (c) recording for the pictures leaves the report unchanged (the same
#       JSON with and without --svg);
#   (d) a headless browser (chromium) renders the topology picture to a
#       PNG that is not blank: more than one colour (tests/emu/pngcolours.py
#       decodes it).
#
# usage: tests/emu/svg.sh build/dmm-emu
set -u
emu=${1:-build/dmm-emu}
here=$(dirname "$0")
top=$here/../..
NAME=emu-svg
# shellcheck source=tests/emu/lib.sh
. "$here/lib.sh"
emu_need xmllint chromium python3

# (a) (b) (c)
"$emu" --seed 7 --format json "$top/emu/scenarios/fig4.json" >"$tmp/plain.json" 2>/dev/null || bad "fig4 run"
"$emu" --seed 7 --format json --svg "$tmp/one" --svg-at 12.5s "$top/emu/scenarios/fig4.json" \
	>"$tmp/svg.json" 2>"$tmp/one.log" || bad "fig4 --svg run: $(cat "$tmp/one.log")"
if cmp -s "$tmp/plain.json" "$tmp/svg.json"; then ok; else bad "--svg changed the report"; fi
"$emu" --seed 3 --compare --svg "$tmp/cmp" "$top/emu/scenarios/dmm-demo.json" >/dev/null 2>"$tmp/cmp.log" ||
	bad "dmm-demo --compare --svg run: $(cat "$tmp/cmp.log")"
"$emu" --relocation compare --duration 20s --svg "$tmp/rel" "$top/emu/scenarios/reloc.json" >/dev/null \
	2>"$tmp/rel.log" || bad "reloc --svg run: $(cat "$tmp/rel.log")"
"$emu" --svg "$tmp/gap2" "$top/emu/scenarios/release.json" >/dev/null 2>"$tmp/gap2.log" ||
	bad "release --svg run: $(cat "$tmp/gap2.log")"
for f in one/topology one/timeline one/interruption one/tunnels one/anchors one/stretch \
	cmp/topology-dmm cmp/topology-pmipv6 cmp/timeline-dmm cmp/timeline-pmipv6 cmp/interruption \
	cmp/tunnels cmp/anchors cmp/stretch rel/topology-relocation-off rel/topology-relocation-on \
	gap2/tunnels gap2/timeline-idle-timer gap2/timeline-sessions; do
	if [ -s "$tmp/$f.svg" ]; then ok; else bad "$f.svg not written"; fi
done
n=0
for f in "$tmp"/*/*.svg; do
	n=$((n + 1))
	if xmllint --noout "$f" 2>"$tmp/xmllint.err"; then ok; else bad "xmllint $f: $(cat "$tmp/xmllint.err")"; fi
	if xmllint --xpath 'name(/*)' "$f" 2>/dev/null | grep -qx svg; then ok; else bad "$f: root is not svg"; fi
done
[ "$n" -eq 30 ] && ok || bad "$n SVG files, not 30"
for a in LMA1 LMA2; do
	if xmllint --xpath '//*[local-name()="text"]/text()' "$tmp/one/topology.svg" 2>/dev/null | grep -qx "$a"; then
		ok
	else
		bad "topology.svg does not name $a"
	fi
done
if grep -q 't = 12.500 s' "$tmp/one/topology.svg"; then ok; else bad "topology.svg: not at --svg-at 12.5s"; fi
for k in $(seq 1 9); do
	grep -q ">MAAR$k<" "$tmp/cmp/topology-dmm.svg" && ok || bad "topology-dmm.svg does not name MAAR$k"
done

# (d) the browser: a short run, its own profile directory.
if timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/chr" \
	--window-size=1000,600 --screenshot="$tmp/topo.png" "file://$tmp/cmp/topology-dmm.svg" \
	>"$tmp/chr.log" 2>&1 && [ -s "$tmp/topo.png" ]; then
	ok
	c=$(python3 "$here/pngcolours.py" "$tmp/topo.png" 2>&1)
	case "$c" in
	1000x600\ *)
		[ "${c##* }" -gt 1 ] && ok || bad "the rendered topology has one colour ($c)"
		;;
	*) bad "rendered PNG: $c" ;;
	esac
else
	bad "chromium did not render topology-dmm.svg: $(tail -3 "$tmp/chr.log")"
fi

echo "emu-svg: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
