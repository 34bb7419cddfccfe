#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# LMA discovery by DNS (RFC 6097) on RFC 7429 Figure 4 (lab/pmip-fig4.sh
# has the picture). dnsmasq runs in IR's namespace on
# 2001:db8:53::53 and answers from a hosts file with a TTL of 2 s; the
# MAGs name their LMA by DNS (mag/lma-discovery, docs/dmmd.md) and no MN
# profile names an LMA. Usage: tests/lab/discovery.sh [kernel|user|bpf]
# (the data plane, kernel by default).
#
#   dnsmasq (IR)  lma.dmm.test   AAAA LMA1            then LMA2
#                 lmas.dmm.test  AAAA 2001:db8:a:9::2 (IR drops it), LMA1
#
#   1. MAG1 (name lma.dmm.test) registers MN1 at LMA1: LMA1's binding,
#      tshark sees MAG1's PBU go to LMA1.
#   2. The record moves to LMA2 (hosts file rewritten, SIGHUP): after the
#      TTL MAG1 shows the new address; at its next refresh MN1 moves:
#      a de-registration (lifetime 0) to LMA1, a registration at LMA2,
#      a prefix from LMA2's pool, ping to CN1 through LMA2.
#   3. MAG3 (name lmas.dmm.test, two addresses, the first silent)
#      registers MN2: PBUs to the silent address, then, after the
#      retransmissions, at LMA1 (lma-next-address 1).
#   4. dnsmasq stops: lookups fail, are counted, and MN1's binding stays.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

DP=${1:-kernel}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "discovery-$DP"
NAME=discovery
DNS=2001:db8:53::53
DEAD=2001:db8:a:9::2
# The MAGs: the LMA by name, a short lifetime (refresh after 8 s) and one
# retransmission (the silent address is left after 4.5 s: 1.5 s
# InitialBindackTimeoutFirstReg, then 3 s).
# shellcheck disable=SC2034 # read by dmmd_start (lab/lib.sh)
LAB_CFG_JQ='if ."dmm:node".role == "mag" then
		."dmm:node".mag |= (del(.lma) | .lifetime = 10 | ."max-retransmissions" = 1
			| ."lma-discovery" = {"name": "lma.dmm.test", "dns-server": "2001:db8:53::53", "min-ttl": 1, "max-ttl": 60})
		| (if ."dmm:node".name == "mag3" then ."dmm:node".mag."lma-discovery".name = "lmas.dmm.test" else . end)
		| ."dmm:node"."mobile-nodes" |= map(del(.lma))
	else . end'

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
if ! command -v dnsmasq >/dev/null; then
	echo "$NAME: dnsmasq missing: apt-get install dnsmasq-base (make deps as root)" >&2
	exit 1
fi

lab_init discovery
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: RFC 6097 LMA discovery by DNS (dnsmasq), $DP data plane"

# records LINE...: dnsmasq's hosts file, re-read on SIGHUP.
records() {
	printf '%s\n' "$@" >"$LAB_TMP/hosts.tmp" && mv "$LAB_TMP/hosts.tmp" "$LAB_TMP/hosts"
	[[ -z ${DNS_PID:-} ]] || kill -HUP "$DNS_PID"
}

# disc NODE: the lma-discovery object of NODE's show node.
disc() {
	ctl "$1" show node | jq -c '."lma-discovery"'
}

# counter NODE NAME: a role counter of show stats.
counter() {
	ctl "$1" show stats | jq -r --arg k "$2" '[.. | objects | select(has($k)) | .[$k]][0] // 0'
}

up() {
	local n
	lab_need_tools || return 1
	lab_topology
	lab_associations
	ip -n "${NS[ir]}" addr add "$DNS/128" dev lo
	ip -n "${NS[ir]}" -6 route add blackhole "${DEAD%::2}::/64"
	records "${ADDR[lma1]} lma.dmm.test" "$DEAD lmas.dmm.test" "${ADDR[lma1]} lmas.dmm.test"
	# No round robin: the answer's order is the file's (the MAG keeps the first answer's order anyway).
	lab_bg DNS_PID ir dnsmasq -k -C /dev/null --no-resolv --no-hosts --no-round-robin -u root \
		--addn-hosts="$LAB_TMP/hosts" --local-ttl=2 --listen-address="$DNS" --bind-interfaces \
		--log-queries --log-facility="$LAB_TMP/dnsmasq.log" --pid-file="$LAB_TMP/dnsmasq.pid"
	for n in lma1 lma2 mag1 mag3; do
		lab_config "$n" "$DP" >"$LAB_TMP/$n.json"
	done
	for n in lma1 lma2; do
		dmmd_start "$n" || return 1
	done
	cap_start CAP1 mag1 ir "$LAB_TMP/mag1.pcap" ip6 proto 135 || return 1
	cap_start CAP3 mag3 ir "$LAB_TMP/mag3.pcap" ip6 proto 135 || return 1
	dmmd_start mag1 || return 1
	wait_registered mn1
}
if ! up; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: MN1 registered at the address of lma.dmm.test (LMA1)"
	dump_logs_on_failure
	summary "$NAME"
	exit 1
fi
PASSED=$((PASSED + 1))
echo "  pass  bring-up: MAG1 looked up lma.dmm.test at dnsmasq and registered MN1 at LMA1"

# 1. The first answer.
check "show node: MAG1 names lma.dmm.test, addresses [LMA1], TTL 2 s" \
	eval "disc mag1 | tee /dev/stderr | jq -e '.name == \"lma.dmm.test\" and .addresses == [\"${ADDR[lma1]}\"] and .current == \"${ADDR[lma1]}\" and .ttl == 2 and .\"ttl-left\" <= 2'"
check "dmmctl: LMA1 holds MN1's binding, from MAG1" eval "[[ \$(lma_binding mn1 | jq -r .peer) == ${ADDR[mag1]} ]]"
check "dnsmasq answered MAG1's AAAA query" grep -q "query\[AAAA\] lma.dmm.test from ${ADDR[mag1]}" "$LAB_TMP/dnsmasq.log"

# 2. The record changes: new address after the TTL, MN1 moves at its refresh.
records "${ADDR[lma2]} lma.dmm.test" "$DEAD lmas.dmm.test" "${ADDR[lma1]} lmas.dmm.test"
t0=$(date +%s.%N)
check "after the TTL MAG1 shows [LMA2]" \
	wait_for 6 eval "disc mag1 | jq -e '.addresses == [\"${ADDR[lma2]}\"]'"
info "MAG1 saw the new record after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
MN_LMA[mn1]=lma2
MN_POOL[mn1]=2001:db8:2:
check "at its refresh MN1 moved to LMA2 (binding from MAG1, address from LMA2's pool)" wait_registered mn1 15
# RFC 5213 §5.3.5: the de-registered entry waits MinDelayBeforeBCEDelete (10 s) before it goes.
check "LMA1 no longer holds MN1 active (de-registered: DEREG_WAIT or gone)" \
	wait_for 3 eval "ctl lma1 show bindings | jq -e 'map(select(.state == \"ACTIVE\")) | length == 0'"
check "MAG1 counted one move (lma-moved)" eval "[[ \$(counter mag1 lma-moved) == 1 ]]"
check "ping MN1 -> CN1 through LMA2" lab_exec mn1 ping -6 -c 3 -i 0.2 -w 10 "${ADDR[cn1]}"

# 3. Two addresses, the first silent.
dmmd_start mag3 || FAILED=$((FAILED + 1))
MN_LMA[mn2]=lma1
MN_POOL[mn2]=2001:db8:1:
check "MAG3 shows lmas.dmm.test with [silent, LMA1]" \
	wait_for 5 eval "disc mag3 | jq -e '.addresses == [\"$DEAD\", \"${ADDR[lma1]}\"]'"
check "MN2 registered at LMA1, the second address, after the first did not answer" wait_registered mn2 20
check "MAG3 counted one move to the next address (lma-next-address)" eval "[[ \$(counter mag3 lma-next-address) == 1 ]]"
check "show node: MAG3 now uses LMA1 for new MNs" eval "disc mag3 | jq -e '.current == \"${ADDR[lma1]}\"'"

# 4. The DNS server goes away: failures counted, bindings kept.
kill -TERM "$DNS_PID" 2>/dev/null
wait "$DNS_PID" 2>/dev/null
DNS_PID=
check "lookups fail and are counted (failures > 0, last-error set)" \
	wait_for 8 eval "disc mag1 | jq -e '.failures > 0 and .\"last-error\" != \"\" and .addresses == [\"${ADDR[lma2]}\"]'"
check "MN1 still registered at LMA2" wait_registered mn1 3
sleep 1.2
cap_stop "$CAP1"
cap_stop "$CAP3"

# The oracle: tshark reads what went on the wire.
pbus() { # FILE: "dst lifetime" of every PBU
	tshark -r "$1" -Y 'mip6.mhtype == 5' -T fields -e ipv6.dst -e mip6.bu.lifetime 2>/dev/null | sort | uniq -c
}
pbus "$LAB_TMP/mag1.pcap" | while read -r l; do info "tshark MAG1 PBUs (count dst lifetime units): $l"; done
check "tshark: MAG1's PBUs went to LMA1 first" \
	eval "tshark -r $LAB_TMP/mag1.pcap -Y 'mip6.mhtype == 5' -T fields -e ipv6.dst 2>/dev/null | head -1 | grep -qx ${ADDR[lma1]}"
check "tshark: MAG1 de-registered MN1 at LMA1 (lifetime 0) and registered it at LMA2" \
	eval "tshark -r $LAB_TMP/mag1.pcap -Y 'mip6.mhtype == 5 && mip6.bu.lifetime == 0 && ipv6.dst == ${ADDR[lma1]}' 2>/dev/null | grep -q . &&
		tshark -r $LAB_TMP/mag1.pcap -Y 'mip6.mhtype == 6 && mip6.ba.status == 0 && ipv6.src == ${ADDR[lma2]}' 2>/dev/null | grep -q ."
pbus "$LAB_TMP/mag3.pcap" | while read -r l; do info "tshark MAG3 PBUs (count dst lifetime units): $l"; done
check "tshark: MAG3 sent its first PBUs to the silent address (the first and its retransmission), then to LMA1" \
	eval "[[ \$(tshark -r $LAB_TMP/mag3.pcap -Y 'mip6.mhtype == 5' -T fields -e ipv6.dst 2>/dev/null | head -3 | tr '\n' ' ') == '$DEAD $DEAD ${ADDR[lma1]} ' ]]"

for n in mag1 mag3 lma1 lma2; do
	dmmd_stop "$n" >/dev/null 2>&1
done
check "after SIGTERM: no proto 0xd3 route, no rule, no TUN device in any namespace" lab_leftovers
dump_logs_on_failure
[[ $FAILED -eq 0 ]] || tail -n 15 "$LAB_TMP/dnsmasq.log" | sed 's/^/      dnsmasq: /'
trap lab_cleanup EXIT
summary "$NAME"
