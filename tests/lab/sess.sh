#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Which sessions need mobility (RFC 7429 §5 GAP2-1, GAP2-3) and what an
# address is (GAP2-2), on lab/dmm.sh's network (the picture is there):
#   tests/lab/sess.sh [kernel|user]
# The MAARs release old prefixes by sessions (release-by "sessions": the
# kernel's connection tracking) and know the domain's policy after RFC
# 8653 §3.2: MAAR1's pool 2001:db8:11::/48 "sessions" (the default),
# MAAR2's 2001:db8:12::/48 "nomadic", MAAR3's 2001:db8:13::/48 "fixed";
# their RAs put each prefix in a PvD option (RFC 8801) named
# anchored.dmm.example or local.dmm.example.
#
#   MN at MAAR1 (P1) opens TCP to CN1, moves to MAAR2 (P2), says one byte,
#   then the connection is idle:
#     - P1 is still tunnelled and anchored idle-release + 3 s later, its
#       tunnel having counted no packet all that time (the traffic rule
#       would have released it);
#   the connection closes, and CN1 keeps sending stray UDP to P1 that
#   nobody answers:
#     - P1 is released within idle-release + 4 s, its tunnel counting the
#       stray packets meanwhile;
#   MN moves to MAAR3 (P3) while CN2 sends to its P2 address:
#     - P2 (nomadic) is never tunnelled: no IPv6-in-IPv6 packet for it on
#       MAAR2's or MAAR3's link (captured at the router's end), no intent
#       for it at MAAR3, which counts it released; MAAR2 drops it;
#   MN moves back to MAAR1 while CN3 sends stray UDP to P3:
#     - P3 (fixed) is tunnelled (the same captures see it) and is still
#       tunnelled and anchored idle-release + 4 s later;
#   and all along, captured at the MN (an unmodified Linux host):
#     - every RA with a prefix carries one PvD option holding its PIOs,
#       the same as outside it, whose ID names the prefix's kind
#       (anchored: P1, P3; local: P2), decoded by tests/oracle/pvd_ra.py
#       from RFC 8801's layout; the MN configured an address from each.
set -u
trap '' PIPE # a write to a connection that is gone fails a check, not the script
cd "$(dirname "$0")/../.." || exit 1
# Well above what a move takes before the MN's connection can say something (its DAD, ~1 s).
DMM_IDLE_MS=${DMM_IDLE_MS:-5000}
# shellcheck source=lab/dmm.sh
. lab/dmm.sh

DP=${1:-kernel}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "sess-$DP"
NAME=sess
DOMAIN=dmm.example
PY=/usr/bin/python3
lab_need_root_scapy "$NAME" "$PY"
for t in tcpdump tshark jq nft; do
	if ! command -v "$t" >/dev/null; then
		echo "$NAME: $t missing: run make deps as root" >&2
		exit 1
	fi
done
case $DP in kernel | user) ;; *)
	echo "$NAME: data plane '$DP': kernel or user (bpf bypasses connection tracking)" >&2
	exit 1
	;;
esac

LAB_CFG_JQ="if .[\"dmm:node\"].maar then .[\"dmm:node\"].maar += {\"release-by\": \"sessions\", \"pvd-domain\": \"$DOMAIN\",
  \"prefix-policies\": [{\"prefix\": \"2001:db8:12::/48\", \"policy\": \"nomadic\"},
  {\"prefix\": \"2001:db8:13::/48\", \"policy\": \"fixed\"}]} else . end"
CAP_SNAPLEN=0

lab_init "sess-$DP"
trap 'exec 4>&- 2>/dev/null; dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: session-based release, per-prefix policy and PvD, $DP data plane"
if ! dmm_up "$DP" proxy; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: the MN registered at MAAR1"
	summary "$NAME"
	exit 1
fi
P1="${POOL[1]}:/64" P2="${POOL[2]}:/64" P3="${POOL[3]}:/64"
cap_start CAP_MN mn eth0 "$LAB_TMP/mn-ra.pcap" icmp6 and 'ip6[40] == 134' || exit 1
check "MAAR1 turned connection tracking on (nftables table inet dmm_ct)" lab_exec maar1 nft list table inet dmm_ct

# tunnelled MAAR P: MAAR has P's tunnel intents.
tunnelled() {
	ctl "$1" show intents | jq -e --arg p "$2" 'map(select(.prefix == $p and .action == "encap")) | length > 0'
}
# anchors MAAR P: MAAR has an anchored entry for P.
anchors() {
	ctl "$1" show bindings | jq -e --arg p "$2" 'map(select(.kind == "anchored" and (.prefixes | index($p)))) | length > 0'
}
# packets MAAR P: packets counted by MAAR's intents for P.
packets() {
	ctl "$1" show intents | jq --arg p "$2" '[.[] | select(.prefix == $p) | .packets] | add // 0'
}
dstat() { ctl "$1" show stats | jq ".dmm.\"$2\""; }

# --- an idle TCP connection keeps P1 ----------------------------------------
lab_bg SINK cn1 "$TRAFFIC" tcp-sink --port 7100 --bytes 3 --timeout 120 >"$LAB_TMP/sink.json"
sleep 0.2
# The MN's connection: a shell holding it, told "send" (one byte) or "close" through a FIFO
# (opened read-write here, which never blocks).
mkfifo "$LAB_TMP/conn"
exec 4<>"$LAB_TMP/conn"
# shellcheck disable=SC2016 # expanded by the MN's shell
lab_bg CONN mn bash -c 'exec 0<"$1" 3<>"/dev/tcp/$0/7100" || exit 1
	while read -r c; do case $c in send) printf x >&3 ;; close) exec 3>&-; exit 0 ;; esac; done' \
	"${ADDR[cn1]}" "$LAB_TMP/conn"
echo send >&4
wait_for 5 has_sess 7100
A1=$(sess_src 7100)
check "the MN's TCP connection to CN1 uses its MAAR1 address ($A1)" eval "[[ $A1 == ${POOL[1]}* ]]"
handover maar2 && wait_attached maar2
# Two exchanges after the move: MAAR2's connection tracking picks the connection up.
echo send >&4
sleep 0.3
echo send >&4
sleep 2 # the counters are read every second
lab_exec maar2 cat /proc/net/nf_conntrack >"$LAB_TMP/maar2-conntrack" 2>&1
N0=$(packets maar2 "$P1")
T0=$(date +%s%N)
sleep $((DMM_IDLE_MS / 1000 + 3))
N1=$(packets maar2 "$P1")
check "MAAR2 still tunnels P1 $((($(date +%s%N) - T0) / 1000000)) ms into the idle connection (idle-release $DMM_IDLE_MS ms)" tunnelled maar2 "$P1"
check "MAAR1 still anchors P1, MAAR2 released nothing" eval "anchors maar1 $P1 && [[ \$(dstat maar2 prefixes-released) == 0 ]]"
if [[ $FAILED -gt 0 ]]; then
	echo "  --- MAAR2's connection tracking after the exchanges"
	grep -E "port=7100" "$LAB_TMP/maar2-conntrack" | sed 's/^/      /'
fi
check "P1's tunnel at MAAR2 counted no packet meanwhile ($N0 -> $N1): only the session kept it" test "$N0" = "$N1"

# --- the connection closes; stray packets do not keep P1 --------------------
echo close >&4
sink_done() { ! kill -0 "$SINK" 2>/dev/null; }
wait_for 10 sink_done
exec 4>&-
T_CLOSE=$(date +%s%N)
lab_bg STRAY cn1 "$TRAFFIC" udp-source --to "$A1" --port 7200 --pps 50 --duration $((DMM_IDLE_MS / 1000 + 6)) >/dev/null
sleep 1
S0=$(packets maar2 "$P1")
released1() { ! anchors maar1 "$P1" && ! tunnelled maar2 "$P1"; }
wait_for $((DMM_IDLE_MS / 1000 + 8)) released1
REL_MS=$((($(date +%s%N) - T_CLOSE) / 1000000))
check "P1 released $REL_MS ms after the connection closed (bound idle-release + 4 s = $((DMM_IDLE_MS + 4000)) ms)" \
	eval "released1 && [[ $REL_MS -le $((DMM_IDLE_MS + 4000)) ]]"
check "the stray packets went through P1's tunnel until then (counter $S0 > 0), yet P1 went" test "$S0" -gt 0
check "MAAR2 counts the release (prefixes-released 1)" eval "[[ \$(dstat maar2 prefixes-released) == 1 ]]"
kill "$STRAY" 2>/dev/null

# --- nomadic P2 is never tunnelled; fixed P3 is never released ---------------
A2=$(mn_addr 2)
cap_start CAP2 ir maar2 "$LAB_TMP/ir-maar2.pcap" ip6 proto 41 || exit 1
cap_start CAP3 ir maar3 "$LAB_TMP/ir-maar3.pcap" ip6 proto 41 || exit 1
lab_bg PROBE2 cn2 "$TRAFFIC" udp-source --to "$A2" --port 7300 --pps 200 --duration 4 >/dev/null
sleep 0.5
handover maar3 && wait_attached maar3
check "MAAR3 released the MN's nomadic P2 on arrival (nomadic-released 1) and has no intent for it" \
	eval "[[ \$(dstat maar3 nomadic-released) == 1 ]] && ! ctl maar3 show intents | jq -e --arg p $P2 'map(select(.prefix == \$p)) | length > 0'"
check "MAAR2 drops its anchored entry for P2" wait_for 5 eval "! anchors maar2 $P2"
wait "$PROBE2" 2>/dev/null
A3=$(mn_addr 3)
handover maar1 && wait_attached maar1
lab_bg PROBE3 cn3 "$TRAFFIC" udp-source --to "$A3" --port 7400 --pps 50 --duration 2 >/dev/null
sleep $((DMM_IDLE_MS / 1000 + 4))
check "MAAR1 still tunnels fixed P3 idle-release + 4 s after the move, MAAR3 still anchors it, nothing released" \
	eval "tunnelled maar1 $P3 && anchors maar3 $P3 && [[ \$(dstat maar1 prefixes-released) == 0 ]]"
cap_stop "$CAP2"
cap_stop "$CAP3"
inner() { tshark -r "$1" -Y "ipv6.dst == $2" 2>/dev/null | wc -l; }
N2=$(($(inner "$LAB_TMP/ir-maar2.pcap" "$A2") + $(inner "$LAB_TMP/ir-maar3.pcap" "$A2")))
N3=$(inner "$LAB_TMP/ir-maar3.pcap" "$A3")
check "no IPv6-in-IPv6 packet to $A2 (nomadic) on MAAR2's or MAAR3's link: $N2" test "$N2" -eq 0
check "the same captures see fixed P3 tunnelled to MAAR1: $N3 packets to $A3" test "$N3" -gt 0

# --- PvD: what the MN received ------------------------------------------------
sleep "$DMM_RA_S"
cap_stop "$CAP_MN"
check "the MN configured an address from each MAAR's pool (${A1:-none}, ${A2:-none}, ${A3:-none})" \
	eval "[[ -n '$A1' && -n '$A2' && -n '$A3' ]]"
pvd_ok() {
	"$PY" tests/oracle/pvd_ra.py "$LAB_TMP/mn-ra.pcap" "$DOMAIN" 2001:db8:11::/48=anchored \
		2001:db8:12::/48=local 2001:db8:13::/48=anchored | tee /dev/stderr |
		jq -e --arg d "$DOMAIN" '.ras > 0 and .errors == [] and (.pvds | has("anchored." + $d) and has("local." + $d))'
}
check "RAs at the MN: each prefix inside one PvD option named after its kind (anchored/local.$DOMAIN), also outside it (scapy oracle)" pvd_ok

summary "$NAME"
