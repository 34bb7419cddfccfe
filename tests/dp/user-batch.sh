#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The user data plane's batches (dataplane.h begin/commit), in one
# namespace, driven by build/dp-tool:
#  - between begin and commit no route or rule of an intent reaches the
#    kernel (only, once, the table route that the rules lead to);
#  - N intents installed in one batch are all there after commit: a route
#    dev <tun> per DST intent, a rule per SRC prefix (one for two intents
#    sharing it) and the table route the rules lead to;
#  - an intent naming an interface that is gone by commit time is refused
#    with ENODEV and nothing of it remains (no route); where another
#    intent of the batch holds the same prefix, the route follows that one;
#  - replace and remove in a batch take effect at commit;
#  - outside a batch every op takes effect before it answers, and close
#    removes it all.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/dp/lib.sh
. tests/dp/lib.sh

DPTOOL=${DPTOOL:-build/dp-tool}
N=${BATCH_N:-300}
LOCAL=2001:db8:ff::2
PEER=2001:db8:ff::1
TUN=dmmb0

if [[ $(id -u) -ne 0 ]]; then
	echo "user-batch-dp: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
[[ -x $DPTOOL ]] || {
	echo "user-batch-dp: $DPTOOL missing (make build/dp-tool)"
	exit 1
}

dp_init user-batch-dp
dp_batch_topology
ip netns exec "$GW" "$DPTOOL" user --local "$LOCAL" --tun "$TUN" --link 1=acc --link 2=gone \
	<"$DP_TMP/in" >>"$DP_TMP/out" 2>&1 &
DP_PIDS+=("$!")
DPT=$!
exec {FD}>"$DP_TMP/in"
dp_wait_line "$DP_TMP/out" '^(ok|error) open' || exit 1
cmd() { echo "$1" >&"$FD"; }
out_has() { dp_wait_line "$DP_TMP/out" "$1" "${2:-10}"; }
routes() { ip -n "$GW" -6 route show table main proto 0xd3; }

pfx() { printf '2001:db8:1:%x::/64' "$1"; }

# One batch: N DST ENCAP, 4 SRC DROP on link 1 and one SRC ENCAP sharing
# the prefix of the first; two DST DELIVER on link 2 ("gone", deleted
# before commit), the second on a prefix that a DST ENCAP also holds.
cmd begin
for ((i = 1; i <= N; i++)); do
	cmd "install e$i dst $(pfx "$i") encap peer $PEER"
done
for ((i = 1; i <= 4; i++)); do
	cmd "install s$i src $(printf '2001:db8:2:%x::/64' "$i") drop link 1"
done
cmd "install s5 src 2001:db8:2:1::/64 encap peer $PEER link 1"
KEEP=$((N + 6))
BAD=$((N + 7))
BAD2=$((N + 8))
cmd "install keep dst 2001:db8:5::/64 encap peer $PEER"
cmd "install bad dst 2001:db8:3::/64 deliver link 2"
cmd "install bad2 dst 2001:db8:5::/64 deliver link 2"
out_has "^ok $BAD2 id=$BAD2 hint=bad2" || exit 1
dp_check "between begin and commit no route or rule of an intent reaches the kernel" bash -c "
	routes=\$(ip -n '$GW' -6 route show table main proto 0xd3); rules=\$(ip -n '$GW' -6 rule show | grep -E 'proto (211|0xd3)')
	echo \"\$routes\$rules\" | head; [[ -z \$routes && -z \$rules ]]"
ip -n "$GW" link del gone
cmd commit
out_has '^ok committed' 30 || exit 1

dp_check "commit reports exactly the two intents on the missing interface refused" bash -c "
	grep '^refused' '$DP_TMP/out'
	[[ \$(grep -c '^refused' '$DP_TMP/out') -eq 2 ]] && grep -q '^refused $BAD: No such device' '$DP_TMP/out' &&
		grep -q '^refused $BAD2: No such device' '$DP_TMP/out' && grep -q '^ok committed 2$' '$DP_TMP/out'"
dp_check "all $N routes of the batch are in main, dev $TUN" bash -c "
	n=\$(ip -n '$GW' -6 route show table main proto 0xd3 | grep -cE '^2001:db8:1:[0-9a-f]+::/64 dev $TUN ')
	echo \"\$n routes\"; [[ \$n -eq $N ]]"
dp_check "one rule per SRC prefix, and the table route they lead to" bash -c "
	ip -n '$GW' -6 rule show | grep 'from 2001:db8:2:'
	n=\$(ip -n '$GW' -6 rule show | grep -cE 'from 2001:db8:2:[1-4]::/64 iif acc lookup 1000 proto (211|0xd3)')
	[[ \$n -eq 4 ]] && ip -n '$GW' -6 route show table 1000 | grep -q '^default dev $TUN'"
dp_check "nothing of the refused intent remains" bash -c "
	ip -n '$GW' -6 route show table all | grep 2001:db8:3::; ! ip -n '$GW' -6 route show table all | grep -q 2001:db8:3::"
dp_check "the prefix another intent holds routes to it, not to the refused one" bash -c "
	ip -n '$GW' -6 route show table all | grep 2001:db8:5::
	[[ \$(ip -n '$GW' -6 route show table all | grep -c 2001:db8:5::) -eq 1 ]] &&
	ip -n '$GW' -6 route show 2001:db8:5::/64 proto 0xd3 | grep -q 'dev $TUN'"
cmd counters
out_has "^counters $KEEP " || exit 1
dp_check "the intent left on the refused one's prefix still has its counters" \
	grep -q "^counters $KEEP packets=0" "$DP_TMP/out"

# Replace and remove in a batch: e2 goes to link 1, e3 and s1 go (s5 keeps the rule of s1's prefix).
cmd begin
cmd "replace 2 r2 dst $(pfx 2) deliver link 1"
cmd "remove 3"
cmd "remove $((N + 1))"
cmd commit
out_has '^ok committed 0' || exit 1
dp_check "batched replace and remove take effect at commit" bash -c "
	ip -n '$GW' -6 route show $(pfx 2) proto 0xd3 | grep -q 'dev acc' &&
	! ip -n '$GW' -6 route show $(pfx 3) proto 0xd3 | grep . &&
	ip -n '$GW' -6 rule show | grep -qE 'from 2001:db8:2:1::/64 iif acc lookup 1000'"

# Outside a batch, install and remove act at once.
cmd "install sync dst 2001:db8:4::/64 encap peer $PEER"
out_has "hint=sync" || exit 1
dp_check "outside a batch, install takes effect before it answers" \
	bash -c "ip -n '$GW' -6 route show 2001:db8:4::/64 proto 0xd3 | grep -q 'dev $TUN'"
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
dp_summary user-batch-dp
