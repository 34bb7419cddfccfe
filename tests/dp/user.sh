#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The user-space data plane (dataplane/user) carrying one PMIPv6 binding,
# driven by build/dp-tool in the MAG and the LMA:
#
#   MN ──mn0──link1── MAG ──core0──core0── LMA ──cn0──cn0── CN
#   2001:db8:aa::1    fe80::1   2001:db8:1::1   2001:db8:1::2   2001:db8:2::2
#   (mnprefix 2001:db8:aa::/64)                2001:db8:2::1
#
#   LMA: dst mnprefix -> encap peer MAG;  src mnprefix -> decap peer MAG
#   MAG: src mnprefix link 1 -> encap peer LMA;  dst mnprefix -> decap
#        peer LMA;  dst mnprefix -> deliver link 1
#
# Checks: both ends open, every intent installs, ping both ways, the
# core link carries IPv6-in-IPv6 (outer MAG <-> LMA, next header 41, hop
# limit 64, flow label 0, no ICMPv6 errors), counters move, a TCP transfer
# completes with the same SHA-256 at both ends and no TCP or UDP checksum
# error at the MN or the CN; with the user backend's offloads, its TUN
# gets TCP super-packets and the wire only segments (tshark: IPv6-in-IPv6,
# <= 1500 bytes, inner TCP checksums valid), counted per segment; tunnelled packets from an
# unknown peer are dropped, a run killed with SIGKILL is cleaned up by the
# next open(), and nothing of ours remains after exit.
#
#   tests/dp/user.sh [--mag user|kernel|bpf] [--lma user|kernel|bpf] [--label L] [--bench]
#
# --bench also prints ping RTT, iperf3 TCP throughput and UDP packet rates
# through the tunnel and over plain forwarding in the same namespaces. It
# prints figures and never fails on them.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

MAG_BE=user
LMA_BE=user
LABEL=user-dp
BENCH=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--mag) MAG_BE=$2; shift 2 ;;
	--lma) LMA_BE=$2; shift 2 ;;
	--label) LABEL=$2; shift 2 ;;
	--bench) BENCH=1; shift ;;
	*) echo "usage: $0 [--mag user|kernel|bpf] [--lma user|kernel|bpf] [--label L] [--bench]" >&2; exit 2 ;;
	esac
done
DP_TOOL=${DP_TOOL:-build/dp-tool}
PROTO=211 # 0xd3, the backends' default marker
PFX=2001:db8:aa::/64
MN_A=2001:db8:aa::1
MAG_A=2001:db8:1::1
LMA_A=2001:db8:1::2
CN_A=2001:db8:2::2

if [[ $(id -u) -ne 0 ]]; then
	echo "$LABEL: needs root (network namespaces)" >&2
	exit 1
fi
# Every check below runs or the test fails: a missing tool is no reason to
# drop a check quietly.
for t in tcpdump tshark iperf3 ping python3; do
	command -v "$t" >/dev/null || {
		echo "$LABEL: $t missing: run make deps as root" >&2
		exit 1
	}
done
if ! /usr/bin/python3 -c 'import scapy.all' 2>/dev/null; then
	echo "$LABEL: /usr/bin/python3 has no scapy (python3-scapy): run make deps as root" >&2
	exit 1
fi
if [[ ! -x $DP_TOOL ]]; then
	echo "$LABEL: $DP_TOOL missing; run make" >&2
	exit 1
fi

dp_init "$LABEL"
echo "$LABEL: MAG=$MAG_BE LMA=$LMA_BE"
dp_ns MN
dp_ns MAG
dp_ns LMA
dp_ns CN
dp_link "$MN" mn0 "$MAG" link1
dp_link "$MAG" core0 "$LMA" core0
dp_link "$LMA" cn0 "$CN" cn0
ip -n "$MN" addr add $MN_A/64 dev mn0 nodad
ip -n "$MAG" addr add fe80::1/64 dev link1 nodad
ip -n "$MN" route add default via fe80::1 dev mn0
ip -n "$MAG" addr add $MAG_A/64 dev core0 nodad
ip -n "$LMA" addr add $LMA_A/64 dev core0 nodad
ip -n "$LMA" addr add 2001:db8:2::1/64 dev cn0 nodad
ip -n "$CN" addr add $CN_A/64 dev cn0 nodad
ip -n "$CN" route add default via 2001:db8:2::1
# The kernel backend encapsulates on the input path (seg6 lwtunnel input
# redirect), where the kernel checks the path MTU against the outer
# packet, whose source is the gateway itself: an inner packet too big for
# the tunnel is dropped with a Packet Too Big sent to the gateway, not to
# the host. A kernel-backend gateway therefore needs a transit MTU of at
# least 1540 for 1500-byte inner packets (as transport networks usually
# have); dmmd also advertises 1460 to the hosts in its RAs. The user
# backend's TUN (MTU 1460) sends a proper Packet Too Big to the host.
if [[ $MAG_BE == kernel || $LMA_BE == kernel ]]; then
	ip -n "$MAG" link set core0 mtu 1600
	ip -n "$LMA" link set core0 mtu 1600
fi

# A dp-tool per node, commands through a FIFO, replies in a file.
start_dp() { # NODE-VAR BACKEND LOCAL [ARGS...]
	local node=$1 be=$2 local_a=$3 ns fd
	shift 3
	ns=${!node}
	rm -f "$DP_TMP/$node.in"
	mkfifo "$DP_TMP/$node.in"
	exec {fd}<>"$DP_TMP/$node.in"
	printf -v "${node}_FD" '%s' "$fd"
	: >"$DP_TMP/$node.out"
	# Not dp_bg: bash gives a background command without its own
	# redirection /dev/null as stdin.
	ip netns exec "$ns" "$DP_TOOL" "$be" --local "$local_a" "$@" \
		<"$DP_TMP/$node.in" >"$DP_TMP/$node.out" 2>&1 &
	DP_PIDS+=("$!")
	printf -v "${node}_PID" '%s' "$!"
}
cmd() { # NODE-VAR LINE
	local fd_var=${1}_FD
	echo "$2" >&"${!fd_var}"
}
# The packets counter of intent N at NODE, asked fresh.
count() { # NODE-VAR N
	local out="$DP_TMP/$1.out" before
	before=$(wc -l <"$out")
	cmd "$1" counters
	for _ in $(seq 40); do
		[[ $(tail -n +$((before + 1)) "$out" | grep -c '^counters') -ge $3 ]] && break
		sleep 0.05
	done
	tail -n +$((before + 1)) "$out" | sed -n "s/^counters $2 packets=\([0-9]*\).*/\1/p" | tail -1
}
stop_dp() { # NODE-VAR: close and wait for the exit
	local pid_var=${1}_PID
	cmd "$1" close
	for _ in $(seq 50); do
		kill -0 "${!pid_var}" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "${!pid_var}" 2>/dev/null
}
ours_left() { # NS: print every route, rule and TUN of ours still there
	ip -n "$1" -6 route show table all proto $PROTO
	ip -n "$1" -6 rule show | grep -w "proto $PROTO"
	ip -n "$1" -d link show | grep -B1 -w tun
	true
}
nothing_left() { [[ -z $(ours_left "$1") ]] || { ours_left "$1"; return 1; }; }

install_binding() {
	cmd LMA "install lma-dl dst $PFX encap peer $MAG_A"
	cmd LMA "install lma-ul src $PFX decap peer $MAG_A"
	cmd MAG "install mag-ul src $PFX encap peer $LMA_A link 1"
	cmd MAG "install mag-dl dst $PFX decap peer $LMA_A"
	cmd MAG "install mag-deliver dst $PFX deliver link 1"
}
start_both() {
	start_dp MAG "$MAG_BE" $MAG_A --link 1=link1
	# The LMA's BUFFER below holds its echo requests for as long as the
	# ping waits (6 s), however slow the machine (tests/vm): the age
	# bound, 2 s by default, is tests/dp/buffer.sh's subject.
	local lma_opts=()
	[[ $LMA_BE == user ]] && lma_opts=(--buf-time 10000)
	start_dp LMA "$LMA_BE" $LMA_A "${lma_opts[@]}"
	dp_check "MAG ($MAG_BE) opens" dp_wait_line "$DP_TMP/MAG.out" '^ok open'
	dp_check "LMA ($LMA_BE) opens" dp_wait_line "$DP_TMP/LMA.out" '^ok open'
	install_binding
	dp_check "LMA installs both intents" dp_wait_line "$DP_TMP/LMA.out" '^ok 2 '
	dp_check "MAG installs three intents" dp_wait_line "$DP_TMP/MAG.out" '^ok 3 '
	! grep '^error' "$DP_TMP/MAG.out" "$DP_TMP/LMA.out"
}

# A stale TUN of the name the user backend will use, as after a crash.
for n in MAG LMA; do
	be_var=${n}_BE
	[[ ${!be_var} == user ]] && ip -n "${!n}" tuntap add dev dmm0 mode tun
done

start_both

# Settle neighbour discovery, then ping.
ip netns exec "$MN" ping -c 2 -i 0.2 -W 1 $CN_A >/dev/null 2>&1
ip netns exec "$LMA" tcpdump -ni core0 -w "$DP_TMP/core.pcap" >/dev/null 2>&1 &
TCPDUMP=$!
DP_PIDS+=("$TCPDUMP")
sleep 1
dp_check "ping MN -> CN through the tunnel" ip netns exec "$MN" ping -c 5 -i 0.2 -W 2 $CN_A
dp_check "ping CN -> MN through the tunnel" ip netns exec "$CN" ping -c 5 -i 0.2 -W 2 $MN_A

# Tunnelled packets from an unknown peer (the CN) must not pass the LMA:
# outer CN -> LMA, inner MN -> CN (what the MAG would send).
ip netns exec "$CN" tcpdump -ni cn0 -w "$DP_TMP/cn.pcap" >/dev/null 2>&1 &
TCPDUMP_CN=$!
DP_PIDS+=("$TCPDUMP_CN")
SPOOF=0
sleep 1
ip netns exec "$CN" /usr/bin/python3 - "$CN_A" "$LMA_A" "$MN_A" <<'EOF' >"$DP_TMP/spoof.out" 2>&1 && SPOOF=1
import sys
from scapy.all import IPv6, ICMPv6EchoRequest, send
cn, lma, mn = sys.argv[1:4]
send(IPv6(src=cn, dst=lma) / IPv6(src=mn, dst=cn) / ICMPv6EchoRequest(id=0x4242), count=3, verbose=0)
EOF
sleep 1
kill "$TCPDUMP" "$TCPDUMP_CN" 2>/dev/null
wait "$TCPDUMP" "$TCPDUMP_CN" 2>/dev/null

pcap() { tcpdump -nr "$DP_TMP/core.pcap" -v 2>/dev/null; }
outer_ok() { # SRC DST: one IPv6-in-IPv6 packet SRC -> DST, hop limit 64, no flow label, no extension header
	pcap | grep -E "^[0-9:.]+ IP6 \(hlim 64, next-header IPv6 \(41\) payload length: [0-9]+\) $1 > $2: IP6" |
		grep -q .
}
# A user or bpf backend writes the outer header exactly (the same bytes);
# the kernel's seg6 encap.red copies hop limit, traffic class and flow
# label from the inner packet, so only the addresses and next header are
# checked for it.
outer_any() { # SRC DST
	pcap | grep -E "next-header IPv6 \(41\) payload length: [0-9]+\) $1 > $2: IP6" | grep -q .
}
if [[ $MAG_BE != kernel ]]; then
	dp_check "core link: IPv6-in-IPv6 MAG -> LMA (nh 41, hlim 64, flow label 0)" outer_ok $MAG_A $LMA_A
else
	dp_check "core link: IPv6-in-IPv6 MAG -> LMA (nh 41)" outer_any $MAG_A $LMA_A
fi
if [[ $LMA_BE != kernel ]]; then
	dp_check "core link: IPv6-in-IPv6 LMA -> MAG (nh 41, hlim 64, flow label 0)" outer_ok $LMA_A $MAG_A
else
	dp_check "core link: IPv6-in-IPv6 LMA -> MAG (nh 41)" outer_any $LMA_A $MAG_A
fi
dp_check "core link: the inner packets are the MN's echo requests and replies" \
	bash -c "tcpdump -nr '$DP_TMP/core.pcap' 2>/dev/null | grep -q '$MN_A > $CN_A: ICMP6, echo request' &&
		tcpdump -nr '$DP_TMP/core.pcap' 2>/dev/null | grep -q '$CN_A > $MN_A: ICMP6, echo reply'"
dp_check "core link: no ICMPv6 error (unrecognized next header, unreachable)" \
	bash -c "! tcpdump -nr '$DP_TMP/core.pcap' 'icmp6 and ip6[40] < 128' 2>/dev/null | grep ."
dp_check "scapy sent the tunnelled packets from an unknown peer" \
	bash -c "[[ $SPOOF == 1 ]] || { cat '$DP_TMP/spoof.out'; false; }"
dp_check "LMA drops tunnelled packets from an unknown peer" \
	bash -c "tcpdump -nr '$DP_TMP/cn.pcap' 2>/dev/null | grep -q '$CN_A > $LMA_A: IP6 $MN_A > $CN_A: ICMP6, echo request, id 16962' &&
		! tcpdump -nr '$DP_TMP/cn.pcap' 2>/dev/null | grep -Eq '^[0-9:.]+ IP6 $MN_A > $CN_A: ICMP6, echo request, id 16962'"

# Counters: every intent of a user or bpf backend moved (the kernel
# backend has none).
for n in LMA MAG; do
	be_var=${n}_BE
	[[ ${!be_var} == kernel ]] && continue
	nint=2
	[[ $n == MAG ]] && nint=3
	for i in $(seq $nint); do
		p=$(count $n "$i" $nint)
		dp_check "$n counters: intent $i moved (packets=${p:-?})" test "${p:-0}" -ge 10
	done
done

# TCP: 4 MB each way, SHA-256 compared.
head -c 4000000 /dev/urandom >"$DP_TMP/blob"
want=$(sha256sum <"$DP_TMP/blob" | cut -d' ' -f1)
# Waits until a server listens: a slow machine (tests/vm) may take more
# than a moment to start one, and a client that comes first is refused.
listening() { # NS PORT
	for _ in $(seq 200); do
		[[ -n $(ip netns exec "$1" ss -Hltn "sport = :$2") ]] && return 0
		sleep 0.1
	done
	echo "no server listens on TCP port $2 after 20 s"
	return 1
}
tcp_ok() { # FROM-NS TO-NS TO-ADDR
	local got
	ip netns exec "$2" timeout 20 iperf3 -s -1 -B "$3" -p 5201 >/dev/null 2>&1 &
	listening "$2" 5201 || return 1
	ip netns exec "$1" timeout 20 iperf3 -c "$3" -p 5201 -t 2 >"$DP_TMP/iperf.out" 2>&1 || { tail -5 "$DP_TMP/iperf.out"; return 1; }
	grep receiver "$DP_TMP/iperf.out"
	ip netns exec "$2" timeout 20 python3 -c '
import socket, sys, hashlib
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5202)); s.listen(1); c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b)
print(h.hexdigest())' "$3" >"$DP_TMP/sha.out" &
	local srv=$!
	listening "$2" 5202 || return 1
	ip netns exec "$1" timeout 20 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 5202)); f = open(sys.argv[2], "rb")
s.sendall(f.read()); s.shutdown(socket.SHUT_WR); s.recv(1)' "$3" "$DP_TMP/blob" || return 1
	wait $srv
	got=$(cat "$DP_TMP/sha.out")
	echo "sha256 sent $want received $got"
	[[ $got == "$want" ]]
}
# 1460-byte packets fit the tunnel; 1500-byte ones draw a Packet Too Big
# (mtu 1460) and then pass as fragments (path MTU discovery works).
dp_check "large packets MN -> CN (1460 bytes; 1500 after Packet Too Big)" bash -c "ip netns exec $MN ping -c 2 -i 0.2 -W 2 -s 1412 $CN_A && ip netns exec $MN ping -c 5 -i 0.3 -W 2 -s 1452 -M dont $CN_A"
# The TCP transfers below cross a user backend with its offloads on: the
# kernel hands its TUN TCP super-packets (TSO from the hosts' veths), which
# it cuts into segments before encapsulating them. Captured on the core
# link, every tunnelled packet must be plain IPv6-in-IPv6 within the path
# MTU (1500) with a valid inner TCP checksum, and the counters must count
# segments (the same packets at both ends, none larger than the TUN MTU).
tun_stat() { # NS [tx|rx]: "bytes packets" of our TUN (tx: what the kernel handed to the backend)
	ip -n "$1" -s -j link show dmm0 | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"][sys.argv[1]]; print(s["bytes"], s["packets"])' "${2:-tx}"
}
counter() { # NODE-VAR N: "packets bytes" of intent N
	local out="$DP_TMP/$1.out" before
	before=$(wc -l <"$out")
	cmd "$1" counters
	dp_wait_line "$out" "^counters $2 " 2 >/dev/null
	tail -n +$((before + 1)) "$out" | sed -n "s/^counters $2 packets=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2/p" | tail -1
}
declare -A TUN0 C0
for n in MAG LMA; do
	be_var=${n}_BE
	[[ ${!be_var} == user ]] && TUN0[$n]=$(tun_stat "${!n}")
done
[[ $MAG_BE == user ]] && C0[MAG]=$(counter MAG 1)
[[ $LMA_BE == user ]] && C0[LMA]=$(counter LMA 2)
# The first 4000 tunnelled packets of each transfer, whole (tshark verifies the inner checksums).
cap() { # FILE CMD...: run CMD with a capture on the LMA's core link
	local file=$1 pid rc
	shift
	ip netns exec "$LMA" tcpdump -ni core0 -B 16384 -c 4000 -w "$file" 'ip6 proto 41' >/dev/null 2>&1 &
	pid=$!
	sleep 1
	"$@"
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $rc
}
dp_check "TCP MN -> CN: iperf3 2 s and 4 MB with matching SHA-256" cap "$DP_TMP/up.pcap" tcp_ok "$MN" "$CN" $CN_A
dp_check "TCP CN -> MN: iperf3 2 s and 4 MB with matching SHA-256" cap "$DP_TMP/down.pcap" tcp_ok "$CN" "$MN" $MN_A
for n in MAG LMA; do
	be_var=${n}_BE
	[[ ${!be_var} == user ]] || continue
	# shellcheck disable=SC2086 # two numbers
	dp_check "$n: the kernel handed its TUN TCP super-packets (offloads on)" bash -c "
		read -r b0 p0 <<<'${TUN0[$n]}'; read -r b1 p1 <<<'$(tun_stat "${!n}")'
		echo \"TUN TX \$((b1 - b0)) bytes in \$((p1 - p0)) packets\"; (( p1 > p0 && (b1 - b0) / (p1 - p0) > 1460 ))"
	dp_check "$n: -d link shows a multi-queue TUN with offloads" bash -c "
		ip -n '${!n}' -d link show dmm0 | tee /dev/stderr | grep -q 'vnet_hdr on multi_queue numqueues [1-9]'"
done
wire_ok() { # PCAP SRC DST: tunnelled TCP SRC -> DST decodes, fits 1500, inner checksums good
	tshark -r "$1" -o tcp.check_checksum:TRUE -Y "ipv6.src == $2 && ipv6.dst == $3 && ipv6.nxt == 41 && tcp" \
		-T fields -e frame.len -e tcp.checksum.status -e _ws.malformed 2>/dev/null |
		awk '{ n++; if ($1 > max) max = $1; if ($2 != 1) bad++; if ($3 != "") mal++ }
			END { printf "%d packets, largest frame %d bytes, %d bad or unverified TCP checksums, %d malformed\n", n, max, bad, mal
				exit !(n >= 2000 && max <= 1514 && bad == 0 && mal == 0) }'
}
if [[ $MAG_BE == user ]]; then
	dp_check "core link (tshark): MAG -> LMA TCP is IPv6-in-IPv6, <= 1500 bytes, checksums valid" wire_ok "$DP_TMP/up.pcap" $MAG_A $LMA_A
fi
if [[ $LMA_BE == user ]]; then
	dp_check "core link (tshark): LMA -> MAG TCP is IPv6-in-IPv6, <= 1500 bytes, checksums valid" wire_ok "$DP_TMP/down.pcap" $LMA_A $MAG_A
fi
if [[ $MAG_BE == user && $LMA_BE == user ]]; then
	# shellcheck disable=SC2086
	dp_check "counters count segments: MAG uplink encap = LMA uplink decap (1 %), <= 1460 bytes each" bash -c "
		read -r mp0 mb0 <<<'${C0[MAG]}'; read -r mp1 mb1 <<<'$(counter MAG 1)'
		read -r lp0 lb0 <<<'${C0[LMA]}'; read -r lp1 lb1 <<<'$(counter LMA 2)'
		mp=\$((mp1 - mp0)) mb=\$((mb1 - mb0)) lp=\$((lp1 - lp0)) lb=\$((lb1 - lb0))
		echo \"MAG encap \$mp packets \$mb bytes; LMA decap \$lp packets \$lb bytes\"
		(( mp >= 2000 && lp <= mp && lp * 100 >= mp * 99 && lb <= mb && lb * 100 >= mb * 99 && mb <= mp * 1460 && lb <= lp * 1460 ))"
fi
# Small UDP datagrams through the tunnel, 4 flows: every one arrives
# whole (a user backend's LMA merges them into UDP GSO packets for its
# TUN, which the CN's stack must split at the same boundaries). The
# sender blasts for 3 s at the lowest priority: at least 1000 of them
# must arrive, and on a machine short of CPU (tests/vm: emulated, two
# CPUs) an unpaced sender would starve the backends and the receiver.
BLAST=${BLAST:-build/udp-blast}
udp_ok() {
	local out="$DP_TMP/blast.out" pid got bytes
	[[ $LMA_BE == user ]] && RX0=$(tun_stat "$LMA" rx)
	ip netns exec "$CN" "$BLAST" recv --port 9009 --seconds 5 --idle 700 >"$out" 2>&1 &
	pid=$!
	dp_wait_line "$out" '^ready' 5 >/dev/null || return 1
	ip netns exec "$MN" nice -n 19 "$BLAST" send --to $CN_A --port 9009 --flows 4 --size 64 --seconds 3 || return 1
	wait "$pid"
	cat "$out"
	got=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' "$out")
	bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$out")
	[[ ${got:-0} -ge 1000 && $bytes -eq $((got * 64)) ]]
}
dp_check "UDP MN -> CN: 64-byte datagrams, 4 flows, each received whole" udp_ok
# A kernel MAG leaves the inner UDP checksums partial (its host's offload):
# those are finished one by one, not merged.
if [[ $LMA_BE == user && $MAG_BE == user ]]; then
	dp_check "LMA: merged datagrams reached its TUN as UDP GSO packets" bash -c "
		read -r b0 p0 <<<'${RX0:-}'; read -r b1 p1 <<<'$(tun_stat "$LMA" rx)'
		echo \"TUN RX \$((b1 - b0)) bytes in \$((p1 - p0)) packets\"; (( p1 > p0 && (b1 - b0) / (p1 - p0) > 112 ))"
fi
# A peer's offloads must not leak: a kernel encapsulating a packet whose
# checksum was left to offload (CHECKSUM_PARTIAL on veth) sends it on
# unfinished, and a user backend must finish it before its TUN.
csum_errors() { # NS: the sum of Tcp InCsumErrors and Udp InCsumErrors
	ip netns exec "$1" awk '
		$1 == "Tcp:" || $1 == "Udp:" {
			if (!($1 in col)) { for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") col[$1] = i; next }
			if (col[$1]) n += $(col[$1])
		}
		END { print n + 0 }' /proc/net/snmp
}
no_csum_errors() {
	local mn cn
	mn=$(csum_errors "$MN")
	cn=$(csum_errors "$CN")
	echo "InCsumErrors: MN $mn CN $cn"
	[[ $mn == 0 && $cn == 0 ]]
}
dp_check "no TCP or UDP checksum errors at the MN and the CN" no_csum_errors

# SIGKILL leaves routes and rules behind; the next open() removes them.
if [[ $MAG_BE == user ]]; then
	kill -9 "$MAG_PID"
	wait "$MAG_PID" 2>/dev/null
	dp_check "MAG killed: its rule and delivery route are left over" \
		bash -c "ip -n '$MAG' -6 rule show | grep -qw 'proto $PROTO' && ip -n '$MAG' -6 route show proto $PROTO | grep -q ."
	start_dp MAG "$MAG_BE" $MAG_A --link 1=link1
	dp_check "MAG reopens after SIGKILL" dp_wait_line "$DP_TMP/MAG.out" '^ok open'
	dp_check "MAG: open() removed the leftover rule and route" \
		bash -c "! ip -n '$MAG' -6 rule show | grep -w 'proto $PROTO' && ! ip -n '$MAG' -6 route show table all proto $PROTO | grep ."
	cmd MAG "install mag-ul src $PFX encap peer $LMA_A link 1"
	cmd MAG "install mag-dl dst $PFX decap peer $LMA_A"
	cmd MAG "install mag-deliver dst $PFX deliver link 1"
	dp_wait_line "$DP_TMP/MAG.out" '^ok 3 ' >/dev/null
	dp_check "ping MN -> CN after the restart" ip netns exec "$MN" ping -c 3 -i 0.2 -W 2 $CN_A
fi

# Remove and re-install: the route goes and comes back (make before break at the LMA).
cmd LMA "install lma-dl2 dst $PFX encap peer $MAG_A prec 1"
cmd LMA "remove 1"
dp_wait_line "$DP_TMP/LMA.out" '^ok removed 1' >/dev/null
dp_check "LMA: intent replaced in place, ping CN -> MN still works" \
	ip netns exec "$CN" ping -c 3 -i 0.2 -W 2 $MN_A

# BUFFER holds the downlink and releases it on removal; DROP discards and counts.
if [[ $LMA_BE == user ]]; then
	cmd LMA "install lma-buf dst $PFX buffer"
	dp_wait_line "$DP_TMP/LMA.out" '^ok 4 ' >/dev/null
	ip netns exec "$CN" ping -c 3 -i 0.2 -W 6 $MN_A >"$DP_TMP/ping-buf.out" 2>&1 &
	PING=$!
	sleep 1.5
	p=$(count LMA 4 3)
	dp_check "LMA buffer: holds the echo requests (packets=${p:-?})" test "${p:-0}" -eq 3
	cmd LMA "remove 4"
	# The ping is a child of this shell, not of the check's: wait here.
	wait "$PING" 2>/dev/null
	dp_check "LMA buffer: removal releases them, all 3 answered" \
		bash -c "grep -q '3 received' '$DP_TMP/ping-buf.out' || { cat '$DP_TMP/ping-buf.out'; false; }"
	cmd LMA "install lma-drop dst $PFX drop"
	dp_wait_line "$DP_TMP/LMA.out" '^ok 5 ' >/dev/null
	dp_check "LMA drop: no answer while dropping" bash -c "! ip netns exec '$CN' ping -c 3 -i 0.2 -W 1 $MN_A"
	p=$(count LMA 5 3)
	dp_check "LMA drop: counted (packets=${p:-?})" test "${p:-0}" -eq 3
	cmd LMA "remove 5"
	dp_check "LMA drop removed: ping CN -> MN works again" ip netns exec "$CN" ping -c 2 -i 0.2 -W 2 $MN_A
fi

bench() {
	local label=$1 rtt tcp udp
	rtt=$(ip netns exec "$MN" ping -c 200 -i 0.005 -q $CN_A | sed -n 's/^rtt.* = \([^/]*\)\/\([^/]*\)\/.*/min \1 avg \2 ms/p')
	ip netns exec "$CN" iperf3 -s -1 -B $CN_A -p 5203 >/dev/null 2>&1 &
	listening "$CN" 5203
	tcp=$(ip netns exec "$MN" iperf3 -c $CN_A -p 5203 -t 3 -f m | awk '/receiver/ {print $7, $8}')
	ip netns exec "$CN" iperf3 -s -1 -B $CN_A -p 5204 >/dev/null 2>&1 &
	listening "$CN" 5204
	# 64-byte UDP payloads (112-byte IPv6 packets), offered at 400k pps
	udp=$(ip netns exec "$MN" iperf3 -c $CN_A -p 5204 -u -l 64 -b 205M -t 3 --json |
		/usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]; print("%d pps received (%.1f%% lost)" % ((e["packets"]-e["lost_packets"])/e["seconds"], e["lost_percent"]))')
	echo "  bench $label: ping RTT $rtt; TCP MN->CN $tcp; UDP $udp"
}
if [[ $BENCH == 1 ]]; then
	bench "tunnel ($MAG_BE/$LMA_BE)"
fi

dp_check "MAG closes" stop_dp MAG
dp_check "LMA closes" stop_dp LMA
dp_check "MAG: no route, rule or TUN of ours left" nothing_left "$MAG"
dp_check "LMA: no route, rule or TUN of ours left" nothing_left "$LMA"
dp_check "no route for the MN prefix at the LMA after close" \
	bash -c "! ip -n '$LMA' -6 route show $PFX | grep -q ."

if [[ $BENCH == 1 ]]; then
	# Plain forwarding over the same namespaces and links.
	ip -n "$MAG" route add default via $LMA_A
	ip -n "$MAG" route add $PFX dev link1
	ip -n "$LMA" route add $PFX via $MAG_A
	bench "plain forwarding"
fi

dp_summary "$LABEL"
