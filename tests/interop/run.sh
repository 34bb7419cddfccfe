#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The interop vectors of tests/unit/test_interop.c (PBUs laid out as an
# independent RFC 5213 MAG sends them: options back to back without
# alignment padding, ATT 0, NAI MN-IDs of 1 to 20 octets, HI, Timestamp,
# MN-LLID) sent over a real raw IPv6 socket (protocol 135) to a dmmd LMA
# whose default profile accepts NAI MN-IDs:
#
#   [ netns dmm-interop-PID-mag ]                 [ netns dmm-interop-PID-lma ]
#    build/mh-send  2001:db8:b::2  m0 -------- l0  2001:db8:a::2  dmmd (LMA, kernel data plane; user
#                                                    on a kernel without SRv6, tests/kfeat.sh)
#
# Checks: each vector draws a PBA with status 0, its sequence number and
# its MN-ID echoed, and the LMA lists 20 NAI bindings; a malformed PBU (a
# bad HNP Length after a good MN-ID) draws status 128 with its sequence
# number. The Timestamp of each vector is set to the current time on the
# way out (mh-send --now), or the LMA's window (RFC 5213 §5.5) refuses it.
#
# The namespaces have names of their own (dmm-interop-<pid>-*) and go away
# on exit, also on failure. Usage: tests/interop/run.sh [OUTDIR] (root).
# OUTDIR, when given, keeps the LMA log, the replies and their JSON.
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMD=${DMMD:-$PWD/build/dmmd}
DMMCTL=${DMMCTL:-$PWD/build/dmmctl}
SEND=${SEND:-$PWD/build/mh-send}
VECTORS=${VECTORS:-$PWD/build/san/test_interop}

if [ "$(id -u)" -ne 0 ]; then
	echo "interop: needs root (network namespaces, a raw socket)" >&2
	exit 1
fi
for t in "$DMMD" "$DMMCTL" "$SEND" "$VECTORS"; do
	[ -x "$t" ] || { echo "interop: $t missing (make all build/mh-send build/san/test_interop)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "interop: jq missing (apt-get install jq)" >&2; exit 1; }

NS=dmm-interop-$$
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
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "interop: FAIL $*"; }

ip netns add "$LMA" && ip netns add "$MAG" || { echo "interop: cannot create namespaces" >&2; exit 1; }
inl() { ip netns exec "$LMA" "$@"; }
inm() { ip netns exec "$MAG" "$@"; }
# No DAD: the first PBU must not wait ~2 s in a neighbour queue, or it is
# older than the LMA's 300 ms timestamp window (RFC 5213 §9.3) on arrival.
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

# The LMA of docs/dmmd.md, authorising NAI MN-IDs through its default
# profile; the kernel data plane, or user on a kernel without SRv6.
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
DP=$(kfeat_dp)
cat >"$T/lma.json" <<JSON
{"dmm:node": {"name": "lma-interop", "role": "lma", "address": "2001:db8:a::2",
  "transport": "ip6", "dataplane": "$DP", "control-socket": "$T/lma.sock", "log-level": "debug",
  "lma": {"pools": ["2001:db8:1::/48"], "prefix-length": 64, "max-lifetime": 3600},
  "default-profile": {"mn-id-type": "nai", "may-register": true}}}
JSON
# dmmd's own pid for the signal (ip netns exec may stay in between).
inl sh -c 'echo $$ >"$1"; exec "$2" -c "$3"' sh "$T/lma.pid" "$DMMD" "$T/lma.json" 2>"$OUT/lma.log" </dev/null >/dev/null &
WRAPPID=$!
for _ in $(seq 50); do [ -S "$T/lma.sock" ] && break; sleep 0.1; done
LMAPID=$(cat "$T/lma.pid" 2>/dev/null)
[ -S "$T/lma.sock" ] || { echo "interop: dmmd did not start:" >&2; cat "$OUT/lma.log" >&2; exit 1; }
# Neighbours resolved both ways before the first timed PBU.
inm ping -q -c 1 -W 2 2001:db8:a::2 >/dev/null || echo "interop: note: the LMA did not answer a ping"

# One vector: send it, decode the reply; $4 is the jq test on the decoded PBA.
send() {
	name=$1 hex=$2 what=$3 test=$4
	if ! inm "$SEND" --now --timeout 3000 2001:db8:b::2 2001:db8:a::2 "$hex" >"$OUT/$name.reply" 2>"$OUT/$name.err"; then
		bad "$name: no PBA ($(cat "$OUT/$name.err"))"
		return
	fi
	"$DMMCTL" decode --hex "$(cat "$OUT/$name.reply")" >"$OUT/$name.json"
	if jq -e "$test" "$OUT/$name.json" >/dev/null; then
		ok
		echo "interop: $name: $what: $(jq -c '{status, seq, mnid: ([.options[]? | select(.type == "MN-ID") | .identifier] | first)}' "$OUT/$name.json")"
	else
		bad "$name: $what: $(cat "$OUT/$name.json")"
	fi
}

"$VECTORS" --print-vectors >"$T/vectors"
[ "$(wc -l <"$T/vectors")" -eq 20 ] || { echo "interop: expected 20 vectors from $VECTORS" >&2; exit 1; }
while read -r name nai hex; do
	seq=$(printf '%d' "0x$(printf '%s' "$hex" | cut -c13-16)")
	send "$name" "$hex" "PBA status 0, MN-ID $nai echoed" \
		".type == \"BA\" and .status == 0 and .seq == $seq and ([.options[] | select(.type == \"MN-ID\") | .identifier] == [\"$nai\"])"
done <"$T/vectors"

# Malformed: vector nai07 with seq 0x2007 and HNP Length 17 (RFC 5213 §8.3: 18) after its good MN-ID.
hex=$(grep '^nai07 ' "$T/vectors" | cut -d' ' -f3)
# Octets 6-7 are the seq; the HNP follows 4 octets of flags and lifetime and the 10 of the MN-ID.
bad_hex=$(printf '%s' "$hex" | sed 's/^\(.\{12\}\)1007\(.\{28\}\)1612/\12007\21611/')
[ "$bad_hex" != "$hex" ] || bad "malformed vector not built"
# RFC 5213 §5.3.6: the refusing PBA echoes what decoded before the bad HNP (MN-ID, HI, ATT) and
# the empty HNP form, so the peer can match it.
send malformed "$bad_hex" "PBA status 128 with the seq, MN-ID, HI and ATT echoed" \
	'.type == "BA" and .status == 128 and .seq == 8199 and ([.options[] | select(.type == "MN-ID") | .identifier] == ["07@abcd"]) and ([.options[] | select(.type == "HI")] | length == 1) and ([.options[] | select(.type == "ATT")] | length == 1)'

# Tolerated, counted: options off their alignment (RFC 6275 §6.2.1) and ATT 0 (RFC 5213 §8.5).
"$DMMCTL" show stats -s "$T/lma.sock" --json >"$OUT/stats.json"
if jq -e '.["rx-tolerated"].misaligned >= 1 and .["rx-tolerated"]["reserved-value"] >= 20' "$OUT/stats.json" >/dev/null; then
	ok
else
	bad "the LMA counts what it tolerated: $(jq -c '.["rx-tolerated"]' "$OUT/stats.json")"
fi
"$DMMCTL" show bindings -s "$T/lma.sock" --json >"$OUT/bindings.json"
if jq -e '[.[] | select(.state == "ACTIVE") | ."mn-id" | select(startswith("nai:"))] | length == 20' "$OUT/bindings.json" >/dev/null; then
	ok
else
	bad "the LMA lists 20 active NAI bindings: $(jq -c '[.[] | {"mn-id", state}]' "$OUT/bindings.json")"
fi

kill -TERM "$LMAPID"
wait "$WRAPPID"
rc=$?
LMAPID=
WRAPPID=
if [ "$rc" -eq 0 ]; then ok; else bad "dmmd exits 0 on SIGTERM (got $rc)"; fi
echo "interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
