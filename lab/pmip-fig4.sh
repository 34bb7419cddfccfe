#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RFC 7429 Figure 4 in network namespaces: PMIPv6 with two LMAs, each MN
# anchored at the LMA its MAGs' policy names, one dmmd per LMA and MAG.
#
#                            ┌──────┐ ir      lma1 ┌─────┐
#   ┌─────┐ ir           ┌───│ LMA1 │═══════╗      │     │ mag1   ir ┌──────┐ mn1   eth0 ┌─────┐
#   │ CN1 │──────────cn1─┤   └──────┘ pool  ╚══════│     │───────────│ MAG1 │────────────│ MN1 │
#   └─────┘              │     2001:db8:1::/48     │     │           └──────┘            └─────┘
#   ┌─────┐ ir           │   ┌──────┐              │ IR  │ mag2   ir ┌──────┐
#   │ CN2 │──────────cn2─┤   │ LMA2 │══════════════│     │───────────│ MAG2 │   (MN1 and MN2 move:
#   └─────┘              │   └──────┘ pool         │     │           └──────┘    their veth peer
#   ┌─────┐ ir           │     2001:db8:2::/48     │     │ mag3   ir ┌──────┐    "mnN" changes
#   │ CN3 │──────────cn3─┘                         │     │───────────│ MAG3 │────  namespace)
#   └─────┘                                        └─────┘           └──────┘ mn2   eth0 ┌─────┐
#                                                                             ─────────│ MN2 │
#                                                                                      └─────┘
#   IR—CNi   2001:db8:c:i::/64   (IR ::1, CNi ::2)
#   IR—LMAi  2001:db8:a:i::/64   (IR ::1, LMAi ::2; MTU 1600 for the tunnel header)
#   IR—MAGi  2001:db8:b:i::/64   (IR ::1, MAGi ::2; MTU 1600)
#   IR routes 2001:db8:1::/48 to LMA1 and 2001:db8:2::/48 to LMA2, and drops
#   packets from either pool that arrive straight from a MAG (ingress
#   filtering), so MN traffic only reaches a CN through a tunnel.
#   MN1 (eth0 02:00:00:00:01:01) starts on MAG1 and is anchored at LMA1;
#   MN2 (eth0 02:00:00:00:02:01) starts on MAG3 and is anchored at LMA2.
#   MNs are plain Linux hosts: no address, no route, accept_ra on; they get
#   their prefix by SLAAC from the MAG's Router Advertisement.
#
# Run it:   lab/pmip-fig4.sh [--dataplane kernel|user|bpf|mixed|mixed-bpf] [--keep]
#           (mixed: MAGs kernel, LMAs user; mixed-bpf: MAGs bpf, LMAs
#           user). Without --keep it brings the network up, registers both
#           MNs, pings, and tears everything down.
# Source it (tests/lab, lab/measure.sh) for lab/lib.sh's functions and:
#   lab_up DATAPLANE          namespaces, links, dmmd everywhere, MNs registered
#   handover MN FROM TO       move MN's access link from MAG FROM to MAG TO
#   wait_registered MN [SECS] MN has a global address from its LMA's pool and
#                             its LMA's binding points at the MAG it is on
#   mn_addr MN                MN's global address
#   lma_binding MN            MN's binding at its LMA (JSON)
set -u
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LAB_NODES=(ir cn1 cn2 cn3 lma1 lma2 mag1 mag2 mag3 mn1 mn2)
LAB_DAEMONS=(lma1 lma2 mag1 mag2 mag3)
declare -A MN_AT=() MN_LMA=() MN_MAC=() MN_POOL=()
LAB_HB_MS=${LAB_HB_MS:-1000}
LAB_TS_WINDOW_MS=${LAB_TS_WINDOW_MS:-300}

ADDR[lma1]=2001:db8:a:1::2
ADDR[lma2]=2001:db8:a:2::2
ADDR[mag1]=2001:db8:b:1::2
ADDR[mag2]=2001:db8:b:2::2
ADDR[mag3]=2001:db8:b:3::2
ADDR[cn1]=2001:db8:c:1::2
ADDR[cn2]=2001:db8:c:2::2
ADDR[cn3]=2001:db8:c:3::2
MN_MAC[mn1]=02:00:00:00:01:01
MN_MAC[mn2]=02:00:00:00:02:01
MN_LMA[mn1]=lma1
MN_LMA[mn2]=lma2
MN_POOL[mn1]=2001:db8:1:
MN_POOL[mn2]=2001:db8:2:

lab_keep_hint() {
	echo "  inspect:    ip netns exec ${NS[lma1]} $DMMCTL show bindings -s $LAB_TMP/lma1.sock"
	echo "  tear down:  $LAB_ROOT/lab/pmip-fig4.sh --down $LAB_TMP"
}

lab_topology() {
	local n i p m
	for n in "${LAB_NODES[@]}"; do
		lab_ns_add "$n"
	done
	for n in ir lma1 lma2 mag1 mag2 mag3; do
		lab_exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	for i in 1 2 3; do
		lab_p2p ir "cn$i" "2001:db8:c:$i" 1500 route
		lab_p2p ir "mag$i" "2001:db8:b:$i" 1600 route
	done
	for i in 1 2; do
		lab_p2p ir "lma$i" "2001:db8:a:$i" 1600 route
		ip -n "${NS[ir]}" -6 route add "2001:db8:$i::/48" via "2001:db8:a:$i::2" dev "lma$i"
	done
	# Ingress filtering at IR: MN addresses come out of a MAG only inside a tunnel.
	for m in mag1 mag2 mag3; do
		for p in 1 2; do
			ip -n "${NS[ir]}" -6 rule add from "2001:db8:$p::/48" iif "$m" prohibit pref 100
		done
	done
	# The MNs: an unmodified host stack, only eth0 with its MAC; the MAG's
	# end of the veth (mn1, mn2) stays down until the MAG's dmmd takes it.
	for n in mn1 mn2; do
		lab_exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.accept_ra=1 \
			net.ipv6.conf.default.autoconf=1 net.ipv6.conf.default.accept_dad=1
	done
	ip -n "${NS[mn1]}" link add eth0 address "${MN_MAC[mn1]}" type veth peer name mn1 netns "${NS[mag1]}" || exit 1
	ip -n "${NS[mn2]}" link add eth0 address "${MN_MAC[mn2]}" type veth peer name mn2 netns "${NS[mag3]}" || exit 1
	MN_AT[mn1]=mag1
	MN_AT[mn2]=mag3
	for n in mn1 mn2; do
		lab_exec "$n" sysctl -qw net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.autoconf=1
		ip -n "${NS[$n]}" link set eth0 up
	done
}

# One mobility security association per MAG-LMA pair (RFC 4285 §5.1);
# MAG3-LMA2, which carries MN2's signalling, with HMAC-SHA-256.
lab_associations() {
	local m l
	for m in mag1 mag2 mag3; do
		for l in lma1 lma2; do
			if [[ $m$l == mag3lma2 ]]; then
				lab_sa "$m" "$l" hmac-sha256-128 || return 1
			else
				lab_sa "$m" "$l" || return 1
			fi
		done
	done
}

# dmmd configs (lab_node_json).
lab_config() {
	local node=$1 dp=$2 i=${1: -1} auth
	case $node in
	lma*)
		# LMA1 accepts only the domain's MAGs (tests/lab/malformed.sh checks status 154).
		# The others leave authorized-mags out: any MAG.
		auth=
		if [[ $node == lma1 ]]; then
			auth=", \"authorized-mags\": [\"${ADDR[mag1]}\", \"${ADDR[mag2]}\", \"${ADDR[mag3]}\"]"
		fi
		lab_node_json "$node" lma "$LAB_HB_MS" "$dp" <<EOF
$(lab_security "$node" mag1 mag2 mag3)
  "lma": {
    "pools": ["2001:db8:$i::/48"], "prefix-length": 64, "max-lifetime": 3600,
    "min-delay-before-bce-delete": 10000, "max-delay-before-new-bce-assign": 1500,
    "timestamp-validity-window": $LAB_TS_WINDOW_MS$auth
  },
  "default-profile": {"mn-id-type": "eui48", "may-register": true}
EOF
		;;
	mag*)
		lab_node_json "$node" mag "$LAB_HB_MS" "$dp" <<EOF
$(lab_security "$node" lma1 lma2)
  "mag": {
    "lma": "${ADDR[lma1]}", "lifetime": 600, "access-interfaces": ["mn*"],
    "link-local-address": "fe80::1", "link-layer-address": "02:00:00:00:d3:01", "ra-interval": 3
  },
  "mobile-nodes": [
    {"mn-id": "eui48:${MN_MAC[mn1]}", "lma": ["${ADDR[lma1]}"]},
    {"mn-id": "eui48:${MN_MAC[mn2]}", "lma": ["${ADDR[lma2]}"]}
  ]
EOF
		;;
	esac
}

mn_addr() {
	ip -n "${NS[$1]}" -6 -j addr show dev eth0 scope global 2>/dev/null |
		jq -r --arg p "${MN_POOL[$1]}" '[.[].addr_info[] | select(.scope == "global" and (.tentative | not)
			and (.local | startswith($p))) | .local][0] // empty'
}

# The LMA's binding of MN as JSON (empty if none).
lma_binding() {
	ctl "${MN_LMA[$1]}" show bindings 2>/dev/null |
		jq -c --arg id "eui48:${MN_MAC[$1]}" '.[] | select(."mn-id" == $id)'
}

# wait_registered MN [SECS]: poll until MN has a global address from its
# LMA's pool and the LMA's binding for MN points at the MAG MN is on.
wait_registered() {
	local mn=$1 secs=${2:-30} i b peer
	for ((i = 0; i < secs * 10; i++)); do
		b=$(lma_binding "$mn")
		peer=$(jq -r '.peer // empty' <<<"$b" 2>/dev/null)
		if [[ -n $(mn_addr "$mn") && $peer == "${ADDR[${MN_AT[$mn]}]}" ]]; then
			return 0
		fi
		sleep 0.1
	done
	lab_log "$mn not registered at ${MN_AT[$mn]} after ${secs}s: address '$(mn_addr "$mn")', binding '$b'"
	return 1
}

# handover MN FROM TO: the MN's access link moves to another MAG (its carrier flaps).
handover() {
	local mn=$1 from=$2 to=$3
	echo "$(date +%s.%N) $mn $from $to" >>"$LAB_TMP/handovers"
	ip -n "${NS[$from]}" link set "$mn" netns "${NS[$to]}" || return 1
	MN_AT[$mn]=$to
}

# lab_up DATAPLANE: the whole network, dmmd on every LMA and MAG, both MNs registered.
lab_up() {
	local dp=$1 n ldp mdp
	case $dp in
	kernel | user | bpf) ldp=$dp mdp=$dp ;;
	mixed) ldp=user mdp=kernel ;;
	mixed-bpf) ldp=user mdp=bpf ;;
	*)
		echo "unknown data plane set-up '$dp' (kernel, user, bpf, mixed, mixed-bpf)" >&2
		return 1
		;;
	esac
	lab_need_tools || return 1
	lab_topology
	lab_associations
	for n in lma1 lma2; do
		lab_config "$n" "$ldp" >"$LAB_TMP/$n.json"
	done
	for n in mag1 mag2 mag3; do
		lab_config "$n" "$mdp" >"$LAB_TMP/$n.json"
	done
	for n in lma1 lma2 mag1 mag2 mag3; do
		dmmd_start "$n" || return 1
	done
	wait_registered mn1 && wait_registered mn2
}

# lab_up_or_exit DATAPLANE: lab_up for a test script; on failure one failed
# check, the logs, the summary, and exit 1.
lab_up_or_exit() {
	lab_up "$1" && return 0
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: both MNs registered"
	dump_logs_on_failure
	summary "$NAME"
	exit 1
}

# Run on its own: bring up, show, ping, tear down (or keep).
lab_main() {
	local dp=kernel
	while [[ $# -gt 0 ]]; do
		case $1 in
		--dataplane)
			dp=${2:-}
			shift
			;;
		*) lab_opt "$@" ;;
		esac
		shift
	done
	lab_need_root pmip-fig4
	lab_init fig4
	lab_up "$dp" || exit 1
	echo "MN1 $(mn_addr mn1) via ${MN_AT[mn1]}, anchored at lma1"
	echo "MN2 $(mn_addr mn2) via ${MN_AT[mn2]}, anchored at lma2"
	lab_exec mn1 ping -6 -c 3 -i 0.2 -W 2 "${ADDR[cn1]}"
	lab_exec mn2 ping -6 -c 3 -i 0.2 -W 2 "${ADDR[cn2]}"
	echo "LMA1 bindings:"
	"$DMMCTL" show bindings -s "$LAB_TMP/lma1.sock"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	lab_main "$@"
fi
