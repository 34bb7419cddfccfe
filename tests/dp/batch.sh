#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel data plane's batches (dataplane.h begin/commit) and in-place
# replace, in one namespace, driven by build/dp-tool:
#  - N intents installed in one batch are all there after commit: their
#    routes, the policy rules of the SRC ones and their nftables elements;
#  - an intent naming an interface that is gone by commit time is the one
#    refused, with ENODEV, and nothing of it remains (route, counter);
#  - replace swaps a route with NLM_F_REPLACE: the route monitor shows the
#    new route and no deletion, so there is no instant without a route;
#    the same inside a batch;
#  - outside a batch every op works as before, and close removes it all.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

DPTOOL=${DPTOOL:-build/dp-tool}
N=${BATCH_N:-300}
LOCAL=2001:db8:ff::2
PEER=2001:db8:ff::1
PEER2=2001:db8:ff::3
NFT_TABLE="inet dmm_211"

if [[ $(id -u) -ne 0 ]]; then
	echo "batch-dp: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
. tests/kfeat.sh
kfeat_need_or_exit seg6 batch-dp
[[ -x $DPTOOL ]] || {
	echo "batch-dp: $DPTOOL missing (make build/dp-tool)"
	exit 1
}

dp_init batch-dp
dp_batch_topology
ip netns exec "$GW" "$DPTOOL" kernel --local "$LOCAL" --link 1=acc --link 2=gone <"$DP_TMP/in" >>"$DP_TMP/out" 2>&1 &
DP_PIDS+=("$!")
DPT=$!
exec {FD}>"$DP_TMP/in"
dp_wait_line "$DP_TMP/out" '^(ok|error) open' || exit 1
cmd() { echo "$1" >&"$FD"; }
out_has() { dp_wait_line "$DP_TMP/out" "$1" "${2:-10}"; }

pfx() { printf '2001:db8:1:%x::/64' "$1"; }

# One batch: N DST ENCAP, 4 SRC DROP on link 1 (a table and a rule each),
# one DST DELIVER on link 2 ("gone", deleted before commit).
cmd begin
for ((i = 1; i <= N; i++)); do
	cmd "install e$i dst $(pfx "$i") encap peer $PEER"
done
for ((i = 1; i <= 4; i++)); do
	cmd "install s$i src $(printf '2001:db8:2:%x::/64' "$i") drop link 1"
done
BAD=$((N + 5))
cmd "install bad dst 2001:db8:3::/64 deliver link 2"
out_has "^ok $BAD id=$BAD hint=bad" || exit 1
ip -n "$GW" link del gone
cmd commit
out_has '^ok committed' 30 || exit 1

dp_check "commit reports exactly the intent on the missing interface refused" bash -c "
	grep '^refused' '$DP_TMP/out'
	[[ \$(grep -c '^refused' '$DP_TMP/out') -eq 1 ]] && grep -q '^refused $BAD: No such device' '$DP_TMP/out' &&
		grep -q '^ok committed 1$' '$DP_TMP/out'"
dp_check "all $N encap routes of the batch are in main" bash -c "
	n=\$(ip -n '$GW' -6 route show table main proto 0xd3 | grep -c 'encap seg6 mode encap.red segs 1 \[ $PEER \]')
	echo \"\$n routes\"; [[ \$n -eq $N ]]"
dp_check "the 4 SRC intents are source routes in the access link's table, one rule" bash -c "
	ip -n '$GW' -6 rule show | grep 'lookup 1001'; n=\$(ip -n '$GW' -6 rule show | grep -cE '^1000:.*from all iif acc lookup 1001 proto (211|0xd3)')
	[[ \$n -eq 1 ]] && for x in 1 2 3 4; do
		ip -n '$GW' -6 route show table 1001 | grep -q \"^blackhole default from 2001:db8:2:\$x::/64\" || exit 1; done"
dp_check "every counter of the batch is an nftables element" bash -c "
	n=\$(ip netns exec '$GW' nft list set $NFT_TABLE encap_dst_64 | grep -o 'comment \"dmm [0-9]*\"' | wc -l)
	echo \"\$n elements\"; [[ \$n -eq $N ]]"
dp_check "nothing of the refused intent remains" bash -c "
	! ip -n '$GW' -6 route show table all | grep 2001:db8:3:: &&
	! ip netns exec '$GW' nft list table $NFT_TABLE | grep -F 'comment \"dmm $BAD\"'"

# Replace outside a batch, watching the route notifications.
watch_start() {
	ip -n "$GW" -6 monitor route >"$DP_TMP/mon" 2>&1 &
	MON=$!
	sleep 0.3
}
watch_stop() {
	sleep 0.3
	kill "$MON"
	wait "$MON" 2>/dev/null
}
watch_start
cmd "replace 1 r1 dst $(pfx 1) encap peer $PEER2"
out_has '^(ok replaced 1|error 1)' || exit 1
watch_stop
dp_check "replace: the route now goes to the new peer, the old one is gone" bash -c "
	ip -n '$GW' -6 route show $(pfx 1) proto 0xd3
	ip -n '$GW' -6 route show $(pfx 1) proto 0xd3 | grep -q 'segs 1 \[ $PEER2 \]' &&
	[[ \$(ip -n '$GW' -6 route show $(pfx 1) proto 0xd3 | wc -l) -eq 1 ]]"
dp_check "replace: no instant without a route (a new route, no deletion notified)" bash -c "
	cat '$DP_TMP/mon'; grep -q '^$(pfx 1) .*$PEER2' '$DP_TMP/mon' && ! grep -q '^Deleted' '$DP_TMP/mon'"
dp_check "replace: the counter moved to the new peer" bash -c "
	ip netns exec '$GW' nft list set $NFT_TABLE encap_dst_64 | grep -F '$PEER2 . ' | grep -qF 'comment \"dmm 1\"'"

# Replace in a batch: an encap becomes a blackhole (DROP), another peer.
watch_start
cmd begin
cmd "replace 2 r2 dst $(pfx 2) drop"
cmd "replace 3 r3 dst $(pfx 3) encap peer $PEER2"
cmd commit
out_has '^ok committed 0' || exit 1
watch_stop
dp_check "batched replace: both routes swapped, no deletion notified" bash -c "
	cat '$DP_TMP/mon'
	ip -n '$GW' -6 route show $(pfx 2) proto 0xd3 | grep -q '^blackhole' &&
	ip -n '$GW' -6 route show $(pfx 3) proto 0xd3 | grep -q 'segs 1 \[ $PEER2 \]' &&
	! grep -q '^Deleted' '$DP_TMP/mon'"

# Outside a batch, install and remove act at once.
cmd "install sync dst 2001:db8:4::/64 encap peer $PEER"
out_has "hint=sync" || exit 1
dp_check "outside a batch, install takes effect before it answers" \
	bash -c "ip -n '$GW' -6 route show 2001:db8:4::/64 proto 0xd3 | grep -q encap"
cmd "remove 4"
out_has '^ok removed 4' || exit 1
dp_check "outside a batch, remove takes effect before it answers" \
	bash -c "! ip -n '$GW' -6 route show $(pfx 4) proto 0xd3 | grep ."

cmd close
exec {FD}>&-
wait "$DPT" 2>/dev/null
dp_check "close removes every route and rule" bash -c "
	[[ -z \$(ip -n '$GW' -6 route show proto 0xd3 table all) ]] &&
	! ip -n '$GW' -6 rule show | grep -E 'proto (211|0xd3)'"
dp_summary batch-dp
