#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One dmmd LMA with SCALE_MNS (default 10^4) bindings, for each data plane
# (kernel over raw MH, user over UDP 5436), driven by mh-load as the MAGs
# (topology in lib.sh). Asserts:
#   - every MN registered, every PBA status 0 with a prefix, each prefix once;
#   - dmmd counts them all (show peers, show bindings);
#   - a refresh round: every PBU answered with status 0 and the same prefix;
#   - forwarding for a sample: a packet from the CN to each of SCALE_SAMPLE
#     random bound prefixes comes out of the tunnel at that MN's MAG, and one
#     to a pool prefix nobody holds does not;
#   - a handoff of SCALE_HANDOFF MNs to other MAG addresses (HI 3): every
#     PBA status 0, the prefix kept, packets now reach the new MAG;
#   - a de-registration of some of them: every PBA status 0;
#   - SIGTERM: dmmd exits 0 and leaves no route, rule, nft table or TUN
#     device behind (the namespace's state equals that before the start).
# Needs root; fails (never skips) when it cannot run.
#
#   [SCALE_MNS=10000] [SCALE_DATAPLANES="kernel user"] tests/scale/scale-test.sh [DATAPLANE...]
#
# Data planes named as arguments replace SCALE_DATAPLANES (make check runs
# "tests/scale/scale-test.sh kernel" in the qemu machine of tests/vm/run.sh
# when this kernel lacks SRv6).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/scale/lib.sh
. tests/scale/lib.sh
N=${SCALE_MNS:-10000}
SAMPLE=${SCALE_SAMPLE:-20}
HANDOFF=${SCALE_HANDOFF:-200}
MAGS=${SCALE_MAGS:-16}
sc_init scale-test
sc_setup

# Packets to addresses "PREFIX1" from the CN; the catcher's lines for them.
probe() {
	cns "$B/mh-load" probe "$@" || return 1
	sleep 0.5
}
# caught INNER OUTER-DST: that packet came out of the tunnel at that MAG.
caught() { grep -q "^$1 $2 $LMA_A\$" "$SC_T/catch.out"; }

# Each sampled "MNID PREFIX MAG" line of $1 arrived at its MAG.
check_sample() {
	local file=$1 miss=0 addrs=()
	while read -r _ p _; do addrs+=("${p%/*}1"); done <"$file"
	probe "${addrs[@]}" || return 1
	for _ in $(seq 20); do
		miss=0
		while read -r _ p mag; do caught "${p%/*}1" "$mag" || miss=$((miss + 1)); done <"$file"
		[[ $miss -eq 0 ]] && break
		sleep 0.2
	done
	echo "$miss of $(wc -l <"$file") sampled prefixes did not arrive at their MAG"
	[[ $miss -eq 0 ]]
}

# The prefix file holds n MNs with n different prefixes.
hnp_ok() {
	local lines uniq
	lines=$(wc -l <"$SC_T/hnp")
	uniq=$(awk '{print $2}' "$SC_T/hnp" | sort -u | wc -l)
	echo "$lines MNs with a prefix, $uniq different prefixes"
	[[ $lines -eq $1 && $uniq -eq $1 ]]
}
peers_count() {
	local n
	n=$(sc_bindings)
	echo "show peers: $n bindings"
	[[ $n -eq $1 ]]
}
list_count() {
	local n
	n=$("$B/dmmctl" show bindings -s "$SC_T/lma.sock" --json | jq length)
	echo "show bindings: $n"
	[[ $n -eq $1 ]]
}
not_caught() { ! grep "^$1 " "$SC_T/catch.out"; }

# A /64 of the pool that no MN holds.
control_prefix() {
	local i p
	for i in $(seq 65535 -1 65000); do
		p=$(printf '2001:db8:100f:%x::' "$i")
		grep -q " $p/64 " "$SC_T/hnp" || { echo "$p"; return 0; }
	done
	return 1
}

run_dataplane() {
	local dp=$1 tr=$2 ctl
	echo "scale-test: $dp data plane, MH over $tr, $N MNs from $MAGS MAGs"
	sc_state >"$SC_T/before"
	# A data plane that cannot start fails its one check; the next one still runs.
	if ! sc_start "$dp" "$tr" $((N * 2)); then
		check "$dp: dmmd started" false
		return
	fi
	mns "$B/mh-load" catch --seconds 100000 >"$SC_T/catch.out" &
	SC_PIDS+=("$!")

	sc_load register --transport "$tr" --mns "$N" --mags "$MAGS" --mag-base $MAG_BASE --window 32 \
		--timeout 20 --seconds 600 --hnp-out "$SC_T/hnp" >/dev/null
	check "$dp: every MN registered, every PBA status 0 ($N)" \
		sc_json ".accepted == $N and .sent == $N and .timeouts == 0 and .mismatch == 0 and .statuses == {\"0\": $N}"
	check "$dp: a prefix for each MN, no prefix twice" hnp_ok "$N"
	check "$dp: show peers counts $N bindings" peers_count "$N"
	check "$dp: show bindings lists $N" list_count "$N"

	sc_load refresh --transport "$tr" --hnp-in "$SC_T/hnp" --seconds 3 --timeout 10 >/dev/null
	check "$dp: refresh: every PBU answered, status 0, same prefix" \
		sc_json '.sent > 0 and .accepted == .sent and .timeouts == 0 and .mismatch == 0 and .rejected == 0'

	shuf -n "$SAMPLE" "$SC_T/hnp" >"$SC_T/sample"
	check "$dp: a packet to each of $SAMPLE random bound prefixes arrives through the tunnel at its MAG" \
		check_sample "$SC_T/sample"
	ctl=$(control_prefix)
	probe "${ctl}1"
	sleep 0.5
	check "$dp: a packet to an unbound prefix ($ctl/64) does not arrive" not_caught "${ctl}1"

	shuf -n "$HANDOFF" "$SC_T/hnp" >"$SC_T/moving"
	sc_load handoff --transport "$tr" --hnp-in "$SC_T/moving" --mags 4 --mag-base $MAG_BASE2 \
		--timeout 20 --hnp-out "$SC_T/moved" >/dev/null
	check "$dp: handoff of $HANDOFF MNs to other MAGs (HI 3): every PBA status 0, prefix kept" \
		sc_json ".accepted == $HANDOFF and .timeouts == 0 and .mismatch == 0"
	head -n 5 "$SC_T/moved" >"$SC_T/moved-sample"
	check "$dp: after the handoff, packets reach the new MAG" check_sample "$SC_T/moved-sample"
	check "$dp: still $N bindings after the handoff" peers_count "$N"

	head -n 50 "$SC_T/moved" >"$SC_T/leaving"
	sc_load deregister --transport "$tr" --hnp-in "$SC_T/leaving" --timeout 20 >/dev/null
	check "$dp: de-registration (lifetime 0) of 50 MNs: every PBA status 0" \
		sc_json '.accepted == 50 and .timeouts == 0 and .mismatch == 0'

	sc_stop
	check "$dp: dmmd exits 0 on SIGTERM" test "$SC_RC" -eq 0
	sc_state >"$SC_T/after"
	check "$dp: nothing of dmmd left (routes, rules, nft tables, links)" diff "$SC_T/before" "$SC_T/after"
	kill "${SC_PIDS[-1]}" 2>/dev/null
}

# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
dps=("$@")
[[ ${#dps[@]} -gt 0 ]] || read -r -a dps <<<"${SCALE_DATAPLANES:-kernel user}"
for dp in "${dps[@]}"; do
	case $dp in
	kernel) kfeat_lacks seg6 "scale-test kernel" || run_dataplane kernel "${SCALE_TRANSPORT:-ip6}" ;;
	user) run_dataplane user "${SCALE_TRANSPORT:-udp}" ;;
	*) check "data plane '$dp' is kernel or user" false ;;
	esac
done
sc_done
