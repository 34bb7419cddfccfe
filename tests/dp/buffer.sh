#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# BUFFER intents of a data plane backend (kernel, user or bpf: the first
# argument, default all three) hold a detached MN's downlink within their
# bounds and deliver it in order when forwarding to the MN exists again.
#
#    ┌──────┐ cn        cn ┌──────┐ acc      acc ┌──────┐
#    │  CN  │──────────────│  GW  │──────────────│  MN  │
#    └──────┘              └──────┘              └──────┘
#  2001:db8:c::2      2001:db8:c::1  fe80::1    2001:db8:100::10 (HNP /64)
#
# GW runs dp-tool BACKEND with small bounds and plays the anchor of the
# MN's prefix: DST HNP -> DELIVER on acc (attached), replaced in place by
# BUFFER (detached), then by DELIVER again (re-attached), the sequence a
# MAAR's anchor or an LMA's binding goes through (docs/dmmd.md).
#   order   probes at 1000/s run across a 300 ms detach: none lost,
#           none reordered, the held ones released
#   bound   a flood of 1200-byte packets to the detached MN: the held
#           packets and bytes stay within the bounds, the overflow is
#           counted as dropped, and dp-tool's resident memory grows by no
#           more than the bound (packets x pool slot) plus 1 MiB
#   age     packets older than the time bound are dropped, counted, and
#           not delivered
#   paths   (user, bpf) a BUFFER naming a peer releases the packets that
#           came decapsulated from it first (RFC 5949 §4.1: the PMAG's ahead
#           of those the LMA sends the new MAG straight); (user) with a
#           link it passes them at once and holds only the others
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

DPTOOL=${DPTOOL:-build/dp-tool}
TRAFFIC=${TRAFFIC:-build/lab-traffic}
BLAST=${BLAST:-build/udp-blast}
HNP=2001:db8:100::/64
MN_ADDR=2001:db8:100::10
CN_ADDR=2001:db8:c::2
BUF_PACKETS=1000
BUF_BYTES=600000 # 500 packets of 1200 bytes: the byte bound is the one the flood meets
BUF_MS=700
SLOT_KB=3 # a held packet's room in the pool, rounded up (2 KiB of data and its header)

if [[ $(id -u) -ne 0 ]]; then
	echo "buffer-dp: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
for t in "$DPTOOL" "$TRAFFIC"; do
	[[ -x $t ]] || {
		echo "buffer-dp: $t missing (make all)"
		echo "buffer-dp: 0 passed, 1 failed"
		exit 1
	}
done
BACKENDS=${1:-kernel user bpf}

dp_init buffer-dp

# bufstats NAME FIELD: FIELD of dp-tool NAME's last "bufstats" line, after asking for a new one.
bufstats() {
	local n
	n=$(grep -c '^bufstats' "$DP_TMP/$1.out")
	dp_cmd "$1" bufstats
	for _ in $(seq 100); do
		[[ $(grep -c '^bufstats' "$DP_TMP/$1.out") -gt $n ]] && break
		sleep 0.02
	done
	grep '^bufstats' "$DP_TMP/$1.out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# expect WHAT ACTUAL OP LIMIT: a numeric check that prints both sides.
expect() {
	echo "$1: $2 (want $3 $4)"
	[[ -n $2 ]] && test "$2" "$3" "$4"
}

jfield() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }

# two_paths BACKEND: a BUFFER naming a peer (include/dmm/fm.h; RFC 5949 §4.1 at the NMAG)
# releases what came decapsulated from that peer first. Peer B (the LMA, straight) sends probes
# 51-100 first, then peer A (the PMAG, the older path) probes 1-50; the MN must get 1-100 in order
# (in arrival order it would be 51-100, 1-50). Then with the MN's link on the BUFFER
# (DMM_FM_CAP_PASS): A's probes go on at once, only B's are held, and the MN still gets 1-100 in
# order. Last, the MN arriving (the BUFFER gains its link) while A's 1-30 and B's 61-100 are held:
# A's 1-30 go first, A's 31-60 pass, B's follow at the release. The user backend; the bpf one the
# first case (it has no DMM_FM_CAP_PASS); the kernel one keeps arrival order.
two_paths() {
	local dp=$1 A=2001:db8:c::a B=2001:db8:c::b
	ip -n "$CN" addr add "$A/64" dev cn nodad
	ip -n "$CN" addr add "$B/64" dev cn nodad
	dp_cmd "$dp" "install da dst $HNP decap peer $A"
	dp_cmd "$dp" "install db dst $HNP decap peer $B"
	two_paths_run "$dp" 7005 100 "held, the peer's released first" "peer $A" "b:51:100 a:1:50" "" "" 50
	[[ $dp == user ]] || return 0 # DMM_FM_CAP_PASS: the user backend's
	two_paths_run "$dp" 7006 50 "the peer's passed at once, the others held" "peer $A link 1" "b:51:100 a:1:50" \
		"" "" 0
	two_paths_run "$dp" 7007 40 "the MN arrives: the peer's held ones first, then the peer's pass" \
		"peer $A" "a:1:30 b:61:100" "peer $A link 1" "a:31:60" 0
	dp_cmd "$dp" "replace 1 a dst $HNP buffer peer $A link 1" # left passing: close removes its route
	sleep 0.1
}

# send_probes PORT SEGMENT...: IPv6-in-IPv6 from A (a:FROM:TO) or B (b:FROM:TO) to the MN, in
# order, each a UDP datagram whose payload is its number (a raw protocol-41 socket bound to A or B:
# the kernel writes the outer header, RFC 2473).
send_probes() {
	ip netns exec "$CN" /usr/bin/python3 -c '
import socket, struct, sys
gw, cn, mn, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
peer = {"a": "2001:db8:c::a", "b": "2001:db8:c::b"}
src, dst = socket.inet_pton(socket.AF_INET6, cn), socket.inet_pton(socket.AF_INET6, mn)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff or 0xffff
def inner(n):
    udp = struct.pack("!HHHH", port, port, 12, 0) + n.to_bytes(4, "big")
    c = csum(src + dst + struct.pack("!IxxxB", len(udp), 17) + udp)
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + src + dst + udp
for seg in sys.argv[5:]:
    who, lo, hi = seg.split(":")
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 41)
    s.bind((peer[who], 0))
    for n in range(int(lo), int(hi) + 1):
        s.sendto(inner(n), (gw, 0))
    s.close()
' 2001:db8:c::1 "$CN_ADDR" "$MN_ADDR" "$@"
}

# two_paths_run BACKEND PORT HELD WHAT BUFFER-ARGS SEGMENTS BUFFER-ARGS SEGMENTS AHEAD: the BUFFER
# (replacing intent 1), the probes; if the second pair is not empty, the BUFFER again and more
# probes; HELD held at the end; then delivery: the MN must have got 1-100 in order, and AHEAD
# packets were counted as released ahead of earlier arrivals.
two_paths_run() {
	local dp=$1 port=$2 held=$3 what=$4 R ahead0
	ahead0=$(bufstats "$dp" ahead)
	dp_cmd "$dp" "replace 1 a dst $HNP buffer $5"
	sleep 0.2
	ip netns exec "$MN" /usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", int(sys.argv[1]))); s.settimeout(3)
got = []
try:
    while len(got) < 100:
        got.append(int.from_bytes(s.recv(64)[:4], "big"))
except socket.timeout:
    pass
print(json.dumps({"received": len(got), "in_order": got == list(range(1, 101)), "first": got[:3]}))
' "$port" >"$DP_TMP/$dp-paths.json" &
	R=$!
	sleep 0.2
	read -ra segs <<<"$6"
	send_probes "$port" "${segs[@]}"
	if [[ -n ${7-} ]]; then
		sleep 0.1
		dp_cmd "$dp" "replace 1 a dst $HNP buffer $7"
		sleep 0.1
		read -ra segs <<<"$8"
		send_probes "$port" "${segs[@]}"
	fi
	sleep 0.15
	dp_check "$dp: two paths ($what): $held probes held" expect held "$(bufstats "$dp" held)" -eq "$held"
	dp_cmd "$dp" "replace 1 a dst $HNP deliver link 1"
	wait "$R"
	dp_check "$dp: two paths ($what): the MN got 1-100 in order" grep -q '"in_order": true' "$DP_TMP/$dp-paths.json"
	dp_check "$dp: two paths ($what): counted as released ahead: $9" \
		expect released_ahead "$(($(bufstats "$dp" ahead) - ahead0))" -eq "$9"
	echo "buffer-dp: $dp two paths ($what): $(cat "$DP_TMP/$dp-paths.json")"
}

# released_to BACKEND PORT: 30 probes to the MN held, then the buffer released onto its link;
# prints the sink's JSON. The caller set up what the MN answers and what the backend knows.
released_to() {
	local dp=$1 port=$2 P
	dp_cmd "$dp" "replace 1 a dst $HNP buffer"
	sleep 0.1
	ip netns exec "$MN" "$TRAFFIC" udp-sink --port "$port" --duration 1.5 --timeout 2 >"$DP_TMP/$dp-$port.json" &
	P=$!
	sleep 0.2
	ip netns exec "$CN" "$TRAFFIC" udp-source --to "$MN_ADDR" --port "$port" --pps 100 --duration 0.3 >/dev/null
	dp_cmd "$dp" "replace 1 a dst $HNP deliver link 1"
	wait "$P"
}

# host_known BACKEND: a host that answers no Neighbor Solicitation (an nftables rule in its
# namespace drops them) gets a released buffer all the same once the backend knows its link-layer
# address (dataplane.h host; RFC 4861 §7.3.3: the entry is STALE, confirmed later), and the
# neighbour entry says that address. Without it the release waits for a resolution that never
# comes and counts the destination unresolved (which is how the test can fail).
host_known() {
	local dp=$1 mac u0 u1
	mac=$(ip -n "$MN" -j link show acc | jq -r '.[0].address')
	ip netns exec "$MN" nft -f - <<-EOF
		table ip6 dmmtest {
			chain in { type filter hook input priority 0; icmpv6 type nd-neighbor-solicit drop; }
		}
	EOF
	ip -n "$GW" neigh flush dev acc
	dp_cmd "$dp" "host 1 -"
	u0=$(bufstats "$dp" unresolved)
	released_to "$dp" 7005
	u1=$(bufstats "$dp" unresolved)
	dp_check "$dp: host unknown and silent: the release counts its address unresolved" \
		expect unresolved "${u0:+${u1:+$((u1 - u0))}}" -ge 1
	dp_check "$dp: and the MN gets nothing" expect received "$(jfield "$DP_TMP/$dp-7005.json" received)" -eq 0
	ip -n "$GW" neigh flush dev acc
	dp_cmd "$dp" "host 1 $mac"
	u0=$(bufstats "$dp" unresolved)
	released_to "$dp" 7006
	dp_check "$dp: host known ($mac), silent: every held probe delivered at the release" \
		expect received "$(jfield "$DP_TMP/$dp-7006.json" received)" -eq 30
	u1=$(bufstats "$dp" unresolved)
	dp_check "$dp: nothing unresolved" expect unresolved "${u0:+${u1:+$((u1 - u0))}}" -eq 0
	dp_check "$dp: the MN's address is a STALE neighbour at $mac" \
		bash -c "ip -n '$GW' neigh show dev acc to '$MN_ADDR' | grep -E 'lladdr $mac (STALE|DELAY|PROBE)'"
	ip netns exec "$MN" nft delete table ip6 dmmtest
	ip -n "$GW" neigh flush dev acc
}

one_backend() {
	local dp=$1 CN GW MN P S rss0 rss1 full0 sent held hbytes
	DP_BACKEND=$dp
	# Namespaces of their own per backend (the last backend's stay until exit).
	DP_SUFFIX="$(printf '%04x%04x' $RANDOM $RANDOM)"
	dp_ns CN
	dp_ns GW
	dp_ns MN
	dp_link "$CN" cn "$GW" cn
	dp_link "$GW" acc "$MN" acc
	ip -n "$CN" addr add "$CN_ADDR/64" dev cn
	ip -n "$CN" -6 route add default via 2001:db8:c::1
	ip -n "$GW" addr add 2001:db8:c::1/64 dev cn
	ip -n "$GW" addr add fe80::1/64 dev acc
	ip -n "$MN" addr add "$MN_ADDR/64" dev acc
	ip -n "$MN" -6 route add default via fe80::1 dev acc
	start_dp "$dp" "$GW" --local 2001:db8:c::1 --link 1=acc --tun "dmmb$dp" \
		--buf-packets "$BUF_PACKETS" --buf-bytes "$BUF_BYTES" --buf-time "$BUF_MS"
	dp_cmd "$dp" "install a dst $HNP deliver link 1"
	dp_check "$dp: delivers to the attached MN" ping_ok "$CN" "$MN_ADDR"

	# order: a 300 ms detach inside a 2 s probe stream.
	ip netns exec "$MN" "$TRAFFIC" udp-sink --port 7001 --duration 3 --timeout 5 >"$DP_TMP/$dp-order.json" &
	P=$!
	sleep 0.3
	ip netns exec "$CN" "$TRAFFIC" udp-source --to "$MN_ADDR" --port 7001 --pps 1000 --duration 2 >/dev/null &
	S=$!
	sleep 0.5
	dp_cmd "$dp" "replace 1 a dst $HNP buffer"
	sleep 0.3
	dp_cmd "$dp" "replace 1 a dst $HNP deliver link 1"
	wait "$P" "$S"
	cat "$DP_TMP/$dp-order.json" >"$DP_TMP/check.json"
	dp_check "$dp: no probe lost across the detach" expect lost "$(jfield "$DP_TMP/$dp-order.json" lost)" -eq 0
	dp_check "$dp: no probe reordered" expect reordered "$(jfield "$DP_TMP/$dp-order.json" reordered)" -eq 0
	dp_check "$dp: the detach's probes were held and released" \
		expect released "$(bufstats "$dp" released)" -ge 200

	# bound: a flood to the detached MN.
	rss0=$(bufstats "$dp" rss_kb)
	full0=$(bufstats "$dp" dropped_full)
	dp_cmd "$dp" "replace 1 a dst $HNP buffer"
	sleep 0.2
	sent=20000
	ip netns exec "$CN" "$TRAFFIC" udp-source --to "$MN_ADDR" --port 7002 --pps 20000 --duration 1 --size 1200 >/dev/null
	sleep 0.3
	held=$(bufstats "$dp" held)
	hbytes=$(bufstats "$dp" held_bytes)
	rss1=$(bufstats "$dp" rss_kb)
	dp_check "$dp: held packets within the packet bound" expect held "$held" -le "$BUF_PACKETS"
	dp_check "$dp: held bytes within the byte bound" expect held_bytes "$hbytes" -le "$BUF_BYTES"
	dp_check "$dp: the bound is reached (the flood is held up to it)" \
		expect held_bytes "$hbytes" -ge $((BUF_BYTES - 2 * 1300))
	dp_check "$dp: the overflow is counted as dropped" \
		expect dropped_full "$(($(bufstats "$dp" dropped_full) - full0))" -ge $((sent / 2))
	dp_check "$dp: resident memory grew by no more than the bound (KiB, from $rss0)" \
		expect rss_growth_kb "$((rss1 - rss0))" -le $((BUF_BYTES / 1200 * SLOT_KB + 1024))
	echo "buffer-dp: $dp flood of $sent x 1200 B: held $held packets, $hbytes bytes; rss ${rss0} -> ${rss1} KiB"

	# age: what waited longer than the time bound is dropped, not delivered.
	dp_cmd "$dp" "replace 1 a dst $HNP deliver link 1"
	sleep 0.2
	dp_cmd "$dp" "replace 1 a dst $HNP buffer"
	sleep 0.1
	local age0
	age0=$(bufstats "$dp" dropped_age)
	ip netns exec "$MN" "$TRAFFIC" udp-sink --port 7003 --duration 1 --timeout 2 >"$DP_TMP/$dp-age.json" &
	P=$!
	sleep 0.2
	ip netns exec "$CN" "$TRAFFIC" udp-source --to "$MN_ADDR" --port 7003 --pps 100 --duration 0.2 >/dev/null
	sleep "$(awk -v m="$BUF_MS" 'BEGIN { print m / 1000 + 0.3 }')"
	dp_cmd "$dp" "replace 1 a dst $HNP deliver link 1"
	wait "$P"
	dp_check "$dp: held packets past the time bound are dropped and counted" \
		expect dropped_age "$(($(bufstats "$dp" dropped_age) - age0))" -ge 15
	dp_check "$dp: and not delivered" expect received "$(jfield "$DP_TMP/$dp-age.json" received)" -eq 0
	dp_check "$dp: delivers again after all that" ping_ok "$CN" "$MN_ADDR"
	host_known "$dp"
	dp_check "$dp: delivers after the silent host" ping_ok "$CN" "$MN_ADDR"
	stop_dp "$dp"
	dp_check "$dp: hold device, flush rule and routes gone at close" gone_at_close
	[[ $dp == kernel ]] && return 0
	# paths: a fresh instance whose time bound no held probe can reach on a slow machine.
	start_dp "$dp" "$GW" --local 2001:db8:c::1 --link 1=acc --tun "dmmb$dp" --buf-time 30000
	dp_cmd "$dp" "install a dst $HNP deliver link 1"
	two_paths "$dp"
	stop_dp "$dp"
	dp_check "$dp: two paths: the passing route, the flush rule and routes gone at close" gone_at_close
}

gone_at_close() {
	! ip -n "$GW" link | grep -q dmmh && ! ip -n "$GW" -6 rule | grep -Eq 'dmmh|dmmb' &&
		[[ -z $(ip -n "$GW" -6 route show proto 0xd3 table all) ]]
}

. tests/kfeat.sh
for b in $BACKENDS; do
	[[ $b == kernel ]] && kfeat_lacks seg6 "buffer-dp kernel" && continue
	one_backend "$b"
done
dp_summary buffer-dp
