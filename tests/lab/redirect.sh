#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runtime LMA assignment (RFC 6463) on RFC 7429 Figure 4 (lab/pmip-fig4.sh
# has the picture), kernel data plane (user without SRv6, tests/kfeat.sh). Every MAG's default LMA is LMA1 and
# no MN names its LMA; LMA1 redirects new sessions to LMA2 from one binding
# on ("redirect": {"load": 1}); the MAGs have EnableLMARedirectFunction.
#
#   MAG1 ── PBU (Redirect-Capability) ──> LMA1   MN1: LMA1 below its load, bound there
#   MAG3 ── PBU (Redirect-Capability) ──> LMA1   MN2: LMA1 over its load:
#   MAG3 <── PBA status 0, Redirect(LMA2) ── LMA1      no binding at LMA1,
#   MAG3 ── PBU ──> LMA2, PBA <── LMA2                  bound at LMA2
#
#   - tshark decodes the Redirect-Capability and Redirect options on IR's
#     link to LMA1 (the oracle);
#   - dmmctl show bindings: LMA1 holds MN1 only, LMA2 holds MN2 at MAG3,
#     and MAG3's entry for MN2 names LMA2; MN2 pings CN2 through LMA2.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
DP=${1:-$(kfeat_dp)}
NAME="redirect-$DP"
# shellcheck disable=SC2034 # read by dmmd_start (lab/lib.sh)
LAB_CFG_JQ='if ."dmm:node".role == "mag" then ."dmm:node".mag.redirect = true
		| ."dmm:node"."mobile-nodes" |= map(del(.lma))
	elif ."dmm:node".name == "lma1" then ."dmm:node".lma.redirect = {"load": 1, "to": "2001:db8:a:2::2"}
	else . end'

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi

lab_init "redirect-$DP"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: RFC 6463 runtime LMA assignment, $DP data plane"

# lab_up, with the capture on IR's link to LMA1 started before the MAGs.
up() {
	local n
	lab_need_tools || return 1
	lab_topology
	lab_associations
	for n in lma1 lma2 mag1 mag2 mag3; do
		lab_config "$n" "$DP" >"$LAB_TMP/$n.json"
	done
	for n in lma1 lma2; do
		dmmd_start "$n" || return 1
	done
	cap_start CAP_PID ir lma1 "$LAB_TMP/ir-lma1.pcap" ip6 proto 135 || return 1
	dmmd_start mag1 || return 1
	wait_registered mn1 || return 1
	for n in mag2 mag3; do
		dmmd_start "$n" || return 1
	done
	wait_registered mn2
}
if ! up; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: MN1 registered at LMA1, MN2 at LMA2"
	dump_logs_on_failure
	summary "$NAME"
	exit 1
fi
PASSED=$((PASSED + 1))
echo "  pass  bring-up: MN1 registered at LMA1, MN2 (redirected) at LMA2"

bindings_of() {
	ctl "$1" show bindings | jq -c '[.[] | ."mn-id"] | sort'
}
check "dmmctl: LMA1 holds MN1 only" eval "[[ \$(bindings_of lma1) == '[\"eui48:${MN_MAC[mn1]}\"]' ]]"
check "dmmctl: LMA2 holds MN2, at MAG3" \
	eval "[[ \$(bindings_of lma2) == '[\"eui48:${MN_MAC[mn2]}\"]' && \$(lma_binding mn2 | jq -r .peer) == ${ADDR[mag3]} ]]"
check "dmmctl: MAG3's entry for MN2 names LMA2" \
	eval "ctl mag3 show bindings | jq -e '.[] | select(.\"mn-id\" == \"eui48:${MN_MAC[mn2]}\") | tostring | contains(\"${ADDR[lma2]}\")'"
check "LMA1 counted one redirect" eval "ctl lma1 show stats | jq -e '[.. | objects | select(has(\"redirected\")) | .redirected][0] == 1'"
check "ping MN2 -> CN2 through LMA2" lab_exec mn2 ping -6 -c 3 -i 0.2 -w 10 "${ADDR[cn2]}"
sleep 1.2
cap_stop "$CAP_PID"
PCAP=$LAB_TMP/ir-lma1.pcap
check "tshark: PBUs from MAG1 and MAG3 carry Redirect-Capability (option 46)" \
	eval "tshark -r $PCAP -Y 'mip6.mhtype == 5 && mip6.options.recap' -T fields -e ipv6.src 2>/dev/null | sort -u | tee /dev/stderr | grep -c . | grep -qx 2"
check "tshark: LMA1's PBA to MAG3 carries status 0 and the Redirect option (47) naming LMA2" \
	eval "tshark -r $PCAP -Y 'mip6.mhtype == 6 && mip6.ba.status == 0 && mip6.redir.k == 1 && mip6.redir.addr_r2lma_ipv6 == ${ADDR[lma2]} && ipv6.dst == ${ADDR[mag3]}' -V 2>/dev/null | tee $LAB_TMP/redir.txt | grep -q 'Redirect'"
grep -i -m3 'redirect' "$LAB_TMP/redir.txt" | while read -r l; do info "tshark: $l"; done

for n in mag1 mag2 mag3 lma1 lma2; do
	dmmd_stop "$n" >/dev/null 2>&1
done
check "after SIGTERM: no proto 0xd3 route, no rule, no TUN device in any namespace" lab_leftovers
dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
