# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Checks of RFC 4285 signalling authentication shared by the lab tests
# (sourced after lab/pmip-fig4.sh or lab/dmm.sh):
#
#   auth_clean NODE PEER...   NODE verified messages from every PEER and
#                             refused none (dmmctl show stats, "auth")
#   auth_alg NODE PEER ALG    NODE signs for PEER with ALG
#   auth_verify_pcap PCAP     every Mobility Header in PCAP carries option 9
#                             that verifies with Python's hmac
#                             (tests/lab/mhauth.py, the lab's key files)
#   auth_lab_start NS TITLE   the start of an attack or rollover test: root,
#                             scapy and the lab's associations checked (exit
#                             1 with the reason), the PMIPv6 lab up in
#                             namespaces NS with the kernel data plane
#                             (the user data plane on a kernel without
#                             SRv6, tests/kfeat.sh), cleaned up at exit;
#                             uses NAME and PY

# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
AUTH_PY=${PYTHON:-/usr/bin/python3}
AUTH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

auth_clean() {
	local node=$1 peer s rc=0
	shift
	for peer in "$@"; do
		s=$(lab_auth_stats "$node" "$peer")
		echo "$node for $peer: ${s:-no association}"
		[[ -n $s ]] && jq -e '.verified > 0 and .failed == 0' <<<"$s" >/dev/null || rc=1
	done
	return $rc
}

auth_alg() {
	local s
	s=$(lab_auth_stats "$1" "$2")
	echo "$1 for $2: ${s:-no association}"
	[[ -n $s ]] && jq -e --arg a "$3" '.algorithm == $a' <<<"$s" >/dev/null
}

auth_verify_pcap() {
	local out
	# shellcheck disable=SC2046 # one argument a key
	out=$("$AUTH_PY" "$AUTH_LIB_DIR/mhauth.py" verify "$1" $(lab_sa_all)) || return 1
	echo "$out"
	jq -e '.failures == [] and .ok > 0 and .truncated == 0' <<<"$out" >/dev/null
}

auth_lab_start() {
	lab_need_root_scapy "$NAME" "$PY"
	if [[ $LAB_AUTH != 1 ]]; then
		echo "$NAME: needs the lab's associations (LAB_AUTH=1)" >&2
		exit 1
	fi
	lab_init "$1"
	trap 'dump_logs_on_failure; lab_cleanup' EXIT
	echo "$NAME: $2"
	if ! lab_up "$(kfeat_dp)"; then
		FAILED=$((FAILED + 1))
		echo "  FAIL  bring-up: both MNs registered (with authentication)"
		summary "$NAME"
		exit 1
	fi
}
