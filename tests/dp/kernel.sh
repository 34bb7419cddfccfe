#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel data plane (dataplane/kernel) on a PMIPv6-shaped network of
# namespaces, driven by build/dp-tool with the intents one binding makes.
#
#    ┌──────┐ acc      acc ┌───────┐ tr        tr ┌───────┐ cn        cn ┌──────┐
#    │  MN  │──────────────│  MAG  │══════════════│  LMA  │──────────────│  CN  │
#    └──────┘              └───────┘  IPv6-in-    └───────┘              └──────┘
#  2001:db8:100::10/64    fe80::1      IPv6      2001:db8:ff::2        2001:db8:c::2
#  (HNP 2001:db8:100::/64)  2001:db8:ff::1  (41)  2001:db8:c::1
#
# MAG: SRC HNP on link 1 -> ENCAP to LMA; DST HNP -> DECAP from LMA;
#      DST HNP -> DELIVER on link 1. Later a second access link acc2
#      (link 2, its peer in MN) carries the DELIVER intents of GP, and
#      the MAG a default route to the LMA, as a PMAG has: the blackhole
#      under a DELIVER route must stop the loop when acc2 goes.
# LMA: DST HNP -> ENCAP to MAG; SRC HNP -> DECAP from MAG.
# Neither gateway has any other route between MN and CN: only the tunnel
# connects them. DP_BENCH=1 also prints RTT and iperf3 figures, tunnel
# against plain forwarding in the same namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

DPTOOL=${DPTOOL:-build/dp-tool}
DP_BACKEND=kernel
HNP=2001:db8:100::/64
MN_ADDR=2001:db8:100::10
MAG_ADDR=2001:db8:ff::1
LMA_ADDR=2001:db8:ff::2
CN_ADDR=2001:db8:c::2

if [[ $(id -u) -ne 0 ]]; then
	echo "kernel-dp: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
. tests/kfeat.sh
kfeat_need_or_exit seg6 kernel-dp
[[ -x $DPTOOL ]] || {
	echo "kernel-dp: $DPTOOL missing (make build/dp-tool)"
	exit 1
}

dp_init kernel-dp
dp_ns MN
dp_ns MAG
dp_ns LMA
dp_ns CN
dp_link "$MN" acc "$MAG" acc
dp_link "$MAG" tr "$LMA" tr
dp_link "$LMA" cn "$CN" cn
# Room for the 40 bytes of the outer header, as an operator would give it
# (RFC 2473 §7), so that the tunnel and the plain path carry the same segments.
ip -n "$MAG" link set tr mtu 1600
ip -n "$LMA" link set tr mtu 1600

ip -n "$MN" addr add "$MN_ADDR/64" dev acc
ip -n "$MN" -6 route add default via fe80::1 dev acc
ip -n "$MAG" addr add fe80::1/64 dev acc
ip -n "$MAG" addr add "$MAG_ADDR/64" dev tr
ip -n "$LMA" addr add "$LMA_ADDR/64" dev tr
ip -n "$LMA" addr add 2001:db8:c::1/64 dev cn
ip -n "$CN" addr add "$CN_ADDR/64" dev cn
ip -n "$CN" -6 route add default via 2001:db8:c::1

out_has() {
	dp_wait_line "$DP_TMP/$1.out" "$2"
}

ours_gone() { # NS: no route or rule with our marker, local table at priority 0
	local r
	r=$(ip -n "$1" -6 route show proto 0xd3 table all)
	[[ -z $r ]] || {
		echo "routes left: $r"
		return 1
	}
	r=$(ip -n "$1" -6 rule show | grep -E 'proto (211|0xd3)')
	[[ -z $r ]] || {
		echo "rules left: $r"
		return 1
	}
	ip -n "$1" -6 rule show | grep -Eq '^0:[[:space:]]+from all lookup local' || {
		echo "local rule not at priority 0:"
		ip -n "$1" -6 rule show
		return 1
	}
}
has_ours() {
	[[ -n $(ip -n "$1" -6 route show proto 0xd3 table all) ]] &&
		ip -n "$1" -6 rule show | grep -Eq 'proto (211|0xd3)'
}
tunsrc_is() {
	ip -n "$1" sr tunsrc show | grep -q "tunsrc addr $2\$"
}

# A Mobility Header message (a BRR, RFC 6275 §6.1.2) from $1 to $3 in $2:
# the kernel fills in the checksum and the receiver's socket verifies it.
mh_reaches() { # FROM_NS TO_NS TO_ADDR
	local pid
	ip netns exec "$2" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
s.settimeout(3)
print("ready", flush=True)
d, a = s.recvfrom(100)
print("MH type", d[2], "from", a[0])
sys.exit(0 if d[2] == 0 else 1)' >"$DP_TMP/mh.out" 2>&1 &
	pid=$!
	# Send once the receiver's socket is open (Python starts slowly on an
	# emulated machine), not after a fixed pause.
	dp_wait_line "$DP_TMP/mh.out" '^ready' 10 >/dev/null
	ip netns exec "$1" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
s.sendto(bytes([59, 0, 0, 0, 0, 0, 0, 0]), (sys.argv[1], 0))' "$3"
	wait "$pid"
	local rc=$?
	cat "$DP_TMP/mh.out"
	return $rc
}

# counters_of NAME N: "packets=P bytes=B" of intent N from a fresh "counters".
counters_of() {
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
	echo "no counters line for intent $2:"
	tail -n +"$((start + 1))" "$f"
	return 1
}
counters_are() { # NAME N PACKETS BYTES
	local got
	got=$(counters_of "$1" "$2") || {
		echo "$got"
		return 1
	}
	echo "$1 intent $2: $got (want packets=$3 bytes=$4)"
	[[ $got == "packets=$3 bytes=$4" ]]
}
NFT_TABLE="inet dmm_211"
nft_table_gone() { # NS
	local t
	t=$(ip netns exec "$1" nft list tables 2>&1)
	echo "tables: $t"
	[[ $t != *dmm_* ]]
}
nft_table_there() { # NS
	ip netns exec "$1" nft list table $NFT_TABLE >/dev/null
}
nft_no_comment() { # NS COMMENT: no rule in our table carries it
	! ip netns exec "$1" nft list table $NFT_TABLE | grep -F "comment \"$2\""
}

# Capture on the MAG's transit link while pinging MN -> CN.
capture_ping() {
	local pid
	ip netns exec "$MAG" tcpdump -nn -U --immediate-mode -Z root -i tr -w "$DP_TMP/tr.pcap" ip6 2>"$DP_TMP/tcpdump.err" &
	pid=$!
	dp_wait_line "$DP_TMP/tcpdump.err" 'listening on' 5 >/dev/null
	ip netns exec "$MN" ping -6 -c 3 -i 0.2 -W 1 "$CN_ADDR" >/dev/null
	sleep 0.2
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
}
count_pcap() {
	tcpdump -nn -r "$DP_TMP/tr.pcap" "$1" 2>/dev/null | wc -l
}
wire_is_ip6ip6() {
	local up down srh
	up=$(count_pcap "ip6 src $MAG_ADDR and ip6 dst $LMA_ADDR and ip6[6] == 41")
	down=$(count_pcap "ip6 src $LMA_ADDR and ip6 dst $MAG_ADDR and ip6[6] == 41")
	srh=$(count_pcap "ip6[6] == 43")
	tcpdump -nn -r "$DP_TMP/tr.pcap" 2>/dev/null | head -n 4
	echo "uplink ip6ip6 $up, downlink ip6ip6 $down, with a routing header $srh"
	[[ $up -ge 3 && $down -ge 3 && $srh -eq 0 ]]
}

echo "kernel-dp: MN=$MN MAG=$MAG LMA=$LMA CN=$CN"

dp_check "MN -> CN unreachable before any intent" ping_fails "$MN" "$CN_ADDR"

start_dp mag "$MAG" --local "$MAG_ADDR" --link 1=acc --link 2=acc2
start_dp lma "$LMA" --local "$LMA_ADDR"
dp_cmd mag "install up src $HNP encap peer $LMA_ADDR link 1"
dp_cmd mag "install dn dst $HNP decap peer $LMA_ADDR"
dp_cmd mag "install acc dst $HNP deliver link 1"
dp_cmd lma "install dn dst $HNP encap peer $MAG_ADDR"
dp_cmd lma "install up src $HNP decap peer $MAG_ADDR"
dp_check "MAG installs its three intents" out_has mag '^ok 3 '
dp_check "LMA installs its two intents" out_has lma '^ok 2 '
dp_check "tunnel source is the MAG address" tunsrc_is "$MAG" "$MAG_ADDR"

dp_check "ping MN -> CN through the tunnel" ping_ok "$MN" "$CN_ADDR"
dp_check "ping CN -> MN through the tunnel" ping_ok "$CN" "$MN_ADDR"
# Both pings: 3 requests and 3 replies each way, 104-byte IPv6 packets
# (40 + 8 ICMPv6 + 56 data); tunnelled bytes are counted without the outer header.
dp_check "counters: MAG SRC ENCAP = 6 uplink packets" counters_are mag 1 6 624
dp_check "counters: MAG DST DECAP = 6 downlink packets" counters_are mag 2 6 624
dp_check "counters: MAG DST DELIVER = 6 downlink packets" counters_are mag 3 6 624
dp_check "counters: LMA DST ENCAP = 6 downlink packets" counters_are lma 1 6 624
dp_check "counters: LMA SRC DECAP = 6 uplink packets" counters_are lma 2 6 624
capture_ping
dp_check "wire: IPv6-in-IPv6 between the tunnel addresses, no SRH" wire_is_ip6ip6
dp_check "ping LMA -> MAG tunnel address while decap is installed" ping_ok "$LMA" "$MAG_ADDR"
dp_check "ping MAG -> LMA tunnel address while decap is installed" ping_ok "$MAG" "$LMA_ADDR"
dp_check "MH LMA -> MAG tunnel address while decap is installed" mh_reaches "$LMA" "$MAG" "$MAG_ADDR"
dp_check "MH MAG -> LMA tunnel address while decap is installed" mh_reaches "$MAG" "$LMA" "$LMA_ADDR"
dp_check "ping MN -> MAG itself (SRC rule after local delivery)" ping_ok "$MN" "$MAG_ADDR"
# Since then: 3 more each way in capture_ping, none for the gateways' own
# pings and MH or the MN's ping to the MAG (neither tunnelled nor forwarded).
dp_check "counters: MAG SRC ENCAP counts the captured pings only" counters_are mag 1 9 936
dp_check "counters: MAG DST DELIVER counts the captured pings only" counters_are mag 3 9 936
dp_check "counters: LMA DST ENCAP counts the captured pings only" counters_are lma 1 9 936

# Counters are set elements; a second intent with the same key (kind,
# prefix) gets a rule of its own. Both count what arrives for the prefix.
nft_elem_has() { # NS SET COMMENT
	ip netns exec "$1" nft list set $NFT_TABLE "$2" | grep -F "comment \"$3\""
}
nft_rules_are() { # NS N: that many counting rules of their own in the table
	local n
	n=$(ip netns exec "$1" nft list table $NFT_TABLE | grep -c ' counter packets .* comment "dmm [0-9]*" *$')
	echo "counting rules: $n (want $2)"
	[[ $n -eq $2 ]]
}
BH=2001:db8:300::/64
dp_cmd lma "install d1 dst $BH drop prec 10"
dp_cmd lma "install d2 dst $BH buffer prec 20"
dp_check "LMA installs a DROP and a BUFFER of the same prefix" out_has lma '^ok 4 '
dp_check "LMA: the ENCAP, DECAP and DROP counters are set elements" \
	eval 'nft_elem_has "$LMA" encap_dst_64 "dmm 1" && nft_elem_has "$LMA" decap_src_64 "dmm 2" && nft_elem_has "$LMA" drop_dst_64 "dmm 3"'
dp_check "LMA: only the BUFFER of the same key has a rule of its own" nft_rules_are "$LMA" 1
dp_check "CN -> blackholed prefix fails" ping_fails "$CN" 2001:db8:300::1
dp_check "counters: LMA DST DROP (element) = 2 packets" counters_are lma 3 2 208
dp_check "counters: LMA DST BUFFER (rule) = 2 packets" counters_are lma 4 2 208
dp_cmd lma "remove 3"
dp_check "LMA removes the DROP" out_has lma '^ok removed 3'
dp_check "LMA: its element went with it" eval '! nft_elem_has "$LMA" drop_dst_64 "dmm 3"'
dp_check "CN -> blackholed prefix still fails" ping_fails "$CN" 2001:db8:300::1
dp_check "counters: LMA DST BUFFER (rule) = 4 packets" counters_are lma 4 4 416
dp_cmd lma "remove 4"
dp_check "LMA removes the BUFFER" out_has lma '^ok removed 4'
dp_check "LMA: its rule went with it" nft_rules_are "$LMA" 0

# The blackhole under every DELIVER route (docs/dmm-protocol.md §12,
# "Reactive reordering"): when the access link goes, the kernel deletes
# "P dev link" with it; without the blackhole P's packets would take the
# MAG's default route to the LMA, which tunnels them back, round and round.
GP=2001:db8:400::/64
GP2=2001:db8:401::/64
guards_of() { # NS PREFIX: how many of our blackholes at metric 1025 PREFIX has
	local r
	r=$(ip -n "$1" -6 route show "$2")
	echo "routes of $2: ${r:-none}" >&2
	grep -Ec "^blackhole $2 dev lo proto (211|0xd3) metric 1025 " <<<"$r"
}
guarded() { [[ $(guards_of "$1" "$2") -eq 1 ]]; }
unguarded() { [[ $(guards_of "$1" "$2") -eq 0 ]]; }
route_of() { # NS PREFIX REGEX: a route of PREFIX matches
	ip -n "$1" -6 route show "$2" | grep -E "$3"
}
only_guard() { # NS PREFIX: the blackhole is the only route of PREFIX
	local n
	guarded "$1" "$2" || return 1
	n=$(ip -n "$1" -6 route show "$2" | wc -l)
	echo "routes: $n (want 1)"
	[[ $n -eq 1 ]]
}
no_route_of() { # NS PREFIX
	local r
	r=$(ip -n "$1" -6 route show "$2")
	echo "routes of $2: ${r:-none}"
	[[ -z $r ]]
}
dp_link "$MAG" acc2 "$MN" acc2
ip -n "$MAG" -6 route add default via "$LMA_ADDR"
dp_cmd mag "install g1 dst $GP deliver link 2"
dp_cmd mag "install g2 dst $GP deliver link 2 prec 10"
dp_check "MAG installs two DELIVERs of GP" out_has mag '^ok 5 '
dp_check "MAG: GP has both link routes" \
	eval 'route_of "$MAG" $GP "^$GP dev acc2 proto (211|0xd3) metric 1 " && route_of "$MAG" $GP "^$GP dev acc2 proto (211|0xd3) metric 11 "'
dp_check "MAG: and one blackhole at metric 1025 under them" guarded "$MAG" $GP
dp_check "MAG: the DELIVER of HNP has its blackhole too" guarded "$MAG" $HNP
dp_cmd mag "remove 4"
dp_check "MAG removes one DELIVER of GP" out_has mag '^ok removed 4'
dp_check "MAG: the blackhole stays while a DELIVER of GP remains" guarded "$MAG" $GP
dp_cmd mag "replace 5 gdrop dst $GP drop prec 10"
dp_check "MAG replaces the DELIVER of GP by a DROP" out_has mag '^ok replaced 5 hint=gdrop'
dp_check "MAG: a replace out of DELIVER takes the blackhole" \
	eval 'unguarded "$MAG" $GP && route_of "$MAG" $GP "^blackhole $GP .*metric 11 "'
dp_cmd mag "replace 5 gback dst $GP deliver link 2 prec 10"
dp_check "MAG replaces the DROP by a DELIVER again" out_has mag '^ok replaced 5 hint=gback'
dp_check "MAG: a replace into DELIVER puts the blackhole back" guarded "$MAG" $GP
dp_cmd mag "replace 5 gmove dst $GP2 deliver link 2 prec 10"
dp_check "MAG replaces the DELIVER of GP by one of GP2" out_has mag '^ok replaced 5 hint=gmove'
dp_check "MAG: the blackhole moves with the prefix" eval 'unguarded "$MAG" $GP && guarded "$MAG" $GP2'
dp_cmd mag "replace 5 ghome dst $GP deliver link 2 prec 10"
dp_check "MAG replaces it by a DELIVER of GP again" out_has mag '^ok replaced 5 hint=ghome'
dp_check "MAG: the blackhole moves back" eval 'guarded "$MAG" $GP && unguarded "$MAG" $GP2'
dp_cmd lma "install ge dst $GP encap peer $MAG_ADDR"
dp_check "LMA tunnels GP to the MAG" out_has lma '^ok 5 '
ip -n "$MAG" link del acc2
dp_check "MAG: with acc2 gone the blackhole alone is left of GP" only_guard "$MAG" $GP
dp_check "MAG -> GP has no route out" ping_fails "$MAG" 2001:db8:400::1
dp_check "CN -> GP fails" ping_fails "$CN" 2001:db8:400::1
dp_check "counters: LMA DST ENCAP of GP saw each ping once (no loop)" counters_are lma 5 2 208
dp_cmd lma "remove 5"
dp_check "LMA removes its ENCAP of GP" out_has lma '^ok removed 5'
dp_cmd mag "remove 5"
dp_check "MAG removes the last DELIVER of GP" out_has mag '^ok removed 5'
dp_check "MAG: no route of GP is left" no_route_of "$MAG" $GP
ip -n "$MAG" -6 route del default via "$LMA_ADDR"

if [[ ${DP_BENCH:-0} == 1 ]]; then
	ip netns exec "$MN" ping -6 -c 200 -i 0.005 -q "$CN_ADDR" | tail -n 1 >"$DP_TMP/rtt.tunnel"
	ip netns exec "$CN" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	sleep 0.5
	ip netns exec "$MN" iperf3 -c "$CN_ADDR" -p 5201 -t 5 -J >"$DP_TMP/iperf.tunnel" 2>&1
	wait $! 2>/dev/null
fi

# The uplink counter as it stands before the removal (the bench has moved it).
UL_BEFORE="packets=9 bytes=936"
[[ ${DP_BENCH:-0} == 1 ]] && UL_BEFORE=$(counters_of lma 2)
dp_cmd lma "remove 1"
dp_check "LMA removes the downlink encap" out_has lma '^ok removed 1'
dp_check "LMA: its counter went with it" nft_no_comment "$LMA" "dmm 1"
# shellcheck disable=SC2086 # two words on purpose
dp_check "LMA: the uplink counter is untouched by the removal" \
	counters_are lma 2 $(echo "$UL_BEFORE" | sed -E 's/packets=([0-9]+) bytes=([0-9]+)/\1 \2/')
dp_check "CN -> MN fails without the downlink encap" ping_fails "$CN" "$MN_ADDR"

stop_dp mag
stop_dp lma
dp_check "MAG: nothing of ours after close" ours_gone "$MAG"
dp_check "LMA: nothing of ours after close" ours_gone "$LMA"
dp_check "MAG: tunnel source restored" tunsrc_is "$MAG" "::"
dp_check "MAG: counter table gone after close" nft_table_gone "$MAG"
dp_check "LMA: counter table gone after close" nft_table_gone "$LMA"
dp_check "MN -> CN unreachable after close" ping_fails "$MN" "$CN_ADDR"

# A crash leaves everything behind; the next open() removes it.
start_dp crash "$LMA" --local "$LMA_ADDR"
dp_cmd crash "install dn dst $HNP encap peer $MAG_ADDR"
dp_cmd crash "install up src $HNP decap peer $MAG_ADDR"
dp_cmd crash "install dr src 2001:db8:200::/64 drop"
# No link table here: the link is the interface index (cn's).
dp_cmd crash "install dl dst $GP deliver link $(ip -n "$LMA" -o link show cn | cut -d: -f1)"
out_has crash '^ok 4 ' >/dev/null
kill -9 "${DPPID[crash]}"
wait "${DPPID[crash]}" 2>/dev/null
close_in crash
dp_check "kill -9 leaves routes and rules behind" has_ours "$LMA"
dp_check "kill -9 leaves the blackhole under the DELIVER behind" guarded "$LMA" $GP
# The table is owned by the process's netlink socket: the kernel removed it.
dp_check "kill -9 leaves no counter table behind" nft_table_gone "$LMA"
start_dp again "$LMA" --local "$LMA_ADDR"
dp_check "restarted dp-tool opens" out_has again '^ok open'
dp_check "open() removed the leftovers" ours_gone "$LMA"
dp_cmd again "install up src $HNP decap peer $MAG_ADDR"
dp_check "restarted dp-tool installs again" out_has again '^ok 1 '
dp_check "restarted dp-tool counts again" nft_table_there "$LMA"
dp_check "counters of the new intent start at 0" counters_are again 1 0 0
# End of input: it keeps serving until SIGTERM, then closes.
close_in again
sleep 0.3
kill -TERM "${DPPID[again]}"
wait "${DPPID[again]}" 2>/dev/null
dp_check "SIGTERM closes and removes everything" ours_gone "$LMA"

if [[ ${DP_BENCH:-0} == 1 ]]; then
	ip -n "$MAG" -6 route add default via "$LMA_ADDR"
	ip -n "$MAG" -6 route add "$HNP" dev acc
	ip -n "$LMA" -6 route add "$HNP" via "$MAG_ADDR"
	ip netns exec "$MN" ping -6 -c 200 -i 0.005 -q "$CN_ADDR" | tail -n 1 >"$DP_TMP/rtt.plain"
	ip netns exec "$CN" iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
	sleep 0.5
	ip netns exec "$MN" iperf3 -c "$CN_ADDR" -p 5202 -t 5 -J >"$DP_TMP/iperf.plain" 2>&1
	wait $! 2>/dev/null
	echo "bench: RTT MN->CN tunnel: $(cat "$DP_TMP/rtt.tunnel")"
	echo "bench: RTT MN->CN plain:  $(cat "$DP_TMP/rtt.plain")"
	t=$(jq '.end.sum_received.bits_per_second' "$DP_TMP/iperf.tunnel" 2>/dev/null)
	p=$(jq '.end.sum_received.bits_per_second' "$DP_TMP/iperf.plain" 2>/dev/null)
	echo "bench: iperf3 MN->CN tunnel $t bit/s, plain $p bit/s, ratio $(awk -v t="$t" -v p="$p" 'BEGIN { if (p > 0) printf "%.3f", t / p; else print "?" }')"
fi

dp_summary kernel-dp
