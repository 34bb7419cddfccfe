#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Multicast for mobile hosts without tunnel convergence (RFC 7429 REQ8):
# every MAAR is an MLD proxy (RFC 6224 §4, RFC 4605) in direct mode,
# subscribed natively on its own link to IR; IR is a Debian multicast
# router (smcroute: static (*,G) forwarding from CN1 to the MAARs' links);
# CN1 sends a numbered 100 packets/s group stream.
#
#   ┌─────┐ ir         cn1 ┌────┐ maar1   ir ┌───────┐ mn1 ── MN (moves: MAAR1 → MAAR2 → MAAR3)
#   │ CN1 │────────────────┤    ├────────────│ MAAR1 │ mnb ── H1
#   └─────┘ sends          │    │ maar2   ir ┌───────┐
#    ff3e::1234            │ IR ├────────────│ MAAR2 │ mnc ── H2
#                          │    │ maar3   ir ┌───────┐
#              smcroute    │    ├────────────│ MAAR3 │
#                          └──┬─┘            └───────┘
#                             │ cmd   (lab/dmm.sh's network: CMD, CN2, CN3 as there)
#
#   - the MN, an unmodified host, joins with IPV6_JOIN_GROUP at MAAR1 and
#     receives; it moves to MAAR2 and MAAR3 and keeps receiving: per move,
#     packets lost <= link down time x rate + 2, and no packet twice;
#   - the subscription follows the host (docs/dmm-protocol.md §14, RFC
#     7161): around each move the MN's MLD reports are dropped on their
#     way out (nft in its namespace) until 1.5 s after it, so the new MAAR
#     learns the group only from the handover context (the previous MAAR's
#     PBA, relayed by the CMD): it lists it with the source "context" with
#     no report heard, and the loss bound above holds all the same;
#   - H1 at MAAR1, H2 at MAAR2 and the MN at MAAR3 listen: each MAAR's
#     upstream MIF (its link to IR) takes every group packet exactly once
#     (/proc/net/ip6_mr_vif), its access link passes each once, each host
#     receives each once, and no tunnel packet on any MAAR's link to IR
#     carries the group (tcpdump: IPv6-in-IPv6 with a multicast inner
#     destination);
#   - when the MN's application leaves (its socket closes: an MLDv2
#     TO_IN({}) report), MAAR3 stops forwarding to its link within the
#     last listener query time (RFC 3810 §9.14); when it moved away,
#     the old MAAR's forwarding entry lost the link at once.
#
# With via-anchor (RFC 6224 base, for comparison): MAAR1 is the anchor, IR
# sends the group to MAAR1 only, MAAR2 and MAAR3 subscribe through their
# multicast tunnel to MAAR1, which replicates once per tunnel (its per-tunnel
# counters, dmmctl show multicast); the tunnels carry the group packets.
#
#   tests/lab/mcast.sh [kernel|user] [direct|via-anchor]
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/dmm.sh
. lab/dmm.sh

DP=${1:-kernel}
MODE=${2:-direct}
NAME=mcast-lab
GROUP=ff3e::1234
PORT=5500
PPS=100
MCT=$LAB_ROOT/build/mcast-traffic
# MLD timers (ms): short, so the test is short. MALI = 2 x 2000 + 20; LLQT = 2 x 200.
QI=2000
QRI=20
LLQI=200

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
for t in smcrouted tcpdump jq; do
	if ! command -v "$t" >/dev/null; then
		echo "$NAME: $t missing: run make deps as root (smcroute, tcpdump, jq)" >&2
		exit 1
	fi
done
# The MLD proxy is the kernel's IPv6 multicast routing (MRT6): without it
# dmmd cannot start it (MRT6_INIT: ENOPROTOOPT) and nothing here can pass.
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_or_exit mroute "$NAME $DP $MODE"
kfeat_need_dp "$DP" "$NAME $DP $MODE"
[[ -x $MCT ]] || {
	echo "$NAME: $MCT missing: make all" >&2
	exit 1
}

case $MODE in direct | via-anchor) ;; *)
	echo "$NAME: mode '$MODE' is not direct or via-anchor" >&2
	exit 2
	;;
esac
lab_init "mcast-$DP-$MODE"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: three MAARs as MLD proxies ($MODE mode), smcroute on IR, $DP data plane"
# via-anchor (RFC 6224 base): MAAR1 anchors the group for the others, which
# reach it through their multicast tunnel ("mcup", dmmd's TUN device).
TARGETS="maar1 maar2 maar3"
[[ $MODE == via-anchor ]] && TARGETS=maar1

LAB_CFG_JQ="if .\"dmm:node\".role == \"maar\" then .\"dmm:node\".multicast = {\"mode\": \"$MODE\", \"anchor\": \"${ADDR[maar1]}\",
 \"upstream\": \"ir\", \"robustness\": 2, \"query-interval\": $QI, \"query-response-interval\": $QRI,
 \"last-listener-query-interval\": $LLQI} else . end"
if ! dmm_up "$DP" proxy; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: the MN registered at MAAR1"
	summary "$NAME"
	exit 1
fi

# smcroute on IR: the group from CN1 to the three MAARs' links (-N: only the
# interfaces named here take part).
cat >"$LAB_TMP/smcroute.conf" <<EOF
phyint cn1 enable
phyint maar1 enable
phyint maar2 enable
phyint maar3 enable
mroute from cn1 group $GROUP to $TARGETS
EOF
lab_bg SMC_PID ir smcrouted -n -N -f "$LAB_TMP/smcroute.conf" -u "$LAB_TMP/smcroute.sock" \
	-P "$LAB_TMP/smcroute.pid" -i "dmm-mc-$LAB_SUFFIX" -l info 2>"$LAB_TMP/smcroute.log"
sleep 0.5

# A host H on MAAR M's access link L (an unmodified Linux host, like the MN).
add_host() {
	local h=$1 m=$2 l=$3 mac=$4
	lab_ns_add "$h"
	lab_exec "$h" sysctl -qw net.ipv6.conf.all.forwarding=0
	ip -n "${NS[$h]}" link add eth0 address "$mac" type veth peer name "$l" netns "${NS[$m]}" || return 1
	ip -n "${NS[$h]}" link set eth0 up
}

# mif_count NODE IFNAME in|out: packets of the MIF on IFNAME (/proc/net/ip6_mr_vif).
mif_count() {
	local col=4
	[[ $3 == out ]] && col=6
	lab_exec "$1" cat /proc/net/ip6_mr_vif | awk -v i="$2" -v c="$col" '$2 == i { print $c; f = 1 } END { if (!f) print 0 }'
}

# Wall ms now.
ms() { date +%s%3N; }

# move_timed TO: handover of the MN's link; DOWN is set to the link's down
# time in ms (from the move to the link up with carrier in TO's namespace).
move_timed() {
	local to=$1 t0 i
	t0=$(ms)
	DOWN=""
	handover "$to" || return 1
	for ((i = 0; i < 400; i++)); do
		ip -n "${NS[$to]}" link show mn1 2>/dev/null | grep -q 'LOWER_UP' && break
		sleep 0.005
	done
	DOWN=$(($(ms) - t0))
}

# mld_block on|off: the MN's MLD reports (RFC 2710 131, RFC 3810 143)
# dropped on their way out, so that only the handover context can tell
# its next MAAR its groups.
cat >"$LAB_TMP/mld-block.nft" <<EOF
table ip6 mcblk {
	chain out {
		type filter hook output priority 0;
		icmpv6 type { mld-listener-report, mld2-listener-report } counter drop
	}
}
EOF
MLD_DROPPED=0
mld_block() {
	if [[ $1 == on ]]; then
		lab_exec mn nft -f "$LAB_TMP/mld-block.nft"
	else
		MLD_DROPPED=$((MLD_DROPPED + $(lab_exec mn nft -j list table ip6 mcblk |
			jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0')))
		lab_exec mn nft delete table ip6 mcblk
	fi
}
# from_context M: MAAR M lists the group on the MN's link as learned from
# the handover context (dmmd clears that source when a report of the group
# comes from the link).
from_context() {
	ctl "$1" show multicast | jq -e --arg g "$GROUP" \
		'any(.groups[]; .link == "mn1" and .group == $g and .source == "context")' >/dev/null
}
# move_ctx TO: move with the MN's reports blocked; CTX_MS is when (ms after
# the link came up) TO listed the group from the context, or "" if it did
# not within 1.5 s.
move_ctx() {
	local to=$1 t1
	CTX_MS=""
	mld_block on
	move_timed "$to"
	t1=$(ms)
	while (($(ms) - t1 < 1500)); do
		if from_context "$to"; then
			CTX_MS=$(($(ms) - t1))
			break
		fi
		sleep 0.01
	done
	sleep "$(awk -v t="$(($(ms) - t1))" 'BEGIN { d = 1.5 - t / 1000; print (d > 0 ? d : 0) }')"
	mld_block off
}

# ---- 1. one host moves: MAAR1 -> MAAR2 -> MAAR3 ----
t_rx=$(ms)
lab_bg RX mn "$MCT" recv --group "$GROUP" --port "$PORT" --duration 11 --dev eth0 >"$LAB_TMP/rx-move.json" 2>/dev/null
sleep 0.5
lab_bg TX cn1 "$MCT" send --group "$GROUP" --port "$PORT" --pps "$PPS" --duration 12 --dev ir >/dev/null
sleep 3
at2=$(($(ms) - t_rx))
move_ctx maar2
down2=$DOWN ctx2=$CTX_MS
mif_maar1_after=$(lab_exec maar1 ip -6 mroute show 2>/dev/null | grep -c "$GROUP.*mn1")
sleep 1.5
at3=$(($(ms) - t_rx))
move_ctx maar3
down3=$DOWN ctx3=$CTX_MS
wait "$RX"
wait "$TX"
info "MN: $(jq -c '{received, duplicates, missing, gaps}' "$LAB_TMP/rx-move.json")"
info "link down: to MAAR2 ${down2} ms, to MAAR3 ${down3} ms"

# lost_at AT: the packets lost in the gaps that began around AT (ms after the receiver started).
lost_at() {
	jq --argjson t "$1" '[.gaps[] | select(.[2] >= $t - 300 and .[2] <= $t + 2000) | .[1]] | add // 0' \
		"$LAB_TMP/rx-move.json"
}
# loss_ok AT DOWN: within DOWN (ms) x rate + 2.
loss_ok() {
	local at=$1 down=$2 lost allowed
	lost=$(lost_at "$at")
	allowed=$(((down * PPS + 999) / 1000 + 2))
	echo "lost $lost, allowed $allowed (down ${down} ms)"
	[[ $lost -le $allowed ]]
}
check "the MN received the stream at MAAR1, MAAR2 and MAAR3 (>= 900 packets)" \
	jq -e '.unique >= 900' "$LAB_TMP/rx-move.json"
check "no packet received twice" jq -e '.duplicates == 0' "$LAB_TMP/rx-move.json"
check "no loss but at the moves" jq -e --argjson a "$at2" --argjson b "$at3" \
	'[.gaps[] | select((.[2] < $a - 300 or .[2] > $a + 2000) and (.[2] < $b - 300 or .[2] > $b + 2000))] | length == 0' \
	"$LAB_TMP/rx-move.json"
check "move to MAAR2: lost $(lost_at "$at2") <= down time x rate + 2" loss_ok "$at2" "${down2:-0}"
check "move to MAAR3: lost $(lost_at "$at3") <= down time x rate + 2" loss_ok "$at3" "${down3:-0}"
info "loss per move ($DP): MAAR1->MAAR2 $(lost_at "$at2") packets (link down ${down2} ms), MAAR2->MAAR3 $(lost_at "$at3") packets (link down ${down3} ms)"
check "MAAR1 forwards nothing to the link that moved away" test "${mif_maar1_after:-1}" -eq 0
check "the MN's MLD reports were dropped around the moves ($MLD_DROPPED dropped)" test "$MLD_DROPPED" -gt 0
check "MAAR2 had the group from the handover context, before any report of it (${ctx2:-never} ms after the link came up)" \
	test -n "$ctx2"
check "MAAR3 had the group from the handover context, before any report of it (${ctx3:-never} ms after the link came up)" \
	test -n "$ctx3"
info "context path: $(grep -h 'handover context' "$LAB_TMP"/maar[123].log | sed 's/^.*mcast: //' | tr '\n' ';')"

# ---- 2. three listeners on three MAARs: each upstream carries each packet once, no tunnel any ----
add_host h1 maar1 mnb 02:00:00:00:01:0b && add_host h2 maar2 mnc 02:00:00:00:01:0c || exit 1
sleep 1
declare -A RXP=() CAP=()
for i in 1 2 3; do
	cap_start p "maar$i" ir "$LAB_TMP/ir-maar$i.pcap" ip6 || exit 1
	CAP[$i]=$p
done
# The receivers' window is only a wait: it must cover their join, the
# counters read below and the 3 s stream, which take longer on a slow
# (emulated) machine; the captures started before it for the same reason.
for h in h1 h2 mn; do
	lab_bg p "$h" "$MCT" recv --group "$GROUP" --port "$PORT" --duration 8 --dev eth0 >"$LAB_TMP/rx-$h.json" 2>/dev/null
	RXP[$h]=$p
done
sleep 1
declare -A UP0=() ACC0=()
# Upstream MIF: the link to IR, or (via-anchor, MAAR2 and MAAR3) the tunnel's TUN device.
declare -A UPIF=([1]=ir [2]=ir [3]=ir)
[[ $MODE == via-anchor ]] && UPIF=([1]=ir [2]=mcup [3]=mcup)
for i in 1 2 3; do
	UP0[$i]=$(mif_count "maar$i" "${UPIF[$i]}" in)
done
tun0=$(ctl maar1 show multicast | jq -c '[.tunnels[] | {(.peer): ."tx-packets"}] | add // {}')
ACC0[1]=$(mif_count maar1 mnb out)
ACC0[2]=$(mif_count maar2 mnc out)
ACC0[3]=$(mif_count maar3 mn1 out)
N=300
lab_exec cn1 "$MCT" send --group "$GROUP" --port "$PORT" --pps "$PPS" --duration 3 --dev ir >"$LAB_TMP/tx3.json"
sleep 0.5
for i in 1 2 3; do
	up=$(($(mif_count "maar$i" "${UPIF[$i]}" in) - UP0[$i]))
	check "MAAR$i's upstream MIF took each group packet once ($up of $N)" test "$up" -eq "$N"
done
acc1=$(($(mif_count maar1 mnb out) - ACC0[1]))
acc2=$(($(mif_count maar2 mnc out) - ACC0[2]))
acc3=$(($(mif_count maar3 mn1 out) - ACC0[3]))
check "each MAAR's access link passed each packet once ($acc1, $acc2, $acc3 of $N)" \
	test "$acc1" -eq "$N" -a "$acc2" -eq "$N" -a "$acc3" -eq "$N"
for h in h1 h2 mn; do
	wait "${RXP[$h]}"
	check "$h received all $N, none twice" jq -e --argjson n "$N" '.unique == $n and .duplicates == 0' "$LAB_TMP/rx-$h.json"
done
# Native group packets and tunnelled ones (protocol 41, inner UDP to ff3e::/16) on each MAAR's link to IR.
declare -A WANT_G=([1]=$N [2]=$N [3]=$N) WANT_T=([1]=0 [2]=0 [3]=0)
if [[ $MODE == via-anchor ]]; then
	WANT_G=([1]=$N [2]=0 [3]=0)
	WANT_T=([1]=$((2 * N)) [2]=$N [3]=$N) # MAAR1 sends one copy per tunnel
fi
for i in 1 2 3; do
	cap_stop "${CAP[$i]}"
	g=$(tcpdump -r "$LAB_TMP/ir-maar$i.pcap" -n "ip6 dst $GROUP and udp port $PORT" 2>/dev/null | wc -l)
	t=$(tcpdump -r "$LAB_TMP/ir-maar$i.pcap" -n "ip6[6] == 41 and ip6[46] == 17 and ip6[64:2] == 0xff3e" 2>/dev/null | wc -l)
	check "MAAR$i's link to IR: $g native group packets, $t tunnelled (want ${WANT_G[$i]} and ${WANT_T[$i]})" \
		test "$g" -eq "${WANT_G[$i]}" -a "$t" -eq "${WANT_T[$i]}"
done
if [[ $MODE == via-anchor ]]; then
	tun1=$(ctl maar1 show multicast | jq -c '[.tunnels[] | {(.peer): ."tx-packets"}] | add // {}')
	rep=$(jq -nc --argjson a "$tun0" --argjson b "$tun1" '$b | with_entries(.value -= ($a[.key] // 0))')
	info "anchor MAAR1's replication per tunnel ($N group packets): $rep"
	check "the anchor sent each packet once per tunnel (MAAR2 and MAAR3: $N each)" \
		jq -e --argjson n "$N" --arg m2 "${ADDR[maar2]}" --arg m3 "${ADDR[maar3]}" \
		'.[$m2] == $n and .[$m3] == $n' <<<"$rep"
fi

# ---- 3. the last listener leaves: forwarding to its link stops within LLQT ----
mark=$(lab_log_mark maar3)
lab_bg RX mn "$MCT" recv --group "$GROUP" --port "$PORT" --duration 2 --dev eth0 >/dev/null 2>&1
lab_bg TX cn1 "$MCT" send --group "$GROUP" --port "$PORT" --pps "$PPS" --duration 6 --dev ir >/dev/null
wait "$RX" # the socket closes: the host reports TO_IN({}) for the group
t0=$(ms)
fwd_stopped() { ! lab_exec maar3 ip -6 mroute show | grep -q "$GROUP.*Oifs:.*mn1"; }
wait_for 5 fwd_stopped
stop_ms=$(($(ms) - t0))
a=$(mif_count maar3 mn1 out)
sleep 1
b=$(mif_count maar3 mn1 out)
wait "$TX"
check "MAAR3 stopped forwarding to the MN's link ${stop_ms} ms after the leave (LLQT $((2 * LLQI)) ms, + 600 for the polling)" \
	test "$stop_ms" -le $((2 * LLQI + 600))
check "no packet to that link afterwards ($((b - a)) in 1 s)" test "$b" -eq "$a"
check "MAAR3 left the group upstream (no listener left)" \
	sh -c "tail -n +$((mark + 1)) '$LAB_TMP/maar3.log' | grep -q 'upstream left $GROUP'"

summary "$NAME"
