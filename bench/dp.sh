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
# (iperf3, host -> CN) as veths come (no GRO) and again with GRO on the
# core link's veths (as physical NICs have it by default), ping RTT host
# -> CN; and each figure's ratio to plain forwarding. The small-packet load is build/udp-blast (sendmmsg, 64
# datagrams per call, unpaced; the receiver counts with recvmmsg): the
# kernel's packet generator (pktgen) needs /proc/net/pktgen, which this
# kernel does not have (no modules, not built in).
#
# The core link's MTU is 1600 for every path: the kernel backend
# encapsulates 1500-byte inner packets (tests/dp/user.sh); the user
# backend's TUN has MTU 1460 and the host learns it by Packet Too Big.
#
# With FILL=N (default 100000) each backend of FILL_BACKENDS (default
# "kernel bpf") is measured a second time, row "BACKEND+N", with N more
# intents installed in each gateway before the binding's (dp-tool fill):
# in the LMA those of N/2 other bindings (DST 3fff:0:X::/64 -> ENCAP MAG,
# SRC 3fff:1:X::/64 <- DECAP MAG), in the MAG those of N/3 other bindings
# (SRC 3fff:1:X::/64 link 1 -> ENCAP LMA, DST 3fff:0:X::/64 <- DECAP LMA,
# DST 3fff:0:X::/64 -> DELIVER link 1). The measured binding is installed
# last: among intents of one kind, its packets are the last to match
# (the kernel backend's SRC rules are walked in install order).
#
#   bench/dp.sh [SECONDS]       (default 3 per figure; a run takes a few minutes)
#   BACKENDS="kernel user" FILL=0 bench/dp.sh
#
# Then the time to install an intent through each backend's install
# operation (build/dp-install: INSTALL_N DST ENCAP intents of distinct
# /64s, default 10000, in a namespace of its own, one at a time and in
# bursts of 32 between begin() and commit(); INSTALL_N=0 skips it).
#
# It prints figures and never fails on them; it fails only when a path
# cannot be set up.
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

SECS=${1:-3}
# Every backend dp-tool knows; one word per backend.
BACKENDS=${BACKENDS:-kernel user bpf}
FILL=${FILL:-100000}
FILL_BACKENDS=${FILL_BACKENDS:-kernel bpf}
# The kernel backend needs SRv6 (tests/kfeat.sh): on a kernel without it its
# rows are left out, and said so.
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
if [[ " $BACKENDS $FILL_BACKENDS " == *" kernel "* ]] && kfeat_lacks seg6 "bench-dp kernel" >&2; then
	BACKENDS=$(echo " $BACKENDS " | sed 's/ kernel / /; s/^ *//; s/ *$//')
	FILL_BACKENDS=$(echo " $FILL_BACKENDS " | sed 's/ kernel / /; s/^ *//; s/ *$//')
fi
INSTALL_N=${INSTALL_N:-10000}
DP_TOOL=${DP_TOOL:-build/dp-tool}
DP_INSTALL=${DP_INSTALL:-build/dp-install}
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
# N more intents in each gateway (FILL above), before the binding's.
dp_fill() { # BACKEND N
	local l=$(($2 / 2)) m=$(($2 / 3)) t0=$SECONDS
	cmd LMA "fill $l dst 3fff::/32 encap peer $MAG_A"
	cmd LMA "fill $(($2 - l)) src 3fff:1::/32 decap peer $MAG_A"
	cmd MAG "fill $m src 3fff:1::/32 encap peer $LMA_A link 1"
	cmd MAG "fill $m dst 3fff::/32 decap peer $LMA_A"
	cmd MAG "fill $(($2 - 2 * m)) dst 3fff::/32 deliver link 1"
	for n in LMA MAG; do
		for _ in $(seq 6000); do
			[[ $(grep -c '^ok filled' "$DP_TMP/$n.out") -ge $([[ $n == LMA ]] && echo 2 || echo 3) ]] && break
			grep -q '^error' "$DP_TMP/$n.out" && break
			sleep 0.1
		done
		[[ $(grep -c '^ok filled' "$DP_TMP/$n.out") -ge $([[ $n == LMA ]] && echo 2 || echo 3) ]] || {
			echo "bench-dp: backend $1: fill refused in the $n:"; grep -v '^ok' "$DP_TMP/$n.out" | head; return 1; }
	done
	echo "  $1: $2 intents in each gateway in $((SECONDS - t0)) s ($(grep -h '^ok filled' "$DP_TMP/LMA.out" "$DP_TMP/MAG.out" | awk '{printf "%s%s ms", s, $5; s=", "}'))" >&2
}
dp_up() { # BACKEND [FILL]
	start_dp MAG "$1" $MAG_A --link 1=link1
	start_dp LMA "$1" $LMA_A
	dp_wait_line "$DP_TMP/MAG.out" '^ok open' 10 >/dev/null && dp_wait_line "$DP_TMP/LMA.out" '^ok open' 10 >/dev/null || {
		echo "bench-dp: backend $1 does not open:"; cat "$DP_TMP/MAG.out" "$DP_TMP/LMA.out"; return 1; }
	if [[ ${2:-0} -gt 0 ]]; then dp_fill "$1" "$2" || return 1; fi
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
# Generic receive offload on a veth (SIOCETHTOOL ETHTOOL_SGRO; ethtool is
# not a dependency): off by default on veth, on by default on physical NICs.
gro() { # NS IFNAME on|off
	ip netns exec "$1" /usr/bin/python3 -c '
import array, fcntl, socket, struct, sys
v = array.array("B", struct.pack("II", 0x2c, sys.argv[2] == "on"))
fcntl.ioctl(socket.socket(), 0x8946, struct.pack("16sP", sys.argv[1].encode(), v.buffer_info()[0]))' "$2" "$3"
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
	gro "$MAG" core0 on && gro "$LMA" core0 on && R[$1,tcpgro]=$(m_tcp)
	gro "$MAG" core0 off
	gro "$LMA" core0 off
	printf '  %-8s udp1 %s pps, udp64 %s pps, tcp %s Gb/s (core GRO on: %s), rtt %s ms\n' "$1" "${R[$1,udp1]:-?}" \
		"${R[$1,udp64]:-?}" "${R[$1,tcp]:-?}" "${R[$1,tcpgro]:-?}" "${R[$1,rtt]:-?}" >&2
}

echo "bench-dp: ${SECS}s per figure; load: udp-blast (sendmmsg), iperf3, ping; paths: plain $BACKENDS;" \
	"again with $FILL more intents: $FILL_BACKENDS" >&2
plain_up
measure plain
plain_down
# Plain forwarding again just before each path (REPLAIN=1, the default):
# on a shared machine the load moves within a run, and each ratio is to
# the plain figures measured next to it.
REPLAIN=${REPLAIN:-1}
PATHS=plain
path() { # NAME BACKEND [FILL]
	if [[ $REPLAIN == 1 ]]; then
		plain_up
		measure "plain@$1"
		plain_down
	fi
	dp_up "$2" "${3:-0}" || exit 1
	measure "$1"
	dp_down
	PATHS+=" $1"
}
for be in $BACKENDS; do
	path "$be" "$be"
	[[ $FILL -gt 0 && " $FILL_BACKENDS " == *" $be "* ]] && path "$be+$FILL" "$be" "$FILL"
done

ratio() { # PATH KEY: to the plain figure measured next to it
	local v=${R[$1,$2]:-} p=${R[plain@$1,$2]:-${R[plain,$2]:-}}
	[[ -n $v && -n $p ]] && awk -v v="$v" -v p="$p" 'BEGIN { if (p > 0) printf "%.2f", v / p; else print "-" }' || echo -
}
echo
echo "| path | UDP 64 B, 1 flow (pps) | ratio | UDP 64 B, 64 flows (pps) | ratio | TCP bulk (Gb/s) | ratio | TCP, core GRO (Gb/s) | ratio | ping RTT (ms) | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
rows=
for p in $PATHS; do
	[[ $p != plain && -n ${R[plain@$p,udp1]+x} ]] && rows+=" plain@$p"
	rows+=" $p"
done
for p in $rows; do
	echo "| $p | ${R[$p,udp1]:-?} | $(ratio "$p" udp1) | ${R[$p,udp64]:-?} | $(ratio "$p" udp64) |" \
		"${R[$p,tcp]:-?} | $(ratio "$p" tcp) | ${R[$p,tcpgro]:-?} | $(ratio "$p" tcpgro) | ${R[$p,rtt]:-?} | $(ratio "$p" rtt) |"
done

# Install time per intent, each backend in its own fresh namespace.
[[ $INSTALL_N -gt 0 && -x $DP_INSTALL ]] || exit 0
echo
echo "| backend | intents | install (µs each) | remove (µs each) | counters read (µs each) |"
echo "|---|---|---|---|---|"
# Each backend one intent at a time, then in bursts of 32 between begin() and commit(), as dmmd
# drives it per burst of Mobility Headers (a backend without begin/commit: the same as one at a time).
for be in $BACKENDS; do
	for batch in 0 32; do
		dp_ns "INST_$be"
		ns=INST_$be
		ip -n "${!ns}" addr add 2001:db8:ff::1/128 dev lo nodad
		ip netns exec "${!ns}" "$DP_INSTALL" "$be" --local 2001:db8:ff::1 "$INSTALL_N" "$batch" 2>&1 |
			awk -v be="$be" -v batch="$batch" '/^install/ {
				match($0, /[0-9]+ ns per install/); i = substr($0, RSTART, RLENGTH) + 0
				match($0, /[0-9]+ ns per remove/); r = substr($0, RSTART, RLENGTH) + 0
				match($0, /[0-9]+ ns per counters/); c = substr($0, RSTART, RLENGTH) + 0
				printf "| %s%s | %s | %.2f | %.2f | %.2f |\n", be, (batch > 0 ? " (bursts of " batch ")" : ""), $3, i / 1000, r / 1000, c / 1000; ok = 1 }
				END { if (!ok) printf "| %s | ? | ? | ? | ? |\n", be }'
		ip netns del "${!ns}"
	done
done
