#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Localized routing (RFC 6705 §7, scenario A12) on RFC 7429 Figure 4
# (lab/pmip-fig4.sh has the picture), kernel or user data plane:
#
#            LMA1 (2001:db8:1::/48)     LMA2 (2001:db8:2::/48)
#               ╲  tunnel                  ╱ tunnel
#                ╲ (idle for MN1<->MN2)   ╱
#                 └──── IR ──────────────┘
#                        │
#                      MAG1 ── LREs: MN1 <-> MN2 routed here
#                      ╱  ╲
#                   MN1    MN2   (MN2 moved here from MAG3)
#
#   - MN2 moves to MAG1: MAG1 holds MN1 (anchored at LMA1) and MN2 (at
#     LMA2), sends an LRI to each LMA, both answer an LRA with status 0;
#   - TCP MN1 -> MN2: every byte arrives, and captures on IR's links to
#     LMA1 and LMA2 hold none of it (it crossed neither LMA);
#   - a TCP stream MN1 -> MN2 survives MN1 moving to MAG2 (the LREs go, the
#     traffic takes both tunnels) and back to MAG1 (localized again);
#   - after the return, a new TCP exchange again crosses neither LMA.
#
# Mode a11 (tests/lab/lr.sh DP a11): scenario A11 (RFC 6705 §5), MN2 is
# anchored at LMA1 too (MAG policy), and LMA1 initiates:
#
#            LMA1 (2001:db8:1::/48)  ── LRI(MN1, MN2) to MAG1, LRA 0 back
#               ╲  tunnel (idle for MN1<->MN2)
#                └──── IR
#                        │
#                      MAG1 ── LREs: MN1 <-> MN2 routed here
#                      ╱  ╲
#                   MN1    MN2   (MN2 moved here from MAG3)
#
#   - MN2 moves to MAG1: LMA1 sees both bindings at MAG1 and sends MAG1
#     an LRI naming both, MAG1 answers an LRA with status 0 (tshark);
#   - TCP MN1 -> MN2: every byte arrives, none crosses IR's link to LMA1;
#   - a TCP stream MN1 -> MN2 survives MN1 moving to MAG2 (MAG1 drops the
#     LREs, LMA1 ends the pair with an LRI of lifetime 0, the stream goes
#     through LMA1) and back (localized again);
#   - after the return, a new TCP exchange again crosses no LMA link.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

DP=${1:-kernel}
MODE=${2:-a12}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "lr-$DP $MODE"
NAME="lr-$DP"
MN2_LMA=2001:db8:a:2::2 # ADDR[lma2]
if [[ $MODE == a11 ]]; then
	NAME="lr-same-lma-$DP" # the summary line wants [a-z-]+ (tests/lab/run.sh)
	MN_LMA[mn2]=lma1
	MN_POOL[mn2]=2001:db8:1:
	MN2_LMA=${ADDR[lma1]}
elif [[ $MODE != a12 ]]; then
	echo "usage: $0 [kernel|user|bpf|mixed] [a12|a11]" >&2
	exit 1
fi
# Both modes' settings (each does nothing in the other mode); a11 anchors MN2 at LMA1.
# shellcheck disable=SC2034 # read by dmmd_start (lab/lib.sh)
LAB_CFG_JQ='if ."dmm:node".role == "mag" then ."dmm:node".mag."localized-routing" =
		{"enabled": true, "lra-wait": 500, "enable-mag-local-routing": true}
		| (."dmm:node"."mobile-nodes"[] | select(."mn-id" == "eui48:02:00:00:00:02:01") | .lma) = ["'"${MN2_LMA:-2001:db8:a:2::2}"'"]
	elif ."dmm:node".role == "lma" then ."dmm:node".lma."localized-routing" = true
		| ."dmm:node".lma."localized-routing-initiate" = {"lra-wait": 500} else . end'

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi

lab_init "$NAME"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: RFC 6705 localized routing at MAG1 (scenario ${MODE^^}), $DP data plane"
lab_up_or_exit "$DP"

# mag_stat NODE NAME: one of the role's own counters.
mag_stat() {
	ctl "$1" show stats | jq -r --arg k "$2" '[.. | objects | select(has($k)) | .[$k]][0] // empty'
}

# wait_lr NODE N STARTED: N localized pairs active and STARTED started so far.
wait_lr() {
	local i a s
	for ((i = 0; i < 100; i++)); do
		a=$(mag_stat "$1" lr-active)
		s=$(mag_stat "$1" lr-started)
		[[ $a == "$2" && $s == "$3" ]] && return 0
		sleep 0.1
	done
	echo "$1: lr-active '$a' (want $2), lr-started '$s' (want $3)"
	ctl "$1" show stats
	return 1
}

# tshark's LRI/LRA dissector reads the fields from the start of the Mobility
# Header (its "Lifetime" is the checksum, its "Status" a reserved octet), so
# the checks read the octets: the MH starts at frame[54] (Ethernet, IPv6 with
# no extension header); RFC 6705 §10.1: LRI Lifetime at MH octets 10-11,
# §10.2: LRA Status at MH octet 9.
# tcp_count PCAP PORT: TCP segments of PORT inside the capture (tunnelled or not).
tcp_count() {
	tshark -r "$1" -Y "tcp.port == $2" 2>/dev/null | wc -l
}

# exchange PORT BYTES: TCP MN1 -> MN2, every byte checked.
exchange() {
	local port=$1 bytes=$2 sink src
	lab_bg sink mn2 "$TRAFFIC" tcp-sink --port "$port" --bytes "$bytes" --timeout 20 >"$LAB_TMP/sink-$port.json"
	sleep 0.3
	ip netns exec "${NS[mn1]}" "$TRAFFIC" tcp-source --to "$MN2" --port "$port" --bytes "$bytes" --timeout 20 \
		>"$LAB_TMP/src-$port.json"
	src=$?
	wait "$sink"
	[[ $src -eq 0 && $? -eq 0 ]] && jq -e ".ok and .bytes == $bytes" "$LAB_TMP/sink-$port.json"
}

run_a12() {
	cap_start CAPS ir lma2 "$LAB_TMP/lma2-mh.pcap" ip6 proto 135
	handover mn2 mag3 mag1 || exit 1
	check "MN2 moved to MAG1 and registered there (still at LMA2)" wait_registered mn2 30
	check "MAG1: LRI to both LMAs, both LRAs status 0, one pair localized" wait_lr mag1 1 1
	# shellcheck disable=SC2016 # expanded by eval, at check time
	check "LMA1 and LMA2 each accepted one LRI" \
		eval '[[ $(mag_stat lma1 lr-accepted) -ge 1 && $(mag_stat lma2 lr-accepted) -ge 1 ]]'
	sleep 1.2
	cap_stop "$CAPS"
	check "tshark: MAG1 sends LMA2 an LRI (MH 17), LMA2's LRA (MH 18) says status 0" \
		eval "tshark -r $LAB_TMP/lma2-mh.pcap -Y 'mip6.mhtype == 17 && ipv6.src == ${ADDR[mag1]}' 2>/dev/null | grep -q . &&
			tshark -r $LAB_TMP/lma2-mh.pcap -Y 'mip6.mhtype == 18 && frame[63:1] == 00 && ipv6.dst == ${ADDR[mag1]}' 2>/dev/null | grep -q ."
	MN1=$(mn_addr mn1)
	MN2=$(mn_addr mn2)
	info "MN1 $MN1 (LMA1), MN2 $MN2 (LMA2), both on MAG1"

	# --- localized: no byte through either LMA -----------------------------------
	cap_start CAP1 ir lma1 "$LAB_TMP/lma1-a.pcap" ip6
	cap_start CAP2 ir lma2 "$LAB_TMP/lma2-a.pcap" ip6
	cap_start CAP3 mag1 mn2 "$LAB_TMP/mag1-mn2-a.pcap" ip6 and tcp port 5010
	t0=$(date +%s%N)
	check "TCP MN1 -> MN2 (1 MB): every byte arrives" exchange 5010 1000000
	info "1 MB MN1 -> MN2 localized in $((($(date +%s%N) - t0) / 1000000)) ms (incl. 0.3 s set-up)"
	lab_exec mn1 ping -6 -c 20 -i 0.05 -q "$MN2" >"$LAB_TMP/ping-lr.txt" 2>&1
	info "ping MN1 -> MN2 localized: $(grep -o 'rtt.*' "$LAB_TMP/ping-lr.txt")"
	sleep 1.2
	cap_stop "$CAP1"
	cap_stop "$CAP2"
	cap_stop "$CAP3"
	check "the TCP exchange crossed MAG1's link to MN2" \
		eval "n=\$(tcp_count $LAB_TMP/mag1-mn2-a.pcap 5010); echo \$n segments; cat $LAB_TMP/mag1-mn2-a.pcap.err; [[ \$n -gt 0 ]]"
	check "none of it crossed IR's link to LMA1" eval "[[ \$(tcp_count $LAB_TMP/lma1-a.pcap 5010) -eq 0 ]]"
	check "none of it crossed IR's link to LMA2" eval "[[ \$(tcp_count $LAB_TMP/lma2-a.pcap 5010) -eq 0 ]]"

	# --- MN1 moves away and back: one TCP stream throughout ------------------------
	BYTES=3000000
	cap_start CAP4 ir lma1 "$LAB_TMP/lma1-b.pcap" ip6
	lab_bg SINK mn2 "$TRAFFIC" tcp-sink --port 5011 --bytes "$BYTES" --timeout 60 >"$LAB_TMP/sink-5011.json"
	sleep 0.3
	lab_bg SRC mn1 "$TRAFFIC" tcp-source --to "$MN2" --port 5011 --bytes "$BYTES" --rate 4 --timeout 60 \
		>"$LAB_TMP/src-5011.json"
	sleep 1
	handover mn1 mag1 mag2 && wait_registered mn1 30
	check "MN1 at MAG2: MAG1 ended the pair (lr-active 0)" wait_lr mag1 0 1
	lab_exec mn1 ping -6 -c 20 -i 0.05 -q "$MN2" >"$LAB_TMP/ping-tun.txt" 2>&1
	info "ping MN1 (MAG2) -> MN2 (MAG1) through both tunnels: $(grep -o 'rtt.*' "$LAB_TMP/ping-tun.txt")"
	handover mn1 mag2 mag1 && wait_registered mn1 30
	check "MN1 back at MAG1: localized again (lr-active 1, lr-started 2)" wait_lr mag1 1 2
	wait "$SRC"
	src_rc=$?
	# shellcheck disable=SC2153 # SINK is set by lab_bg
	wait "$SINK"
	sink_rc=$?
	sleep 1.2
	cap_stop "$CAP4"
	check "TCP MN1 -> MN2 across MAG1 -> MAG2 -> MAG1: source finished without reset" \
		eval "cat $LAB_TMP/src-5011.json; [[ $src_rc -eq 0 ]] && jq -e '.ok and .resets == 0' $LAB_TMP/src-5011.json"
	check "TCP MN1 -> MN2: all $BYTES bytes received and verified" \
		eval "cat $LAB_TMP/sink-5011.json; [[ $sink_rc -eq 0 ]] && jq -e '.ok and .resets == 0 and .bytes == $BYTES' $LAB_TMP/sink-5011.json"
	check "while MN1 was at MAG2 the stream went through LMA1's tunnel" \
		eval "[[ \$(tcp_count $LAB_TMP/lma1-b.pcap 5011) -gt 0 ]]"
	info "segments of the stream through LMA1 while MN1 was away: $(tcp_count "$LAB_TMP/lma1-b.pcap" 5011)"

	cap_start CAP5 ir lma1 "$LAB_TMP/lma1-c.pcap" ip6
	cap_start CAP6 ir lma2 "$LAB_TMP/lma2-c.pcap" ip6
	check "after the return, TCP MN1 -> MN2 (1 MB) again" exchange 5012 1000000
	sleep 1.2
	cap_stop "$CAP5"
	cap_stop "$CAP6"
	check "... crossing neither LMA" \
		eval "[[ \$(tcp_count $LAB_TMP/lma1-c.pcap 5012) -eq 0 && \$(tcp_count $LAB_TMP/lma2-c.pcap 5012) -eq 0 ]]"
}

# wait_lma_lr N STARTED: LMA1 has N pairs on and STARTED started so far (RFC 6705 §5).
wait_lma_lr() {
	local i a s
	for ((i = 0; i < 100; i++)); do
		a=$(mag_stat lma1 lr-active)
		s=$(mag_stat lma1 lr-started)
		[[ $a == "$1" && $s == "$2" ]] && return 0
		sleep 0.1
	done
	echo "lma1: lr-active '$a' (want $1), lr-started '$s' (want $2)"
	ctl lma1 show stats
	return 1
}

run_a11() {
	cap_start CAPS ir lma1 "$LAB_TMP/lma1-mh.pcap" ip6 proto 135
	handover mn2 mag3 mag1 || exit 1
	check "MN2 moved to MAG1 and registered there (at LMA1, as MN1)" wait_registered mn2 30
	check "LMA1: LRI to MAG1 for MN1 and MN2, LRA status 0, one pair on" wait_lma_lr 1 1
	# shellcheck disable=SC2016 # expanded by eval, at check time
	check "MAG1: took LMA1's LRI, routes the pair (lr-active 1), sent no LRI itself (RFC 6705 §3.1)" \
		eval '[[ $(mag_stat mag1 lr-lri-taken) -eq 1 && $(mag_stat mag1 lr-active) -eq 1 && $(mag_stat mag1 lr-lri-sent) -eq 0 ]]'
	sleep 1.2
	cap_stop "$CAPS"
	check "tshark: LMA1 sends MAG1 an LRI (MH 17), MAG1's LRA (MH 18) says status 0" \
		eval "tshark -r $LAB_TMP/lma1-mh.pcap -Y 'mip6.mhtype == 17 && ipv6.src == ${ADDR[lma1]} && ipv6.dst == ${ADDR[mag1]} && frame[64:2] == ff:ff' 2>/dev/null | grep -q . &&
		tshark -r $LAB_TMP/lma1-mh.pcap -Y 'mip6.mhtype == 18 && frame[63:1] == 00 && ipv6.src == ${ADDR[mag1]}' 2>/dev/null | grep -q ."
	MN1=$(mn_addr mn1)
	MN2=$(mn_addr mn2)
	info "MN1 $MN1 and MN2 $MN2, both at LMA1, both on MAG1"

	cap_start CAP1 ir lma1 "$LAB_TMP/lma1-a.pcap" ip6
	cap_start CAP3 mag1 mn2 "$LAB_TMP/mag1-mn2-a.pcap" ip6 and tcp port 5010
	check "TCP MN1 -> MN2 (1 MB): every byte arrives" exchange 5010 1000000
	sleep 1.2
	cap_stop "$CAP1"
	cap_stop "$CAP3"
	check "the TCP exchange crossed MAG1's link to MN2" \
		eval "[[ \$(tcp_count $LAB_TMP/mag1-mn2-a.pcap 5010) -gt 0 ]]"
	check "none of it crossed IR's link to LMA1" eval "[[ \$(tcp_count $LAB_TMP/lma1-a.pcap 5010) -eq 0 ]]"

	BYTES=3000000
	cap_start CAP4 ir lma1 "$LAB_TMP/lma1-b.pcap" ip6
	lab_bg SINK mn2 "$TRAFFIC" tcp-sink --port 5011 --bytes "$BYTES" --timeout 60 >"$LAB_TMP/sink-5011.json"
	sleep 0.3
	lab_bg SRC mn1 "$TRAFFIC" tcp-source --to "$MN2" --port 5011 --bytes "$BYTES" --rate 4 --timeout 60 \
		>"$LAB_TMP/src-5011.json"
	sleep 1
	handover mn1 mag1 mag2 && wait_registered mn1 30
	# shellcheck disable=SC2016 # expanded by eval, at check time
	check "MN1 at MAG2: LMA1 ended the pair (lr-active 0), MAG1 dropped its LREs" \
		eval 'wait_lma_lr 0 1 && [[ $(mag_stat mag1 lr-active) -eq 0 ]]'
	lab_exec mn1 ping -6 -c 10 -i 0.05 -q "$MN2" >"$LAB_TMP/ping-tun.txt" 2>&1
	info "ping MN1 (MAG2) -> MN2 (MAG1) through LMA1: $(grep -o 'rtt.*' "$LAB_TMP/ping-tun.txt")"
	handover mn1 mag2 mag1 && wait_registered mn1 30
	check "MN1 back at MAG1: localized again (LMA1 lr-active 1, lr-started 2)" wait_lma_lr 1 2
	wait "$SRC"
	src_rc=$?
	wait "$SINK"
	sink_rc=$?
	sleep 1.2
	cap_stop "$CAP4"
	check "TCP MN1 -> MN2 across MAG1 -> MAG2 -> MAG1: source finished without reset" \
		eval "cat $LAB_TMP/src-5011.json; [[ $src_rc -eq 0 ]] && jq -e '.ok and .resets == 0' $LAB_TMP/src-5011.json"
	check "TCP MN1 -> MN2: all $BYTES bytes received and verified" \
		eval "cat $LAB_TMP/sink-5011.json; [[ $sink_rc -eq 0 ]] && jq -e '.ok and .resets == 0 and .bytes == $BYTES' $LAB_TMP/sink-5011.json"
	check "while MN1 was at MAG2 the stream went through LMA1" \
		eval "[[ \$(tcp_count $LAB_TMP/lma1-b.pcap 5011) -gt 0 ]]"
	check "tshark: LMA1 ended the pair at MAG1 with an LRI of lifetime 0 (RFC 6705 §4)" \
		eval "tshark -r $LAB_TMP/lma1-b.pcap -Y 'mip6.mhtype == 17 && ipv6.dst == ${ADDR[mag1]} && frame[64:2] == 00:00' 2>/dev/null | grep -q ."
	info "segments of the stream through LMA1 while MN1 was away: $(tcp_count "$LAB_TMP/lma1-b.pcap" 5011)"

	cap_start CAP5 ir lma1 "$LAB_TMP/lma1-c.pcap" ip6
	check "after the return, TCP MN1 -> MN2 (1 MB) again" exchange 5012 1000000
	sleep 1.2
	cap_stop "$CAP5"
	check "... crossing no LMA link" eval "[[ \$(tcp_count $LAB_TMP/lma1-c.pcap 5012) -eq 0 ]]"
}

if [[ $MODE == a11 ]]; then
	run_a11
else
	run_a12
fi

for n in mag1 mag2 mag3 lma1 lma2; do
	dmmd_stop "$n" >/dev/null 2>&1
done
check "after SIGTERM: no proto 0xd3 route, no rule, no TUN device in any namespace" lab_leftovers

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
