#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Data-plane benchmark (make bench-dp, root): plain forwarding and each
# data-plane backend over the same namespaces, in one run.
#
#   host ──h0──link1── MAG ──core0──core0── LMA ──cn0──cn0── CN
#   2001:db8:aa::1    fe80::1  2001:db8:1::1  2001:db8:1::2  2001:db8:2::2
#   (host prefix 2001:db8:aa::/64)                2001:db8:2::1
#
#   plain    MAG: default via LMA, prefix dev link1; LMA: prefix via MAG
#            (no tunnel)
#   BACKEND  build/dp-tool BACKEND in the MAG and the LMA with the
#            intents of one PMIPv6 binding (tests/dp/user.sh): LMA dst
#            prefix -> encap MAG, src prefix -> decap MAG; MAG src prefix
#            link 1 -> encap LMA, dst prefix -> decap LMA, dst prefix ->
#            deliver link 1. Host -> CN traffic crosses MAG encap and
#            LMA decap.
#
# For each path: small-packet rate (64-byte UDP payloads, packets per
# second received at the CN, 1 flow and 64 flows), TCP bulk throughput
# (iperf3, host -> CN), ping RTT host -> CN; and each figure's ratio to
# plain forwarding. The small-packet load is build/udp-blast (sendmmsg, 64
# datagrams per call, unpaced; the receiver counts with recvmmsg): the
# kernel's packet generator (pktgen) needs /proc/net/pktgen, which this
# kernel does not have (no modules, not built in).
#
# The core link's MTU is 1600 for every path: the kernel backend
# encapsulates 1500-byte inner packets (tests/dp/user.sh); the user
# backend's TUN has MTU 1460 and the host learns it by Packet Too Big.
#
#   bench/dp.sh [SECONDS]       (default 3 per figure; a run takes about a minute)
#   BACKENDS="kernel user" bench/dp.sh
#
# It prints figures and never fails on them; it fails only when a path
# cannot be set up.
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

SECS=${1:-3}
# Every backend dp-tool knows; one word per backend.
BACKENDS=${BACKENDS:-kernel user}
DP_TOOL=${DP_TOOL:-build/dp-tool}
BLAST=${BLAST:-build/udp-blast}
PFX=2001:db8:aa::/64
HOST_A=2001:db8:aa::1
MAG_A=2001:db8:1::1
LMA_A=2001:db8:1::2
CN_A=2001:db8:2::2

if [[ $(id -u) -ne 0 ]]; then
	echo "bench-dp: needs root (network namespaces)" >&2
	exit 1
fi
for t in "$DP_TOOL" "$BLAST"; do
	[[ -x $t ]] || { echo "bench-dp: $t missing; run make" >&2; exit 1; }
done
for t in iperf3 ping; do
	command -v $t >/dev/null || { echo "bench-dp: $t missing (make deps)" >&2; exit 1; }
done

dp_init bdp
dp_ns HOST
dp_ns MAG
dp_ns LMA
dp_ns CN
dp_link "$HOST" h0 "$MAG" link1
dp_link "$MAG" core0 "$LMA" core0
dp_link "$LMA" cn0 "$CN" cn0
ip -n "$MAG" link set core0 mtu 1600
ip -n "$LMA" link set core0 mtu 1600
ip -n "$HOST" addr add $HOST_A/64 dev h0 nodad
ip -n "$MAG" addr add fe80::1/64 dev link1 nodad
ip -n "$HOST" route add default via fe80::1 dev h0
ip -n "$MAG" addr add $MAG_A/64 dev core0 nodad
ip -n "$LMA" addr add $LMA_A/64 dev core0 nodad
ip -n "$LMA" addr add 2001:db8:2::1/64 dev cn0 nodad
ip -n "$CN" addr add $CN_A/64 dev cn0 nodad
ip -n "$CN" route add default via 2001:db8:2::1

# ---- paths ----

plain_up() {
	ip -n "$MAG" route add default via $LMA_A
	ip -n "$MAG" route add $PFX dev link1
	ip -n "$LMA" route add $PFX via $MAG_A
}
plain_down() {
	ip -n "$MAG" route del default via $LMA_A
	ip -n "$MAG" route del $PFX dev link1
	ip -n "$LMA" route del $PFX via $MAG_A
}

# dp-tool BACKEND in NODE, commands through a FIFO (tests/dp/user.sh).
start_dp() { # NODE-VAR BACKEND LOCAL [ARGS...]
	local node=$1 be=$2 local_a=$3 fd
	shift 3
	rm -f "$DP_TMP/$node.in"
	mkfifo "$DP_TMP/$node.in"
	exec {fd}<>"$DP_TMP/$node.in"
	printf -v "${node}_FD" '%s' "$fd"
	: >"$DP_TMP/$node.out"
	ip netns exec "${!node}" "$DP_TOOL" "$be" --local "$local_a" "$@" \
		<"$DP_TMP/$node.in" >"$DP_TMP/$node.out" 2>&1 &
	DP_PIDS+=("$!")
	printf -v "${node}_PID" '%s' "$!"
}
cmd() { local v=${1}_FD; echo "$2" >&"${!v}"; }
stop_dp() {
	local v=${1}_PID
	cmd "$1" close
	for _ in $(seq 50); do
		kill -0 "${!v}" 2>/dev/null || break
		sleep 0.1
	done
	kill "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
}
dp_up() { # BACKEND
	start_dp MAG "$1" $MAG_A --link 1=link1
	start_dp LMA "$1" $LMA_A
	dp_wait_line "$DP_TMP/MAG.out" '^ok open' 10 >/dev/null && dp_wait_line "$DP_TMP/LMA.out" '^ok open' 10 >/dev/null || {
		echo "bench-dp: backend $1 does not open:"; cat "$DP_TMP/MAG.out" "$DP_TMP/LMA.out"; return 1; }
	cmd LMA "install lma-dl dst $PFX encap peer $MAG_A"
	cmd LMA "install lma-ul src $PFX decap peer $MAG_A"
	cmd MAG "install mag-ul src $PFX encap peer $LMA_A link 1"
	cmd MAG "install mag-dl dst $PFX decap peer $LMA_A"
	cmd MAG "install mag-deliver dst $PFX deliver link 1"
	dp_wait_line "$DP_TMP/LMA.out" '^ok 2 ' 10 >/dev/null && dp_wait_line "$DP_TMP/MAG.out" '^ok 3 ' 10 >/dev/null || {
		echo "bench-dp: backend $1: intents refused:"; cat "$DP_TMP/MAG.out" "$DP_TMP/LMA.out"; return 1; }
}
dp_down() { stop_dp MAG; stop_dp LMA; }

# ---- measurements ----

# Ping RTT host -> CN, average in ms (the first pings settle neighbours and the path MTU).
m_rtt() {
	ip netns exec "$HOST" ping -c 3 -i 0.1 -W 1 $CN_A >/dev/null 2>&1
	ip netns exec "$HOST" ping -c 200 -i 0.005 -q $CN_A 2>/dev/null |
		sed -n 's/^rtt.* = [^/]*\/\([^/]*\)\/.*/\1/p'
}
# Datagrams per second received at the CN, FLOWS flows of 64-byte payloads.
m_udp() { # FLOWS
	local out="$DP_TMP/recv.out" pid
	ip netns exec "$CN" "$BLAST" recv --port 9000 --seconds "$SECS" >"$out" 2>&1 &
	pid=$!
	dp_wait_line "$out" '^ready' 5 >/dev/null
	ip netns exec "$HOST" "$BLAST" send --to $CN_A --port 9000 --flows "$1" --size 64 \
		--seconds "$((SECS + 1))" >"$DP_TMP/send.out" 2>&1
	wait "$pid"
	sed -n 's/.*pps=\([0-9]*\).*/\1/p' "$out"
}
# TCP bulk host -> CN, Gb/s at the receiver.
m_tcp() {
	ip netns exec "$CN" iperf3 -s -1 -B $CN_A -p 5299 >/dev/null 2>&1 &
	local pid=$!
	sleep 0.5
	ip netns exec "$HOST" iperf3 -c $CN_A -p 5299 -t "$SECS" -f g 2>/dev/null | awk '/receiver/ {print $7}'
	wait "$pid" 2>/dev/null
}

declare -A R
measure() { # PATH
	R[$1,rtt]=$(m_rtt)
	R[$1,udp1]=$(m_udp 1)
	R[$1,udp64]=$(m_udp 64)
	R[$1,tcp]=$(m_tcp)
	printf '  %-8s udp1 %s pps, udp64 %s pps, tcp %s Gb/s, rtt %s ms\n' "$1" "${R[$1,udp1]:-?}" \
		"${R[$1,udp64]:-?}" "${R[$1,tcp]:-?}" "${R[$1,rtt]:-?}" >&2
}

echo "bench-dp: ${SECS}s per figure; load: udp-blast (sendmmsg), iperf3, ping; paths: plain $BACKENDS" >&2
plain_up
measure plain
plain_down
for be in $BACKENDS; do
	dp_up "$be" || exit 1
	measure "$be"
	dp_down
done

ratio() { # PATH KEY
	local v=${R[$1,$2]:-} p=${R[plain,$2]:-}
	[[ -n $v && -n $p ]] && awk -v v="$v" -v p="$p" 'BEGIN { if (p > 0) printf "%.2f", v / p; else print "-" }' || echo -
}
echo
echo "| path | UDP 64 B, 1 flow (pps) | ratio | UDP 64 B, 64 flows (pps) | ratio | TCP bulk (Gb/s) | ratio | ping RTT (ms) | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for p in plain $BACKENDS; do
	echo "| $p | ${R[$p,udp1]:-?} | $(ratio "$p" udp1) | ${R[$p,udp64]:-?} | $(ratio "$p" udp64) |" \
		"${R[$p,tcp]:-?} | $(ratio "$p" tcp) | ${R[$p,rtt]:-?} | $(ratio "$p" rtt) |"
done
