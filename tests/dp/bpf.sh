#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The eBPF data plane (dataplane/bpf) on a PMIPv6-shaped network of
# namespaces, driven by build/dp-tool with the intents one binding makes.
#
#    ┌──────┐ acc      acc ┌───────┐ tr        tr ┌───────┐ cn        cn ┌──────┐
#    │  MN  │──────────────│  MAG  │══════════════│  LMA  │──────────────│  CN  │
#    └──────┘              └───────┘  IPv6-in-    └───────┘              └──────┘
#  2001:db8:100::10/64    fe80::1      IPv6      2001:db8:ff::2        2001:db8:c::2
#  (HNP 2001:db8:100::/64)  2001:db8:ff::1  (41)  2001:db8:c::1
#
# MAG: SRC HNP on link 1 -> ENCAP to LMA; DST HNP -> DECAP from LMA;
#      DST HNP -> DELIVER on link 1.
# LMA: DST HNP -> ENCAP to MAG; SRC HNP -> DECAP from MAG.
# Neither gateway has a route between MN and CN: only the tunnel (and so
# only the TC program) connects them. The transit link keeps MTU 1500, so
# a 1500-byte packet draws the program's Packet Too Big.
#
# Checks: forwarding both ways, exact counters, the outer and inner
# headers on the wire as tshark decodes them (the user backend's bytes),
# Packet Too Big, TCP both ways with no checksum error, tunnelled packets
# from an unknown peer dropped and counted under id 0, DROP and BUFFER by
# precedence, replace, install time (build/dp-install), packets the gateways
# send themselves (the routes of DST prefixes), and that close, SIGTERM and a
# restart after SIGKILL leave no filter, qdisc, route or program behind.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

DPTOOL=${DPTOOL:-build/dp-tool}
DP_BACKEND=bpf
HNP=2001:db8:100::/64
MN_ADDR=2001:db8:100::10
MAG_ADDR=2001:db8:ff::1
LMA_ADDR=2001:db8:ff::2
CN_ADDR=2001:db8:c::2

if [[ $(id -u) -ne 0 ]]; then
	echo "bpf-dp: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
for t in tshark tcpdump iperf3 tc bpftool; do
	command -v "$t" >/dev/null || {
		echo "bpf-dp: $t missing: run make deps as root" >&2
		exit 1
	}
done
[[ -x $DPTOOL ]] || {
	echo "bpf-dp: $DPTOOL missing (make build/dp-tool)" >&2
	exit 1
}

dp_init bpf-dp
dp_ns MN
dp_ns MAG
dp_ns LMA
dp_ns CN
dp_link "$MN" acc "$MAG" acc
dp_link "$MAG" tr "$LMA" tr
dp_link "$LMA" cn "$CN" cn
ip -n "$MN" addr add "$MN_ADDR/64" dev acc
ip -n "$MN" -6 route add default via fe80::1 dev acc
ip -n "$MAG" addr add fe80::1/64 dev acc
ip -n "$MAG" addr add "$MAG_ADDR/64" dev tr
ip -n "$LMA" addr add "$LMA_ADDR/64" dev tr
ip -n "$LMA" addr add 2001:db8:c::1/64 dev cn
ip -n "$CN" addr add "$CN_ADDR/64" dev cn
ip -n "$CN" -6 route add default via 2001:db8:c::1

out_has() { dp_wait_line "$DP_TMP/$1.out" "$2" "${3:-5}"; }

counters_of() { # NAME N: "packets=P bytes=B" from a fresh "counters"
	local f=$DP_TMP/$1.out start line i
	start=$(wc -l <"$f")
	dp_cmd "$1" counters
	for ((i = 0; i < 100; i++)); do
		line=$(tail -n +"$((start + 1))" "$f" | grep -E "^counters $2 " | head -n 1)
		[[ -n $line ]] && {
			echo "${line#counters "$2" }"
			return 0
		}
		sleep 0.05
	done
	echo "no counters line for intent $2"
	return 1
}
counters_are() { # NAME N PACKETS BYTES
	local got
	got=$(counters_of "$1" "$2")
	echo "$1 intent $2: $got (want packets=$3 bytes=$4)"
	[[ $got == "packets=$3 bytes=$4" ]]
}
# Our filters (handle 0xd3, "dmm_ingress") on the interfaces of NS.
filters_of() {
	local d
	for d in $(ip -n "$1" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
		tc -n "$1" filter show dev "$d" ingress 2>/dev/null | grep -q dmm_ingress && echo "$d"
	done
}
prog_ids() { # NS: the ids of the programs our filters run
	local d
	for d in $(filters_of "$1"); do
		tc -n "$1" filter show dev "$d" ingress | sed -n 's/.* id \([0-9]*\) .*/\1/p'
	done | sort -u
}
nothing_left() { # NS [PROG-ID...]: no filter, no clsact qdisc, no route or program of ours
	local ns=$1 q f r
	shift
	f=$(filters_of "$ns")
	q=$(for d in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
		tc -n "$ns" qdisc show dev "$d" | grep clsact
	done)
	r=$(ip -n "$ns" -6 route show proto 211)
	echo "filters: '$f' clsact: '$q' routes: '$r'"
	[[ -z $f && -z $q && -z $r ]] || return 1
	for id in "$@"; do
		if bpftool prog show id "$id" >/dev/null 2>&1; then
			echo "program $id still loaded"
			return 1
		fi
	done
}

echo "bpf-dp: MN=$MN MAG=$MAG LMA=$LMA CN=$CN"
dp_check "MN -> CN unreachable before any intent" ping_fails "$MN" "$CN_ADDR"

start_dp mag "$MAG" --local "$MAG_ADDR" --link 1=acc
start_dp lma "$LMA" --local "$LMA_ADDR"
dp_cmd mag "install up src $HNP encap peer $LMA_ADDR link 1"
dp_cmd mag "install dn dst $HNP decap peer $LMA_ADDR"
dp_cmd mag "install acc dst $HNP deliver link 1"
dp_cmd lma "install dn dst $HNP encap peer $MAG_ADDR"
dp_cmd lma "install up src $HNP decap peer $MAG_ADDR"
dp_check "MAG installs its three intents" out_has mag '^ok 3 '
dp_check "LMA installs its two intents" out_has lma '^ok 2 '
dp_check "MAG: the program is on acc and tr (clsact ingress)" \
	eval '[[ $(filters_of "$MAG" | sort | tr "\n" " ") == "acc tr " ]]'
MAG_PROGS=$(prog_ids "$MAG")
LMA_PROGS=$(prog_ids "$LMA")

dp_check "ping MN -> CN through the tunnel" ping_ok "$MN" "$CN_ADDR"
dp_check "ping CN -> MN through the tunnel" ping_ok "$CN" "$MN_ADDR"
# 3 requests and 3 replies each way, 104-byte IPv6 packets; inner bytes.
dp_check "counters: MAG SRC ENCAP = 6 uplink packets" counters_are mag 1 6 624
dp_check "counters: MAG DST DECAP = 6 downlink packets" counters_are mag 2 6 624
dp_check "counters: MAG DST DELIVER = 6 downlink packets" counters_are mag 3 6 624
dp_check "counters: LMA DST ENCAP = 6 downlink packets" counters_are lma 1 6 624
dp_check "counters: LMA SRC DECAP = 6 uplink packets" counters_are lma 2 6 624
# A packet to the MAG's own address is not tunnelled (the program
# leaves it to the stack).
ip netns exec "$MN" ping -6 -c 3 -i 0.2 -W 1 "$MAG_ADDR" >/dev/null 2>&1
dp_check "ping LMA -> MAG tunnel address (not tunnelled)" ping_ok "$LMA" "$MAG_ADDR"
dp_check "counters: MAG SRC ENCAP still 6 (the MN's packets to the MAG not tunnelled)" counters_are mag 1 6 624

# Packets a gateway sends itself meet no ingress hook: the routes of the
# DST prefixes (dataplane/bpf/route.c) take them, with the program at
# their transmit. MAG -> MN: the DELIVER route; LMA -> MN: the ENCAP
# route encapsulates to the MAG, which decapsulates and delivers.
dp_check "MAG: route of the HNP (DELIVER on acc, BPF at transmit)" \
	bash -c "ip -n '$MAG' -6 route show proto 211 | tee /dev/stderr | grep -q '^$HNP .*encap bpf.*dev acc'"
dp_check "ping MAG -> MN (sent by the MAG itself)" ping_ok "$MAG" "$MN_ADDR"
dp_check "ping LMA -> MN (sent by the LMA itself, tunnelled)" ping_ok "$LMA" "$MN_ADDR"
dp_check "counters: LMA DST ENCAP = 6 + 3 requests of its own" counters_are lma 1 9 936
# The MAG's DELIVER also counted its 3 echo replies to the MN's pings of the MAG above.
dp_check "counters: MAG DST DELIVER = 6 + 3 replies + 3 of its own + 3 from the LMA" counters_are mag 3 15 1560

# The wire, as tshark decodes it: outer MAG <-> LMA, next header 41,
# hop limit 64, traffic class 0, flow label 0, payload length = inner
# length; inner hop limit 63 (decremented on entry, RFC 2473 §3.1).
# Captured where each packet arrives: between veths the program hands a
# packet straight to the peer's receive path (bpf_redirect_peer), which
# the sending side's capture does not see.
declare -A TCPD
for n in MAG LMA; do
	ip netns exec "${!n}" tcpdump -nn -U --immediate-mode -Z root -i tr -w "$DP_TMP/tr-$n.pcap" ip6 \
		2>"$DP_TMP/tcpdump-$n.err" &
	TCPD[$n]=$!
	DP_PIDS+=("$!")
	dp_wait_line "$DP_TMP/tcpdump-$n.err" 'listening on' 5 >/dev/null
done
ip netns exec "$MN" ping -6 -c 3 -i 0.2 -W 1 "$CN_ADDR" >/dev/null
sleep 0.3
for n in MAG LMA; do
	kill -INT "${TCPD[$n]}"
	wait "${TCPD[$n]}" 2>/dev/null
done
wire_ok() { # SRC DST TYPE INNER-SRC INNER-DST PCAP-OF
	local f n
	f=$(tshark -r "$DP_TMP/tr-$6.pcap" -Y "ipv6.src == $1 && ipv6.dst == $2 && icmpv6.type == $3" -T fields \
		-E separator=';' -e ipv6.nxt -e ipv6.hlim -e ipv6.tclass -e ipv6.flow -e ipv6.plen -e ipv6.src -e ipv6.dst 2>/dev/null)
	n=$(echo "$f" | grep -c .)
	echo "$n packets; nxt;hlim;tclass;flow;plen;src;dst, outer,inner:"
	echo "$f" | sort -u
	# Outer flow label 0 (the inner one is the host's own).
	[[ $n -ge 3 ]] && ! echo "$f" | grep -vE "^41,58;64,63;0x0+,0x[0-9a-f]+;0x0+,0x[0-9a-f]+;104,64;$1,$4;$2,$5\$"
}
dp_check "wire: MAG -> LMA IPv6-in-IPv6 (nh 41, hlim 64, tc 0, flow 0; inner hlim 63)" \
	wire_ok "$MAG_ADDR" "$LMA_ADDR" 128 "$MN_ADDR" "$CN_ADDR" LMA
dp_check "wire: LMA -> MAG IPv6-in-IPv6 (nh 41, hlim 64, tc 0, flow 0; inner hlim 63)" \
	wire_ok "$LMA_ADDR" "$MAG_ADDR" 129 "$CN_ADDR" "$MN_ADDR" MAG

# 1460 bytes fit the tunnel; 1500 draw a Packet Too Big (MTU 1460) from the MAG's program.
dp_check "ping MN -> CN with 1460-byte packets" ip netns exec "$MN" ping -6 -c 2 -i 0.2 -W 2 -s 1412 "$CN_ADDR"
ip netns exec "$MN" ping -6 -c 1 -W 1 -s 1452 "$CN_ADDR" >/dev/null 2>&1
dp_check "1500 bytes MN -> CN: Packet Too Big, the MN learnt MTU 1460" \
	bash -c "ip -n '$MN' -6 route get '$CN_ADDR' | tee /dev/stderr | grep -q 'mtu 1460'"
dp_check "1500 bytes MN -> CN pass as fragments after it" \
	ip netns exec "$MN" ping -6 -c 2 -i 0.2 -W 2 -s 1452 "$CN_ADDR"

tcp_ok() { # FROM-NS TO-NS TO-ADDR PORT
	ip netns exec "$2" timeout 15 iperf3 -s -1 -B "$3" -p "$4" >/dev/null 2>&1 &
	sleep 0.5
	ip netns exec "$1" timeout 15 iperf3 -c "$3" -p "$4" -t 2 -f m >"$DP_TMP/iperf.out" 2>&1 || {
		tail -5 "$DP_TMP/iperf.out"
		return 1
	}
	grep receiver "$DP_TMP/iperf.out"
}
csum_errors() {
	ip netns exec "$1" awk '
		$1 == "Tcp:" || $1 == "Udp:" {
			if (!($1 in col)) { for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") col[$1] = i; next }
			if (col[$1]) n += $(col[$1])
		}
		END { print n + 0 }' /proc/net/snmp
}
dp_check "TCP MN -> CN through the tunnel (iperf3 2 s, GSO)" tcp_ok "$MN" "$CN" "$CN_ADDR" 5201
dp_check "TCP CN -> MN through the tunnel (iperf3 2 s, GSO)" tcp_ok "$CN" "$MN" "$MN_ADDR" 5202
dp_check "no TCP or UDP checksum errors at the MN and the CN" \
	eval '[[ $(csum_errors "$MN") == 0 && $(csum_errors "$CN") == 0 ]]'

# Tunnelled packets from an unknown peer (the CN): dropped at the LMA, counted under id 0.
ip netns exec "$CN" /usr/bin/python3 - "$CN_ADDR" "$LMA_ADDR" "$MN_ADDR" <<'EOF' >"$DP_TMP/spoof.out" 2>&1
import sys
from scapy.all import IPv6, ICMPv6EchoRequest, send
cn, lma, mn = sys.argv[1:4]
send(IPv6(src=cn, dst=lma) / IPv6(src=mn, dst=cn) / ICMPv6EchoRequest(id=0x4242), count=3, verbose=0)
EOF
# counters(0) is the program's counter slot 0; dp-tool shows intents only, so bpftool reads it.
slot0_is() { # PROG-ID PACKETS BYTES
	local m got
	for m in $(bpftool -j prog show id "$1" | jq -r '.map_ids[]'); do
		[[ $(bpftool -j map show id "$m" | jq -r .name) == counters ]] || continue
		got=$(bpftool -j map lookup id "$m" key 0 0 0 0 | jq -r '"packets=\([.. | .packets? // empty] | add) bytes=\([.. | .bytes? // empty] | add)"')
		echo "slot 0: $got (want packets=$2 bytes=$3)"
		[[ $got == "packets=$2 bytes=$3" ]]
		return
	done
	echo "no counters map for program $1"
	return 1
}
dp_check "LMA: 3 tunnelled packets (88 bytes) from an unknown peer dropped, counted under id 0" \
	slot0_is "$LMA_PROGS" 3 264

# DROP and BUFFER of one prefix: the lower precedence wins; the DROP drops, the BUFFER holds
# (tests/dp/buffer.sh has the release); both count.
BH=2001:db8:300::/64
dp_cmd lma "install d1 dst $BH drop prec 10"
dp_cmd lma "install d2 dst $BH buffer prec 20"
dp_check "LMA installs a DROP and a BUFFER of the same prefix" out_has lma '^ok 4 '
dp_check "CN -> dropped prefix fails" ping_fails "$CN" 2001:db8:300::1
dp_check "counters: LMA DST DROP (precedence 10) = 2 packets" counters_are lma 3 2 208
dp_check "counters: LMA DST BUFFER (precedence 20) = 0" counters_are lma 4 0 0
dp_cmd lma "remove 3"
dp_check "LMA removes the DROP" out_has lma '^ok removed 3'
dp_check "CN -> prefix still fails (BUFFER holds and counts)" ping_fails "$CN" 2001:db8:300::1
dp_check "counters: LMA DST BUFFER = 2 packets" counters_are lma 4 2 208
dp_cmd lma "remove 4"

# Replace in one step: the downlink keeps its id, counts from 0.
dp_cmd lma "replace 1 dn2 dst $HNP encap peer $MAG_ADDR prec 1"
dp_check "LMA replaces the downlink encap" out_has lma '^ok replaced 1'
dp_check "ping CN -> MN after the replace" ping_ok "$CN" "$MN_ADDR"
dp_check "counters: the replaced downlink counts from 0 (3 replies)" counters_are lma 1 3 312
dp_cmd lma "remove 1"
dp_check "LMA removes the downlink encap" out_has lma '^ok removed 1'
dp_check "CN -> MN fails without it" ping_fails "$CN" "$MN_ADDR"

# Install time (goal 10 us): 10000 DST ENCAP intents installed, counted and
# removed through the ops alone (build/dp-install), in the CN's namespace.
# A figure, never a verdict; the check is that it ran and left nothing.
dp_check "dp-install: 10000 intents installed, read and removed" \
	bash -c "set -o pipefail; ip netns exec '$CN' ${DPINSTALL:-build/dp-install} bpf --local $CN_ADDR 10000 | tee '$DP_TMP/install.out'"
sed 's/^/  bench /' "$DP_TMP/install.out"
# The same in bursts of 32 between begin() and commit(), as dmmd drives it: the routes in one send.
dp_check "dp-install: 10000 intents in bursts of 32 installed, read and removed" \
	bash -c "set -o pipefail; ip netns exec '$CN' ${DPINSTALL:-build/dp-install} bpf --local $CN_ADDR 10000 32 | tee '$DP_TMP/install-burst.out'"
sed 's/^/  bench /' "$DP_TMP/install-burst.out"
dp_check "CN: nothing left after dp-install" nothing_left "$CN"

stop_dp mag
stop_dp lma
# shellcheck disable=SC2086 # one id per word
dp_check "MAG: no filter, qdisc or program of ours after close" nothing_left "$MAG" $MAG_PROGS
# shellcheck disable=SC2086
dp_check "LMA: no filter, qdisc or program of ours after close" nothing_left "$LMA" $LMA_PROGS
dp_check "MN -> CN unreachable after close" ping_fails "$MN" "$CN_ADDR"

# kill -9 leaves the filters (and so the program); the next open() replaces them, SIGTERM removes them.
start_dp crash "$LMA" --local "$LMA_ADDR"
dp_cmd crash "install dn dst $HNP encap peer $MAG_ADDR"
out_has crash '^ok 1 ' >/dev/null
CRASH_PROGS=$(prog_ids "$LMA")
kill -9 "${DPPID[crash]}"
wait "${DPPID[crash]}" 2>/dev/null
close_in crash
dp_check "kill -9 leaves our filters behind" eval '[[ -n $(filters_of "$LMA") ]]'
dp_check "kill -9 leaves the route of the DST prefix behind" eval '[[ -n $(ip -n "$LMA" -6 route show proto 211) ]]'
start_dp again "$LMA" --local "$LMA_ADDR"
dp_check "restarted dp-tool opens" out_has again '^ok open'
dp_check "open() removed the leftover route" eval '[[ -z $(ip -n "$LMA" -6 route show proto 211) ]]'
# The replaced program is freed by the kernel after its last reference
# goes (deferred): it is gone within a few seconds.
old_progs_gone() {
	local id t
	for t in $(seq 30); do
		for id in $CRASH_PROGS; do
			bpftool prog show id "$id" >/dev/null 2>&1 && break
			id=
		done
		[[ -z $id ]] && return 0
		sleep 0.1
	done
	return 1
}
dp_check "open() replaced the leftover filters: the old program is gone" old_progs_gone
close_in again
sleep 0.3
kill -TERM "${DPPID[again]}"
wait "${DPPID[again]}" 2>/dev/null
dp_check "SIGTERM closes and removes everything" nothing_left "$LMA"

dp_summary bpf-dp
