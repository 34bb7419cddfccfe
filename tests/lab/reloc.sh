#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Anchor relocation with the routing system carrying the prefixes (RFC 7429
# GAP1-1, docs/dmm-protocol.md §11) on lab/dmm.sh's network (the picture is
# there), with BIRD 2 on every MAAR and on the router IR. The router has no
# static route to a MAAR's pool: every MN prefix it routes comes from iBGP
# (IR is the route reflector, lab/bird/), announced by the MAAR that
# anchors it, which dmmd keeps in its anchored table (220); each MAAR's
# BIRD installs the router's best routes in the routed table (221), which
# dmmd watches.
#      tests/lab/reloc.sh [kernel|user]
#
#   - planned: the MN, an unmodified Linux host, runs TCP session A on P1
#     (MAAR1's prefix) and moves to MAAR2; `dmmctl relocate P1 --to MAAR2`
#     on the CMD moves P1's anchor to MAAR2 while A runs and probes flow
#     at 1000/s: A delivers every byte, verified, without a reset, no
#     probe is lost; afterwards the router's route for P1 (BIRD) points to
#     MAAR2, MAAR1 holds nothing for P1 (anchored entry, intents, table
#     220), the CMD has P1 at MAAR2, and A's packets cross no tunnel on
#     MAAR2's transit link; P1's usage went with it (§11.1): MAAR1's usage
#     record of P1 ends with reason relocated and its event stream shows
#     anchor-relocated, and MAAR2's record of P1 (written when the drain
#     moves P1 on) has MAAR1's start and at least MAAR1's counts;
#   - drain: the MN runs session B on P2 (MAAR2's) and moves to MAAR3;
#     `dmmctl drain MAAR2` moves P1 and P2 to MAAR3; MAAR2 anchors nothing;
#     its dmmd and BIRD are stopped; B survives, verified;
#   - failure: the MN runs session C on P3 at MAAR3 and moves to MAAR1;
#     MAAR3's dmmd and BIRD are killed (SIGKILL); the CMD declares MAAR3
#     down by heartbeat and P3 is re-anchored at MAAR1, which announces
#     it; C survives, verified; the detection (kill -> the CMD's verdict)
#     and the routing convergence (verdict -> the router's BIRD route to
#     MAAR1) are measured; detection is within its bound and C's
#     interruption within that bound plus the convergence.
# Figures: relocation timeline (command, new anchor's announcement, the
# router's route switch, release at the old anchor), probes lost.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/dmm.sh
. lab/dmm.sh

DP=${1:-kernel}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "reloc-$DP"
NAME=reloc
ATABLE=220
RTABLE=221
RATE=${TCP_MBPS:-2}
DMM_IDLE_MS=0 # no GAP2-1 release here: the prefixes stay until relocated

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
for t in tcpdump tshark jq ss bird birdc; do
	if ! command -v "$t" >/dev/null; then
		echo "$NAME: $t missing: run make deps as root (bird2)" >&2
		exit 1
	fi
done

now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
P() { echo "${POOL[$1]}:/64"; }

# dmmd's config of lab/dmm.sh plus the routing tables (MAARs) and failure re-anchoring (CMD).
reloc_config() {
	local n=$1
	dmm_config "$n" "$DP" proxy | jq --argjson a "$ATABLE" --argjson r "$RTABLE" --arg f "$LAB_TMP/$n-usage.jsonl" '
		if ."dmm:node".maar then ."dmm:node".maar += {"anchored-table": $a, "routed-table": $r} |
			."dmm:node".monitoring = {"usage-records": {file: $f}}
		else ."dmm:node".cmd += {"reanchor-on-failure": true} end'
}

reloc_up() {
	local i j n pairs=()
	lab_need_tools || return 1
	dmm_topology "$DP"
	# The routes to the MAARs' pools come from BGP: no static route, no
	# static ingress filter (a relocated prefix leaves through its new anchor).
	for i in 1 2 3; do
		ip -n "${NS[ir]}" -6 route del "${POOL[$i]}:/48" || return 1
		for j in 1 2 3; do
			[[ $i == "$j" ]] || ip -n "${NS[ir]}" -6 rule del from "${POOL[$i]}:/48" iif "maar$j" prohibit pref 100
		done
		pairs+=("2001:db8:a:$i::1=2001:db8:a:$i::2")
	done
	lab_bird_router_conf 10.255.0.1 "${pairs[@]}" >"$LAB_TMP/ir.bird.conf"
	lab_bird_start ir "$LAB_TMP/ir.bird.conf" || return 1
	for i in 1 2 3; do
		lab_bird_maar_conf "10.255.0.1$i" "2001:db8:a:$i::2" "2001:db8:a:$i::1" "$ATABLE" "$RTABLE" \
			>"$LAB_TMP/maar$i.bird.conf"
		lab_bird_start "maar$i" "$LAB_TMP/maar$i.bird.conf" || return 1
	done
	lab_sa cmd maar1 && lab_sa cmd maar2 && lab_sa cmd maar3 || return 1
	for n in cmd maar1 maar2 maar3; do
		reloc_config "$n" >"$LAB_TMP/$n.json" || return 1
		dmmd_start "$n" || return 1
	done
	wait_attached maar1
}

# ir_route P: the router's kernel route for prefix P (from BIRD) names MAARi's address.
ir_via() {
	ip -n "${NS[ir]}" -6 route show "$1" proto bird | grep -q "via 2001:db8:a:$2::2 "
}
bird_via() {
	lab_birdc ir show route for "$1" | grep -q "via 2001:db8:a:$2::2 "
}
# held_at N P: MAARn has an anchored entry, an intent or a table-211 route for P.
held_at() {
	local n=$1 p=$2
	ctl "maar$n" show bindings | jq -e --arg p "$p" 'map(select(.kind == "anchored" and (.prefixes | index($p)))) | length > 0' >/dev/null ||
		ctl "maar$n" show intents | jq -e --arg p "$p" 'map(select(.prefix == $p)) | length > 0' >/dev/null ||
		[[ -n $(ip -n "${NS[maar$n]}" -6 route show table "$ATABLE" "$p") ]]
}
# rec_of N P: MAARn's last usage record of prefix P (one JSON object), or nothing.
rec_of() {
	jq -c -s --arg p "$2" '[.[] | select(.prefixes | index($p))] | last // empty' "$LAB_TMP/maar$1-usage.jsonl" 2>/dev/null
}
# events_of N: what MAARn's event stream still holds (dmmctl events --replay), one JSON object a line.
events_of() {
	timeout 1 "$DMMCTL" events --replay 256 --json -s "$LAB_TMP/maar$1.sock" 2>/dev/null
	true
}
anchored_at() {
	ctl "maar$1" show bindings | jq -e --arg p "$2" 'map(select(.kind == "anchored" and (.prefixes | index($p)))) | length > 0' >/dev/null
}

# start_session X I PORT SECONDS: TCP MN -> CN<I>, verified bytes, and probes CN<I> -> its address.
start_session() {
	local bytes
	bytes=$(awk -v s="$4" -v r="$RATE" 'BEGIN { printf "%d", s * r * 1e6 / 8 }')
	printf -v "BYTES_$1" %s "$bytes"
	dmm_session "$1" "$2" "$3" "$bytes" "$4"
}

finish() {
	local x=$1 src sink usink rc
	src=SRC_$x sink=SINK_$x usink=USINK_$x
	wait "${!src}"
	rc=$?
	wait "${!sink}"
	printf -v "RC_$x" %s "$rc,$?"
	wait "${!usink}" 2>/dev/null
}
sess_ok() {
	local x=$1 rc=RC_$1 bytes=BYTES_$1
	cat "$LAB_TMP/source-$x.json" "$LAB_TMP/sink-$x.json"
	[[ ${!rc} == 0,0 ]] && jq -e '.ok and .resets == 0' "$LAB_TMP/source-$x.json" >/dev/null &&
		jq -e --argjson n "${!bytes}" '.ok and .resets == 0 and .bytes == $n' "$LAB_TMP/sink-$x.json" >/dev/null
}
lost() { jq -r '.lost' "$LAB_TMP/probe-$1.json" 2>/dev/null; }
longest_gap() { jq -r '[.gaps[]?."ms" // .gaps[]?.duration_ms // 0] | max // 0' "$LAB_TMP/probe-$1.json" 2>/dev/null; }

lab_init "reloc-$DP"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: CMD and three MAARs with BIRD (iBGP to the router), $DP data plane"
if ! reloc_up; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: BIRD everywhere, the MN registered at MAAR1"
	summary "$NAME"
	exit 1
fi
P1=$(P 1)
P2=$(P 2)
P3=$(P 3)
wait_for 10 ir_via "$P1" 1
check "IR routes P1 $P1 to MAAR1, learned from BIRD (proto bird, no static route)" \
	eval "ip -n ${NS[ir]} -6 route show $P1; ir_via $P1 1 && bird_via $P1 1"
check "MAAR1 keeps P1 in its anchored table $ATABLE (rank 1)" \
	eval "ip -n ${NS[maar1]} -6 route show table $ATABLE | tee /dev/stderr | grep -q '^unreachable $P1 .*metric 1 '"

# --- planned relocation: P1 from MAAR1 to MAAR2 ---------------------------
start_session A 1 5001 10
sleep 1
handover maar2 && wait_attached maar2 30
check "MN at MAAR2 (P2 preferred), session A still on P1 ($ADDR_A)" eval "[[ $ADDR_A == ${POOL[1]}* ]] && attached_at maar2"
sleep 1
# Probes for the relocation alone (the handover's interruption is not its).
lab_bg RSINK mn "$TRAFFIC" udp-sink --port 7001 --duration 3 --timeout 10 >"$LAB_TMP/probe-R.json"
sleep 0.2
lab_bg RSRC cn1 "$TRAFFIC" udp-source --to "$ADDR_A" --port 7001 --pps 1000 --duration 3 >/dev/null
sleep 0.5
T0=$(now)
check "dmmctl relocate $P1 --to MAAR2 (on the CMD)" \
	"$DMMCTL" relocate "$P1" --to "${ADDR[maar2]}" -s "$LAB_TMP/cmd.sock" --json
wait_for 10 anchored_at 2 "$P1"
T_TAKE=$(now)
wait_for 10 ir_via "$P1" 2
T_ROUTE=$(now)
wait_for 10 eval "! held_at 1 $P1"
T_REL=$(now)
check "IR's route for P1 points to MAAR2 (BIRD: birdc show route, kernel: proto bird)" \
	eval "lab_birdc ir show route for $P1 all; ir_via $P1 2 && bird_via $P1 2"
check "MAAR2 anchors P1 and announces it with rank 2 (table $ATABLE)" \
	eval "anchored_at 2 $P1 && ip -n ${NS[maar2]} -6 route show table $ATABLE | tee /dev/stderr | grep -q '^unreachable $P1 .*metric 2 '"
check "MAAR1 holds nothing for P1 (no anchored entry, no intent, no table-$ATABLE route)" eval "! held_at 1 $P1"
check "CMD: P1 is anchored at MAAR2" \
	eval "ctl cmd show bindings | tee /dev/stderr | jq -e --arg p $P1 --arg a ${ADDR[maar2]} '[.[] | .anchors[]? | select(.prefix == \$p and .anchor == \$a)] | length == 1'"
cap_start CAP_M2 maar2 ir "$LAB_TMP/maar2.pcap" || exit 1
finish A
cap_stop "$CAP_M2"
check "session A (P1, relocated MAAR1 -> MAAR2 while running): every byte verified, no reset" sess_ok A
# docs/dmm-protocol.md §11.1: P1's usage went with it (checked on MAAR2's own record at the drain).
wait_for 5 eval "[[ -n \$(rec_of 1 $P1) ]]"
REC1=$(rec_of 1 "$P1")
check "MAAR1's usage record of P1: reason relocated, its traffic counted ($REC1)" \
	eval "jq -e '.reason == \"relocated\" and .\"uplink-packets\" > 100 and .\"downlink-packets\" > 100' <<<'$REC1'"
check "MAAR1's events: anchor-relocated for P1 to MAAR2" \
	eval "events_of 1 | jq -e -s --arg p $P1 --arg to ${ADDR[maar2]} 'any(.[]; .event == \"anchor-relocated\" and .to == \$to and (.prefixes | index(\$p)))'"
wait "$RSINK" 2>/dev/null
check "no probe lost across the relocation (1000/s for 3 s around it): $(lost R) lost" \
	eval "cat $LAB_TMP/probe-R.json; test \"\$(jq -r .received $LAB_TMP/probe-R.json)\" -ge 2900 -a \"\$(lost R)\" = 0"
TUN_A=$(tshark -r "$LAB_TMP/maar2.pcap" -Y "ipv6.nxt == 41" 2>/dev/null | wc -l)
PLAIN_A=$(tshark -r "$LAB_TMP/maar2.pcap" -Y "ipv6.addr == $ADDR_A && tcp.port == 5001 && !(ipv6.nxt == 41)" 2>/dev/null | wc -l)
check "after the relocation A's packets cross no tunnel on MAAR2's transit link ($PLAIN_A plain, $TUN_A IPv6-in-IPv6)" \
	test "$TUN_A" -eq 0 -a "$PLAIN_A" -gt 50
# The timeline from the daemons' and BIRD's own clocks (ms of the day, same host clock).
sod() { date -d "@$1" +%T.%N | awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }
hms() { awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }' <<<"$1"; }
log_t() { grep -E "$2" "$LAB_TMP/$1.log" | tail -n 1 | awk '{ print $1 }'; }
since() { [[ -n $2 ]] && awk -v a="$1" -v b="$(hms "$2")" 'BEGIN { printf "%.0f", (b - a) * 1000 }' || echo "?"; }
S0=$(sod "$T0")
T_ANN=$(log_t maar2 "prefix $P1 announced")
T_IR=$(lab_birdc ir show route for "$P1" | grep -oE '\[maar2 [0-9:.]+' | awk '{ print $2 }')
T_A=$(log_t maar1 "prefix $P1 withdrawn")
T_USE=$(log_t maar2 "prefix $P1 .*usage of the old anchor continued")
info "relocation P1 timeline after the command: context transfer done and announced at MAAR2 $(since "$S0" "$T_ANN") ms, the router's route to MAAR2 (BIRD) $(since "$S0" "$T_IR") ms, MAAR1 released and withdrawn $(since "$S0" "$T_A") ms, MAAR1's usage continued at MAAR2 $(since "$S0" "$T_USE") ms"
info "relocation P1 as polled (100 ms): MAAR2 anchors $(ms "$T0" "$T_TAKE") ms, IR kernel route $(ms "$T0" "$T_ROUTE") ms, MAAR1 empty $(ms "$T0" "$T_REL") ms"

# --- drain: every prefix anchored at MAAR2 moves to MAAR3, MAAR2 stops -----
start_session B 2 5002 12
sleep 1
handover maar3 && wait_attached maar3 30
check "MN at MAAR3, session B on P2 ($ADDR_B)" eval "[[ $ADDR_B == ${POOL[2]}* ]] && attached_at maar3"
sleep 1
T1=$(now)
check "dmmctl drain MAAR2 (on the CMD) starts 2 relocations (P1, P2)" \
	eval "ctl cmd drain ${ADDR[maar2]} | tee /dev/stderr | jq -e '.relocations == 2'"
drained() { ir_via "$P1" 3 && ir_via "$P2" 3 && ! held_at 2 "$P1" && ! held_at 2 "$P2"; }
wait_for 10 drained
T1_DONE=$(now)
check "IR routes P1 and P2 to MAAR3 (BIRD), MAAR2 holds nothing for them" drained
check "MAAR2 anchors no prefix at all before it stops" \
	eval "ctl maar2 show bindings | jq -e 'map(select(.kind == \"anchored\")) | length == 0'"
REC2=$(rec_of 2 "$P1")
# The start travels in the Timestamp format (1/65536 s): equal within 20 us. MAAR2 delivers P1 on
# the MN's link: no uplink intent counts there (packets are routed as they come), and the user data
# plane's DELIVER counts only what it decapsulated, so only the kernel's downlink must have grown.
GROWN=$([[ $DP == kernel ]] && echo '>' || echo '>=')
check "MAAR2's usage record of P1 continues MAAR1's: same start, MAAR1's counters included ($REC2)" \
	eval "jq -e --argjson a '$REC1' 'def us: split(\".\") | [.[0], (.[1] | rtrimstr(\"Z\") | tonumber)];
		(.start | us) as \$s | (\$a.start | us) as \$t |
		.reason == \"relocated\" and \$s[0] == \$t[0] and (\$s[1] - \$t[1] | fabs) <= 20 and
		.\"uplink-packets\" >= \$a.\"uplink-packets\" and .\"uplink-bytes\" >= \$a.\"uplink-bytes\" and
		.\"downlink-packets\" $GROWN \$a.\"downlink-packets\" and .\"downlink-bytes\" $GROWN \$a.\"downlink-bytes\"' <<<'$REC2'"
check "MAAR2's dmmd stops cleanly and leaves no route of its own (table $ATABLE included)" \
	eval "dmmd_stop maar2 && test -z \"\$(ip -n ${NS[maar2]} -6 route show table all proto 0xd3)\""
kill -TERM "${BIRD_PID[maar2]}" 2>/dev/null
finish B
check "session B (P2, MAAR2 drained and stopped while it ran): every byte verified, no reset" sess_ok B
info "drain of MAAR2: both prefixes routed to MAAR3 and released at MAAR2 $(ms "$T1" "$T1_DONE") ms after the command"

# --- failure: MAAR3 is killed; P3 is re-anchored at the MN's MAAR1 ----------
start_session C 3 5003 14
sleep 1
handover maar1 && wait_attached maar1 30
check "MN at MAAR1, session C on P3 ($ADDR_C)" eval "[[ $ADDR_C == ${POOL[3]}* ]] && attached_at maar1"
sleep 1
T2=$(now)
kill -KILL "${DPID[maar3]}"
DPID[maar3]=""
lab_bird_kill maar3
wait_for 20 ir_via "$P3" 1
T2_ROUTE=$(now)
check "P3 re-anchored at MAAR1 after MAAR3 died: MAAR1 anchors it, IR routes it to MAAR1 (BIRD)" \
	eval "anchored_at 1 $P3 && ir_via $P3 1 && bird_via $P3 1"
check "CMD: MAAR3 is down, P3 anchored at MAAR1" \
	eval "ctl cmd show anchors | jq -e --arg a ${ADDR[maar3]} '.[] | select(.address == \$a) | .state == \"down\"' &&
		ctl cmd show bindings | jq -e --arg p $P3 --arg a ${ADDR[maar1]} '[.[] | .anchors[]? | select(.prefix == \$p and .anchor == \$a)] | length == 1'"
finish C
check "session C (P3, its anchor MAAR3 killed while it ran): every byte verified, no reset" sess_ok C
GAP_C=$(jq -r --argjson t "$T2" '[.gaps[] | select(.t >= $t - 0.05) | .ms] | max // 0 | floor' "$LAB_TMP/probe-C.json")
LOST_C=$(jq -r --argjson t "$T2" '[.gaps[] | select(.t >= $t - 0.05) | .lost] | add // 0' "$LAB_TMP/probe-C.json")
# Detection bound (core/role/peer.c): a peer is DOWN at the first timer once more than 3 requests
# went unanswered; the first lost request leaves up to one interval after the kill: 5 intervals.
HB_BOUND=$((DMM_HB_MS * 5))
# Measured from the daemons' and BIRD's clocks: detection (kill -> the CMD declares MAAR3 down) and
# routing convergence (that -> the router's BIRD route for P3 to MAAR1: re-anchoring, announcement, iBGP).
S2=$(sod "$T2")
DET=$(since "$S2" "$(log_t cmd "anchor ${ADDR[maar3]} down")")
T_IR3=$(lab_birdc ir show route for "$P3" | grep -oE '\[maar1 [0-9:.]+' | awk '{ print $2 }')
CONV=$(($(since "$S2" "$T_IR3") - DET))
# 100 ms of slack for a loaded machine (a timer that fires late, the router's kernel install after
# BIRD's choice, the probes' and the logs' 1 ms granularity): a slow machine must not fail the test.
check "MAAR3's failure detected by heartbeat in ${DET} ms <= the detection bound ${HB_BOUND} ms" \
	test "$DET" -le $((HB_BOUND + 100))
check "C's interruption ${GAP_C} ms <= detection bound ${HB_BOUND} ms + measured routing convergence ${CONV} ms" \
	test "$GAP_C" -le $((HB_BOUND + CONV + 100))
info "failure of MAAR3: C interrupted ${GAP_C} ms (${LOST_C} probes lost): detection ${DET} ms (bound ${HB_BOUND} ms: heartbeat every ${DMM_HB_MS} ms, 3 missing allowed), routing convergence ${CONV} ms; the router's kernel route to MAAR1 seen $(ms "$T2" "$T2_ROUTE") ms after the kill (polled)"

dump_logs_on_failure
summary "$NAME"
