#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the kernel data plane's per-intent counters cost a packet: flood-ping
# RTT MN -> CN through the tunnel of tests/dp/kernel.sh (MN - MAG = LMA - CN),
# first with only that binding's intents, then with EXTRA more mobile nodes
# on both gateways (2 intents each at the LMA: DST ENCAP, SRC DECAP; 3 at the
# MAG: SRC ENCAP, DST DECAP, DST DELIVER), and how long those installs took.
# Then what reading one counter costs among 10^3 to 10^6 intents
# (READ_SIZES; build/kdp-counters in a namespace of its own): each read is
# one GETSETELEM for the intent's key, beside one dump of the whole set per
# element, the way counters were read before (O(n^2) in the kernel; only
# up to DUMP_MAX intents). Prints figures; never fails on speed. Needs root.
#
#   [EXTRA=1000] [COUNT=20000] [READ_SIZES="1000 100000 1000000"] [DUMP_MAX=100000]
#   bench/kernel-counters.sh
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

B=${BUILD:-build}
EXTRA=${EXTRA:-1000}
COUNT=${COUNT:-20000}
HNP=2001:db8:100::/64
MAG_ADDR=2001:db8:ff::1
LMA_ADDR=2001:db8:ff::2
CN_ADDR=2001:db8:c::2

[[ $(id -u) -eq 0 ]] || {
	echo "kernel-counters: needs root" >&2
	exit 1
}
make -s "$B/dp-tool" "$B/kdp-counters" || exit 1

dp_init kernel-counters
dp_ns MN
dp_ns MAG
dp_ns LMA
dp_ns CN
dp_link "$MN" acc "$MAG" acc
dp_link "$MAG" tr "$LMA" tr
dp_link "$LMA" cn "$CN" cn
ip -n "$MAG" link set tr mtu 1600
ip -n "$LMA" link set tr mtu 1600
ip -n "$MN" addr add 2001:db8:100::10/64 dev acc
ip -n "$MN" -6 route add default via fe80::1 dev acc
ip -n "$MAG" addr add fe80::1/64 dev acc
ip -n "$MAG" addr add "$MAG_ADDR/64" dev tr
ip -n "$LMA" addr add "$LMA_ADDR/64" dev tr
ip -n "$LMA" addr add 2001:db8:c::1/64 dev cn
ip -n "$CN" addr add "$CN_ADDR/64" dev cn
ip -n "$CN" -6 route add default via 2001:db8:c::1

declare -A FD
start() { # NAME NS ARGS...
	local name=$1 ns=$2 fd
	shift 2
	mkfifo "$DP_TMP/$name.in"
	: >"$DP_TMP/$name.out"
	ip netns exec "$ns" "$B/dp-tool" kernel "$@" <"$DP_TMP/$name.in" >>"$DP_TMP/$name.out" 2>&1 &
	DP_PIDS+=("$!")
	exec {fd}>"$DP_TMP/$name.in"
	FD[$name]=$fd
	dp_wait_line "$DP_TMP/$name.out" '^(ok|error) open' >/dev/null
}
ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_n NAME N: until the N-th install has answered.
wait_n() {
	dp_wait_line "$DP_TMP/$1.out" "^(ok|error) $2 " 600 >/dev/null
}
rtt() {
	ip netns exec "$MN" ping -6 -f -c "$COUNT" -q "$CN_ADDR" | tail -n 1
}

start mag "$MAG" --local "$MAG_ADDR" --link 1=acc
start lma "$LMA" --local "$LMA_ADDR"
{
	echo "install up src $HNP encap peer $LMA_ADDR link 1"
	echo "install dn dst $HNP decap peer $LMA_ADDR"
	echo "install acc dst $HNP deliver link 1"
} >&"${FD[mag]}"
{
	echo "install dn dst $HNP encap peer $MAG_ADDR"
	echo "install up src $HNP decap peer $MAG_ADDR"
} >&"${FD[lma]}"
wait_n mag 3
wait_n lma 2
ip netns exec "$MN" ping -6 -c 2 -i 0.2 -q "$CN_ADDR" >/dev/null || echo "kernel-counters: no path MN -> CN" >&2
echo "kernel-counters: flood ping MN -> CN, $COUNT packets"
echo "  1 binding:             $(rtt)"

t0=$(ms)
for ((i = 0; i < EXTRA; i++)); do
	p=$(printf '2001:db8:%x:%x::/64' $((0x1000 + i / 65536)) $((i % 65536)))
	echo "install x dst $p encap peer $MAG_ADDR" >&"${FD[lma]}"
	echo "install x src $p decap peer $MAG_ADDR" >&"${FD[lma]}"
done
wait_n lma $((2 + 2 * EXTRA))
t1=$(ms)
for ((i = 0; i < EXTRA; i++)); do
	p=$(printf '2001:db8:%x:%x::/64' $((0x1000 + i / 65536)) $((i % 65536)))
	echo "install x src $p encap peer $LMA_ADDR link 1" >&"${FD[mag]}"
	echo "install x dst $p decap peer $LMA_ADDR" >&"${FD[mag]}"
	echo "install x dst $p deliver link 1" >&"${FD[mag]}"
done
wait_n mag $((3 + 3 * EXTRA))
t2=$(ms)
errs=$(cat "$DP_TMP/mag.out" "$DP_TMP/lma.out" | grep -c '^error')
echo "  installs: LMA $((2 * EXTRA)) in $((t1 - t0)) ms, MAG $((3 * EXTRA)) in $((t2 - t1)) ms, $errs errors"
echo "  +$EXTRA bindings:      $(rtt)"
t0=$(ms)
echo counters >&"${FD[mag]}"
dp_wait_line "$DP_TMP/mag.out" "^counters $((3 + 3 * EXTRA)) " 60 >/dev/null
t1=$(ms)
echo "  one counters sweep over the MAG's $((3 + 3 * EXTRA)) intents: $((t1 - t0)) ms," \
	"$(grep -c '^counters [0-9]* packets=' "$DP_TMP/mag.out") read, $(grep -c '^counters [0-9]* error' "$DP_TMP/mag.out") errors"
grep -E '^counters [13] ' "$DP_TMP/mag.out" | sed 's/^/  MAG /'

READ_SIZES=${READ_SIZES:-1000 100000 1000000}
[[ -n $READ_SIZES ]] || exit 0
dp_ns RD
dp_link "$RD" rd0 "$RD" rd1
ip -n "$RD" addr add 2001:db8:fe::1/64 dev rd0 nodad
ip netns exec "$RD" sysctl -qw net.ipv6.route.max_size=4194304
echo "kernel-counters: one counter read (GETSETELEM) among N intents, µs; one dump of the set, µs per element"
# shellcheck disable=SC2086
ip netns exec "$RD" "$B/kdp-counters" --local 2001:db8:fe::1 --peer 2001:db8:fe::2 \
	--dump-max "${DUMP_MAX:-100000}" $READ_SIZES | sed 's/^/  /'
