#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A dmmd LMA with the kernel data plane answers each PBU by what the
# kernel did with its forwarding (RFC 5213 §5.3: status 0 means the
# forwarding is in place). The MN "nai:a" has the fixed prefix
# 2001:db8:5:5::/64 by its profile, and a route of someone else's holds
# that prefix at the metric the LMA's route would take, so the kernel
# refuses the LMA's route when the burst's batch is committed:
#
#   [ netns dmm-kstatus-PID-mag ]                 [ netns dmm-kstatus-PID-lma ]
#    build/mh-send  2001:db8:b::2  m0 -------- l0  2001:db8:a::2  dmmd (LMA, kernel data plane)
#
# Checks: the PBAs of "02" and "03@" (sent together with that of "a")
# have status 0 and their lifetime, their routes are there; the PBA of
# "a" has status 130 (Insufficient resources) and lifetime 0, nothing of
# its forwarding remains and the other route is untouched.
# Usage: tests/daemon/kernel-status.sh [OUTDIR] (root).
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMD=${DMMD:-$PWD/build/dmmd}
DMMCTL=${DMMCTL:-$PWD/build/dmmctl}
SEND=${SEND:-$PWD/build/mh-send}
VECTORS=${VECTORS:-$PWD/build/san/test_interop}

if [ "$(id -u)" -ne 0 ]; then
	echo "kernel-status: FAIL needs root (network namespaces, a raw socket)"
	exit 1
fi
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_or_exit seg6 kernel-status
command -v jq >/dev/null || { echo "kernel-status: FAIL jq missing (apt-get install jq)"; exit 1; }
[ -x "$SEND" ] && [ -x "$VECTORS" ] || { echo "kernel-status: FAIL $SEND or $VECTORS not built (make daemon-test builds them)"; exit 1; }

NS=dmm-kstatus-$$
LMA=$NS-lma
MAG=$NS-mag
T=$(mktemp -d)
OUT=${1:-$T/out}
mkdir -p "$OUT"
LMAPID=
WRAPPID=
cleanup() {
	[ -n "$LMAPID" ] && kill -TERM "$LMAPID" 2>/dev/null
	[ -n "$WRAPPID" ] && wait "$WRAPPID" 2>/dev/null
	ip netns del "$LMA" 2>/dev/null
	ip netns del "$MAG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
pass=0
fail=0
check() { # NAME CMD
	if sh -c "$2" >"$T/check.out" 2>&1; then
		pass=$((pass + 1))
		echo "kernel-status: pass $1"
	else
		fail=$((fail + 1))
		echo "kernel-status: FAIL $1"
		sed 's/^/    /' "$T/check.out"
	fi
}

ip netns add "$LMA" && ip netns add "$MAG" || { echo "kernel-status: FAIL cannot create namespaces"; exit 1; }
inl() { ip netns exec "$LMA" "$@"; }
inm() { ip netns exec "$MAG" "$@"; }
for n in "$LMA" "$MAG"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip link add l0 netns "$LMA" type veth peer name m0 netns "$MAG"
inl ip link set lo up
inm ip link set lo up
inl ip -6 addr add 2001:db8:a::2/64 dev l0 nodad
inm ip -6 addr add 2001:db8:a::3/64 dev m0 nodad
inm ip -6 addr add 2001:db8:b::2/128 dev lo nodad
inl ip link set l0 up
inm ip link set m0 up
inl ip -6 route add 2001:db8:b::2/128 via 2001:db8:a::3 dev l0
inl sysctl -qw net.ipv6.conf.all.forwarding=1
# Someone else's route where the LMA's route for "a" goes: the LMA's intents
# have precedence 100, metric 101 (dataplane/kernel).
inl ip -6 route add blackhole 2001:db8:5:5::/64 metric 101

cat >"$T/lma.json" <<JSON
{"dmm:node": {"name": "lma-kstatus", "role": "lma", "address": "2001:db8:a::2",
  "transport": "ip6", "dataplane": "kernel", "control-socket": "$T/lma.sock", "log-level": "debug",
  "state-file": "$T/lma.state",
  "lma": {"pools": ["2001:db8:1::/48"], "prefix-length": 64, "max-lifetime": 3600},
  "mobile-nodes": [{"mn-id": "nai:a", "prefixes": ["2001:db8:5:5::/64"]}],
  "default-profile": {"mn-id-type": "nai", "may-register": true}}}
JSON
inl sh -c 'echo $$ >"$1"; exec "$2" -c "$3"' sh "$T/lma.pid" "$DMMD" "$T/lma.json" 2>"$OUT/lma.log" </dev/null >/dev/null &
WRAPPID=$!
for _ in $(seq 50); do [ -S "$T/lma.sock" ] && break; sleep 0.1; done
LMAPID=$(cat "$T/lma.pid" 2>/dev/null)
[ -S "$T/lma.sock" ] || { echo "kernel-status: FAIL dmmd did not start:"; cat "$OUT/lma.log"; exit 1; }
inm ping -q -c 1 -W 2 2001:db8:a::2 >/dev/null || echo "kernel-status: note: the LMA did not answer a ping"

"$VECTORS" --print-vectors >"$T/vectors"
# The three PBUs at once (one burst where they arrive together), each waiting for its PBA.
sends=
for v in nai01 nai02 nai03; do
	hex=$(grep "^$v " "$T/vectors" | cut -d' ' -f3)
	inm "$SEND" --now --timeout 3000 2001:db8:b::2 2001:db8:a::2 "$hex" >"$OUT/$v.reply" 2>"$OUT/$v.err" &
	sends="$sends $!"
done
# Each by its pid: in dash, $(jobs -p) runs in a subshell that has no jobs,
# and the replies were read before they were all written.
# shellcheck disable=SC2086 # a list of pids
wait $sends
for v in nai01 nai02 nai03; do
	"$DMMCTL" decode --hex "$(cat "$OUT/$v.reply")" >"$OUT/$v.json" 2>&1 || echo "{}" >"$OUT/$v.json"
done
check "the refused MN's PBA has status 130 and lifetime 0" \
	"cat '$OUT/nai01.json'; jq -e '.type == \"BA\" and .status == 130 and .lifetime == 0' '$OUT/nai01.json'"
for v in nai02 nai03; do
	check "$v: PBA status 0 with a lifetime" \
		"cat '$OUT/$v.json'; jq -e '.type == \"BA\" and .status == 0 and .lifetime > 0' '$OUT/$v.json'"
done
check "the accepted MNs have their encap routes" \
	"inl() { ip netns exec '$LMA' \"\$@\"; }; inl ip -6 route show proto 0xd3; [ \$(inl ip -6 route show proto 0xd3 | grep -c 'encap seg6.*2001:db8:b::2') -eq 2 ]"
check "nothing of the refused forwarding remains, the other route is untouched" \
	"ip netns exec '$LMA' ip -6 route show 2001:db8:5:5::/64; [ -z \"\$(ip netns exec '$LMA' ip -6 route show 2001:db8:5:5::/64 proto 0xd3)\" ] && ip netns exec '$LMA' ip -6 route show 2001:db8:5:5::/64 | grep -q '^blackhole.*metric 101'"
check "the refusal came at the batch's commit (logged)" "grep -E 'kernel data plane: intent [0-9]+ refused: File exists' '$OUT/lma.log'"

kill -TERM "$LMAPID"
wait "$WRAPPID"
rc=$?
LMAPID=
WRAPPID=
check "dmmd exits 0 on SIGTERM" "[ $rc -eq 0 ]"
echo "kernel-status: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
