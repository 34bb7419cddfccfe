#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Distributed anchoring (RFC 8885, docs/dmm-protocol.md) in network
# namespaces: a CMD, three MAARs each anchoring its own pool, an internet
# router IR, three CNs and one unmodified Linux host MN that moves.
#
#                                          ┌─────┐
#                                          │ CMD │ 2001:db8:d::2
#                                          └──┬──┘
#                                             │ ir
#                                             │
#                                            cmd
#   ┌─────┐ ir                           ┌────┴────┐ maar1  ir ┌───────┐ mn1 (moves)     eth0 ┌────┐
#   │ CN1 │──────────────────────── cn1 ─┤         ├───────────│ MAAR1 │──────────────────────│ MN │
#   └─────┘                              │         │           └───────┘ pool 2001:db8:11::/48└────┘
#   ┌─────┐ ir                           │   IR    │ maar2  ir ┌───────┐
#   │ CN2 │──────────────────────── cn2 ─┤         ├───────────│ MAAR2 │ pool 2001:db8:12::/48
#   └─────┘                              │         │           └───────┘
#   ┌─────┐ ir                           │         │ maar3  ir ┌───────┐
#   │ CN3 │──────────────────────── cn3 ─┤         ├───────────│ MAAR3 │ pool 2001:db8:13::/48
#   └─────┘                              └─────────┘           └───────┘
#
#   IR—CNi    2001:db8:c:i::/64  (IR ::1, CNi ::2)
#   IR—MAARi  2001:db8:a:i::/64  (IR ::1, MAARi ::2; MTU 1600 with the kernel
#             data plane, which encapsulates on the input path and so cannot
#             send Packet Too Big for the tunnel header: tests/dp/user.sh)
#   IR—CMD    2001:db8:d::/64    (IR ::1, CMD ::2)
#   IR routes 2001:db8:1i::/48 to MAARi and drops packets from MAARi's pool
#   that come out of another MAAR (ingress filtering): an old session's
#   packets reach a CN only through the tunnel to the prefix's anchor.
#   MN: eth0 02:00:00:00:01:01, no address and no route of its own,
#   accept_ra=1, SLAAC only. Its veth peer "mn1" is an access link of the
#   MAAR whose namespace holds it; a handover moves mn1 to another MAAR.
#   Every MAAR advertises its own prefix preferred and the MN's older
#   prefixes deprecated (preferred lifetime 0), so Linux picks the newest
#   address for new sessions (RFC 6724 rule 3) and old sessions keep theirs.
#
# Run it:   lab/dmm.sh [--dataplane kernel|user|bpf] [--mode proxy|relay] [--keep]
#           lab/dmm.sh --down DIR   (tear down a lab kept with --keep)
#           Brings the network up, registers the MN at MAAR1, moves it to
#           MAAR2 and MAAR3 with a ping to CN1 from each MAAR, prints the
#           CMD's bindings and anchors, and tears everything down.
# Source it (tests/lab/dmm.sh) for lab/lib.sh's functions and:
#   dmm_up DATAPLANE MODE     namespaces, links, dmmd on the CMD and MAARs, MN at MAAR1
#   handover TO               move the MN's access link to MAAR TO (maar1..3)
#   mn_addr I [preferred]     the MN's address from MAARi's pool (empty if none)
#   wait_attached MAAR [SECS] the MN has a preferred address from MAAR's pool
#                             and the CMD names MAAR as its serving MAAR
#   cmd_binding               the CMD's entry for the MN (JSON)
set -u
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LAB_NODES=(ir cmd cn1 cn2 cn3 maar1 maar2 maar3 mn)
LAB_DAEMONS=(cmd maar1 maar2 maar3)
MN_MAC=02:00:00:00:01:01
MN_ID=eui48:$MN_MAC
MN_AT=""
declare -A POOL=()
for i in 1 2 3; do
	ADDR[maar$i]=2001:db8:a:$i::2
	ADDR[cn$i]=2001:db8:c:$i::2
	POOL[$i]=2001:db8:1$i:
done
ADDR[cmd]=2001:db8:d::2

# Timers (ms unless noted); the test keeps them short.
DMM_IDLE_MS=${DMM_IDLE_MS:-5000}
DMM_IDLE_CHECK_MS=${DMM_IDLE_CHECK_MS:-1000}
DMM_RA_S=${DMM_RA_S:-2}
DMM_LIFETIME_S=${DMM_LIFETIME_S:-8}
DMM_GRACE_MS=${DMM_GRACE_MS:-10000}
DMM_HB_MS=${DMM_HB_MS:-1000}
DMM_RELAY_MS=${DMM_RELAY_MS:-500}

dmm_topology() {
	local dp=$1 n i j mtu=1500
	[[ $dp == kernel ]] && mtu=1600
	for n in "${LAB_NODES[@]}"; do
		lab_ns_add "$n"
	done
	for n in ir maar1 maar2 maar3; do
		lab_exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	for i in 1 2 3; do
		lab_p2p ir "cn$i" "2001:db8:c:$i" 1500 route
		lab_p2p ir "maar$i" "2001:db8:a:$i" "$mtu" route
		ip -n "${NS[ir]}" -6 route add "${POOL[$i]}:/48" via "2001:db8:a:$i::2" dev "maar$i"
		for j in 1 2 3; do
			[[ $i == "$j" ]] && continue
			ip -n "${NS[ir]}" -6 rule add from "${POOL[$i]}:/48" iif "maar$j" prohibit pref 100
		done
	done
	lab_p2p ir cmd 2001:db8:d 1500 route
	# The MN: an unmodified host stack with DAD, SLAAC and RFC 6724 source selection.
	lab_exec mn sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.accept_ra=1 \
		net.ipv6.conf.default.autoconf=1 net.ipv6.conf.default.accept_dad=1
	ip -n "${NS[mn]}" link add eth0 address "$MN_MAC" type veth peer name mn1 netns "${NS[maar1]}" || exit 1
	MN_AT=maar1
	lab_exec mn sysctl -qw net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.autoconf=1
	ip -n "${NS[mn]}" link set eth0 up
	# Hosts keep the veth default (partial checksums, which the user data
	# plane completes); LAB_TX_CSUM_OFF=1 makes them send complete ones, as
	# from a real NIC.
	if [[ ${LAB_TX_CSUM_OFF:-0} == 1 ]]; then
		lab_exec mn "$TRAFFIC" tx-csum-off eth0 || exit 1
		for n in cn1 cn2 cn3; do
			lab_exec "$n" "$TRAFFIC" tx-csum-off ir || exit 1
		done
	fi
}

# dmmd configs (lab_node_json).
dmm_config() {
	local node=$1 dp=$2 mode=$3 i=${1: -1}
	case $node in
	cmd)
		lab_node_json cmd cmd "$DMM_HB_MS" <<EOF
$(lab_security cmd maar1 maar2 maar3)
  "cmd": {
    "mode": "$mode", "relay-timeout": $DMM_RELAY_MS, "max-lifetime": 3600,
    "authorized-maars": ["${ADDR[maar1]}", "${ADDR[maar2]}", "${ADDR[maar3]}"]
  },
  "default-profile": {"mn-id-type": "eui48", "may-register": true}
EOF
		;;
	maar*)
		lab_node_json "$node" maar "$DMM_HB_MS" "$dp" <<EOF
$(lab_security "$node" cmd)
  "maar": {
    "cmd": "${ADDR[cmd]}", "pools": ["${POOL[$i]}:/48"], "prefix-length": 64, "priority": $i,
    "lifetime": $DMM_LIFETIME_S, "idle-release": $DMM_IDLE_MS, "idle-check": $DMM_IDLE_CHECK_MS,
    "detach-grace": $DMM_GRACE_MS,
    "access-interfaces": ["mn*"], "link-local-address": "fe80::1",
    "link-layer-address": "02:00:00:00:d3:01", "ra-interval": $DMM_RA_S
  },
  "default-profile": {"mn-id-type": "eui48", "may-register": true}
EOF
		;;
	esac
}

# The MN's global address from MAARi's pool; with "preferred", only a preferred one.
mn_addr() {
	local i=$1 pref=${2:-}
	ip -n "${NS[mn]}" -6 -j addr show dev eth0 scope global 2>/dev/null |
		jq -r --arg p "${POOL[$i]}" --arg pref "$pref" '[.[].addr_info[]
			| select(.scope == "global" and (.tentative | not) and (.local | startswith($p))
				and ($pref == "" or (.deprecated | not)))
			| .local][0] // empty'
}

cmd_binding() {
	ctl cmd show bindings 2>/dev/null | jq -c --arg id "$MN_ID" '.[] | select(."mn-id" == $id)'
}

attached_at() {
	local maar=$1 i=${1: -1}
	[[ -n $(mn_addr "$i" preferred) && $(cmd_binding | jq -r .peer) == "${ADDR[$maar]}" ]]
}

# wait_attached MAAR [SECS]
wait_attached() {
	local maar=$1 secs=${2:-30}
	wait_for "$secs" attached_at "$maar" && return 0
	lab_log "MN not attached at $maar after ${secs}s: preferred address '$(mn_addr "${maar: -1}" preferred)', CMD: '$(cmd_binding)'"
	return 1
}

# handover TO: the MN's access link moves to MAAR TO (its carrier flaps).
handover() {
	local to=$1
	echo "$(date +%s.%N) $MN_AT $to" >>"$LAB_TMP/handovers"
	ip -n "${NS[$MN_AT]}" link set mn1 netns "${NS[$to]}" || return 1
	MN_AT=$to
}

dmm_up() {
	local dp=$1 mode=$2 n
	case $dp in kernel | user | bpf) ;; *)
		echo "unknown data plane '$dp' (kernel, user, bpf)" >&2
		return 1
		;;
	esac
	case $mode in proxy | relay) ;; *)
		echo "unknown CMD mode '$mode' (proxy, relay)" >&2
		return 1
		;;
	esac
	lab_need_tools || return 1
	dmm_topology "$dp"
	# One mobility security association per MAAR-CMD pair (RFC 4285 §5.1),
	# MAAR2's with HMAC-SHA-256.
	lab_sa cmd maar1 && lab_sa cmd maar2 hmac-sha256-128 && lab_sa cmd maar3 || return 1
	for n in cmd maar1 maar2 maar3; do
		dmm_config "$n" "$dp" "$mode" >"$LAB_TMP/$n.json"
	done
	for n in cmd maar1 maar2 maar3; do
		dmmd_start "$n" || return 1
	done
	wait_attached maar1
}

lab_keep_hint() {
	echo "  inspect:    $DMMCTL show bindings -s $LAB_TMP/cmd.sock"
	echo "  tear down:  $LAB_ROOT/lab/dmm.sh --down $LAB_TMP"
}

dmm_main() {
	local dp=kernel mode=proxy i
	while [[ $# -gt 0 ]]; do
		case $1 in
		--dataplane)
			dp=${2:-}
			shift
			;;
		--mode)
			mode=${2:-}
			shift
			;;
		*) lab_opt "$@" ;;
		esac
		shift
	done
	lab_need_root dmm
	lab_init dmm
	dmm_up "$dp" "$mode" || exit 1
	for i in 1 2 3; do
		if [[ $i -gt 1 ]]; then
			handover "maar$i" && wait_attached "maar$i" || exit 1
		fi
		echo "MN at MAAR$i: $(ip -n "${NS[mn]}" -6 -br addr show dev eth0 scope global)"
		lab_exec mn ping -6 -c 2 -i 0.2 -W 2 "${ADDR[cn1]}" | tail -n 2
	done
	echo "CMD bindings:"
	"$DMMCTL" show bindings -s "$LAB_TMP/cmd.sock"
	echo "CMD anchors:"
	"$DMMCTL" show anchors -s "$LAB_TMP/cmd.sock"
	echo "MAAR3 intents:"
	"$DMMCTL" show intents -s "$LAB_TMP/maar3.sock"
}

# The local address of the MN's established TCP connection to PORT (ss, as Linux chose it).
sess_src() {
	lab_exec mn ss -Htn state established "( dport = :$1 )" |
		awk '{ a = $3; sub(/:[0-9]+$/, "", a); gsub(/[][]/, "", a); print a; exit }'
}

has_sess() { [[ -n $(sess_src "$1") ]]; }

# dmm_session X I PORT BYTES SECONDS: TCP MN -> CN<I> (BYTES verified, paced at
# $RATE Mbit/s) and, for SECONDS, probes CN<I> -> the session's address; sets
# SRC_X, SINK_X, USINK_X, ADDR_X. Uses TRAFFIC, RATE, ADDR and wait_for of the caller.
dmm_session() {
	local x=$1 i=$2 port=$3 bytes=$4 secs=$5 p a
	lab_bg p "cn$i" "$TRAFFIC" tcp-sink --port "$port" --bytes "$bytes" --timeout 90 >"$LAB_TMP/sink-$x.json"
	printf -v "SINK_$x" %s "$p"
	lab_bg p mn "$TRAFFIC" udp-sink --port "$((port + 1000))" --duration "$secs" --timeout 10 >"$LAB_TMP/probe-$x.json"
	printf -v "USINK_$x" %s "$p"
	sleep 0.2
	lab_bg p mn "$TRAFFIC" tcp-source --to "${ADDR[cn$i]}" --port "$port" --bytes "$bytes" --rate "$RATE" \
		--timeout 90 >"$LAB_TMP/source-$x.json"
	printf -v "SRC_$x" %s "$p"
	wait_for 5 has_sess "$port"
	a=$(sess_src "$port")
	printf -v "ADDR_$x" %s "$a"
	lab_bg p "cn$i" "$TRAFFIC" udp-source --to "${a:-::1}" --port "$((port + 1000))" --pps 1000 --duration "$secs" \
		>/dev/null
	lab_log "session $x: MN [$a] -> CN$i port $port, $bytes bytes (~$secs s)"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	dmm_main "$@"
fi
