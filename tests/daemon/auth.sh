#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RFC 4285 authentication between a MAG and an LMA with a security
# association each (dmm:node/security). Topology in tests/daemon/pmip-lib.sh;
# build/mh-send plays a forger on the MAG's side with the MAG's own
# address (the script's namespace is the MAG's).
#
# Checks: a host registers with authentication on both sides, heartbeats
# (with the Replay Protection option) flow; a de-registration for it is
# refused when it has no option (silently), a wrong key, a flipped bit,
# an unknown SPI or a truncated option (PBA 146, signed, echoing the seq
# and MN-ID), each counted by reason, and the binding stays with its
# lifetime; an exact replay of a PBU that registered is refused by the
# RFC 5213 §5.5 timestamp (157 inside the window, 156 after it) and
# changes nothing; a key rollover by SIGHUP on both sides (add the next
# key, swap, drop the old one) loses no binding and the peers keep
# verifying; a group-readable key file is refused at reload with the path,
# the running keys kept; no key appears in dmmctl's output or the logs; a
# MAG without associations logs that its signalling is unprotected and
# the LMA refuses it.
#
# Usage: tests/daemon/auth.sh   (root)
cd "$(dirname "$0")/../.." || exit 1
NAME=daemon-auth
SEND=${SEND:-$PWD/build/mh-send}
. tests/daemon/pmip-lib.sh
[ -x "$SEND" ] || { echo "$NAME: FAIL $SEND not built (make build/mh-send)"; exit 1; }
pl_enter "$@"
pl_setup

K1=000102030405060708090a0b0c0d0e0f
K2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
KW=ffeeddccbbaa99887766554433221100
umask 077
echo "$K1" >"$T/k1"
echo "$K2" >"$T/k2"
echo "$KW" >"$T/kw"

# keys JSON for an association: "4096:sha1:k1 4097:sha256:k2" -> [{...}, {...}]
keys() {
	sep=
	printf '['
	for k in "$@"; do
		spi=${k%%:*}
		rest=${k#*:}
		alg=hmac-${rest%%:*}
		[ "$alg" = hmac-sha1 ] && alg=hmac-sha1-96
		[ "$alg" = hmac-sha256 ] && alg=hmac-sha256-128
		printf '%s{"spi": %s, "algorithm": "%s", "key-file": "%s/%s"}' "$sep" "$spi" "$alg" "$T" "${rest#*:}"
		sep=", "
	done
	printf ']'
}
lma_json() {
	cat >"$T/lma.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "lma", "role": "lma", "address": "$LMA_A",
  "control-socket": "$T/lma.sock", "log-level": "debug", "state-file": "$T/lma.state",
  "heartbeat": {"interval": 200, "missing-allowed": 5},
  "lma": {"pools": ["2001:db8:1::/48"], "min-delay-before-bce-delete": 0, "timestamp-validity-window": 1500},
  "default-profile": {"mn-id-type": "eui48"},
  "security": {"associations": [{"peer": "$MAG_A", "keys": $(keys "$@"), "replay-window": 7}]}}}
EOF
}
mag_json() {
	sec=
	[ $# -gt 0 ] && sec=", \"security\": {\"associations\": [{\"peer\": \"$LMA_A\", \"keys\": $(keys "$@")}]}"
	cat >"$T/mag.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "mag", "role": "mag", "address": "$MAG_A",
  "control-socket": "$T/mag.sock", "log-level": "debug", "state-file": "$T/mag.state",
  "heartbeat": {"interval": 200, "missing-allowed": 5},
  "mag": {"lma": "$LMA_A", "access-interfaces": ["mn*"], "lifetime": 40},
  "default-profile": {"mn-id-type": "eui48"}$sec}}
EOF
}
lma_json 4096:sha1:k1
mag_json 4096:sha1:k1

st() { ctl "$1" stats | jq -r "$2"; }
nbind() { ctl lma bindings | jq length; }
life() { ctl lma bindings | jq -r --arg m "$1" '.[] | select(."mn-id" == $m) | ."lifetime-left"'; }
reload() { # NODE: SIGHUP, then wait for its answer in the log
	before=$(grep -c 'config reloaded\|reload refused' "$T/$1.log")
	if [ "$1" = lma ]; then kill -HUP "$LMAPID"; else kill -HUP "$MAGPID"; fi
	wait_for 5 "[ \$(grep -c 'config reloaded\|reload refused' '$T/$1.log') -gt $before ]"
}
# A PBU as JSON -> hex: MN-ID eui48 MAC, seq, lifetime (4 s units), a Timestamp mh-send --now fills.
pbu() {
	echo '{"type": "BU", "seq": '"$2"', "flags": ["A", "P"], "lifetime": '"$3"', "options": [
	  {"type": "MN-ID", "subtype": 5, "identifier": "'"$1"'"}, {"type": "HNP", "prefix": "::/0"},
	  {"type": "HI", "handoff_indicator": 4}, {"type": "ATT", "access_technology_type": 1},
	  {"type": "TIMESTAMP", "seconds": 0, "fraction": 0}]}' | "$DMMCTL" encode --hex
}
decode() { "$DMMCTL" decode --hex "$1"; }

pl_start lma
pl_start mag
check "LMA has one association" "grep -q '1 security associations' '$T/lma.log'"
pl_host 0 02:00:00:00:01:01
wait_for 10 "[ \"\$(nbind)\" = 1 ]"
check "the host registers with authentication" "[ \"\$(nbind)\" = 1 ]"
wait_for 5 "[ \"\$(st mag '.\"heartbeat-responses-received\"')\" -ge 3 ]"
check "authenticated heartbeats are answered" "[ \"\$(st mag '.\"heartbeat-responses-received\"')\" -ge 3 ]"
check "LMA verified and signed messages" "[ \"\$(st lma .auth.verified)\" -ge 3 ] && [ \"\$(st lma '.auth.peers[\"$MAG_A\"].signed')\" -ge 3 ]"
check "MAG verified the LMA's" "[ \"\$(st mag .auth.verified)\" -ge 3 ]"
check "nothing refused so far" "[ \"\$(st lma '.auth.\"auth-fail\" + .auth.\"auth-missing\" + .auth.replay + .auth.\"auth-bad-spi\"')\" = 0 ] && [ \"\$(st mag '.auth.\"auth-fail\" + .auth.replay')\" = 0 ]"
check "show peers has the counters" "ctl lma peers | jq -e '.[] | select(.address == \"$MAG_A\") | .\"auth-verified\" > 0 and .\"auth-spi\" == 4096'"

MN=02:00:00:00:01:01
L0=$(life eui48:$MN)
DEREG=$(pbu $MN 40000 0)
check "an unauthenticated de-registration gets no answer" "! $SEND --now --timeout 700 $MAG_A $LMA_A $DEREG"
check "counted as auth-missing" "[ \"\$(st lma '.auth.\"auth-missing\"')\" = 1 ]"

status_146() { # HEX of the reply: a PBA 146 for seq 40000 echoing the MN-ID, authenticated
	decode "$1" | jq -e '.type == "BA" and .status == 146 and .seq == 40000 and .lifetime == 0 and
	  (.options[] | select(.type == "MN-ID") | .identifier == "'"$MN"'") and .options[-1].type == "AUTH"'
}
R=$($SEND --now --auth 4096:hmac-sha1-96:"$T/kw" $MAG_A $LMA_A "$DEREG")
check "wrong key: PBA 146" "status_146 '$R'"
GOOD=$($SEND --now --auth 4096:hmac-sha1-96:"$T/k1" --print $MAG_A $LMA_A "$DEREG")
FLIP=$(echo "$GOOD" | sed 's/.$//')$(printf '%x' $(((0x$(echo "$GOOD" | tail -c 2) + 1) % 16)))
R=$($SEND $MAG_A $LMA_A "$FLIP")
check "one bit of the authenticator flipped: PBA 146" "status_146 '$R'"
check "counted as auth-fail" "[ \"\$(st lma '.auth.\"auth-fail\"')\" = 2 ]"
R=$($SEND --now --auth 5000:hmac-sha1-96:"$T/k1" $MAG_A $LMA_A "$DEREG")
check "unknown SPI: PBA 146" "status_146 '$R'"
check "counted as auth-bad-spi" "[ \"\$(st lma '.auth.\"auth-bad-spi\"')\" = 1 ]"
# Truncated: the option's Length says 4 octets more than the message holds.
OFF=$(( $(echo "$GOOD" | grep -bo '091101' | tail -n 1 | cut -d: -f1) / 2 ))
TRUNC=$(echo "$GOOD" | cut -c1-$((2 * OFF + 2)))15$(echo "$GOOD" | cut -c$((2 * OFF + 5))-)
R=$($SEND $MAG_A $LMA_A "$TRUNC")
check "truncated option: PBA 146" "status_146 '$R'"
check "the binding stayed" "[ \"\$(nbind)\" = 1 ] && ctl lma bindings | jq -e '.[0].\"mn-id\" == \"eui48:$MN\"'"
check "and its lifetime was not touched" "awk -v a=\"$L0\" -v b=\"\$(life eui48:$MN)\" 'BEGIN { exit !(b <= a && b > a - 10) }'"
check "the MAG still has it" "ctl mag bindings | jq -e 'length == 1'"

# An exact replay of a PBU that registered (RFC 5213 §5.5): 157 inside the window, 156 after.
REG=$($SEND --now --auth 4096:hmac-sha1-96:"$T/k1" --print $MAG_A $LMA_A "$(pbu 02:00:00:00:02:02 50000 10)")
R=$($SEND $MAG_A $LMA_A "$REG")
check "a forged-free PBU registers (status 0)" "decode '$R' | jq -e '.status == 0'"
L1=$(life eui48:02:00:00:00:02:02)
R=$($SEND $MAG_A $LMA_A "$REG")
check "its exact replay inside the window: 157" "decode '$R' | jq -e '.status == 157'"
sleep 1.6
R=$($SEND $MAG_A $LMA_A "$REG")
check "its exact replay after the window: 156" "decode '$R' | jq -e '.status == 156'"
check "the replays changed nothing" "[ \"\$(nbind)\" = 2 ] && awk -v a=\"$L1\" -v b=\"\$(life eui48:02:00:00:00:02:02)\" 'BEGIN { exit !(b < a) }'"

# Key rollover by SIGHUP on both sides: add the next key, swap, drop the old one.
V0=$(st lma .auth.verified)
lma_json 4096:sha1:k1 4097:sha256:k2
mag_json 4096:sha1:k1 4097:sha256:k2
reload lma
reload mag
lma_json 4097:sha256:k2 4096:sha1:k1
mag_json 4097:sha256:k2 4096:sha1:k1
reload lma
reload mag
lma_json 4097:sha256:k2
mag_json 4097:sha256:k2
reload lma
reload mag
check "three reloads accepted on each side" "[ \$(grep -c 'config reloaded' '$T/lma.log') = 3 ] && [ \$(grep -c 'config reloaded' '$T/mag.log') = 3 ]"
sleep 1
check "after the rollover the LMA signs with 4097" "ctl lma peers | jq -e '.[] | select(.address == \"$MAG_A\") | .\"auth-spi\" == 4097'"
check "and keeps verifying the MAG" "[ \"\$(st lma .auth.verified)\" -gt $((V0 + 4)) ]"
check "no binding lost" "[ \"\$(nbind)\" -ge 1 ] && ctl mag bindings | jq -e 'length == 1 and .[0].state == \"REGISTERED\"'"
pl_flap 0
sleep 1
check "the host re-registers under the new key" "ctl mag bindings | jq -e 'length == 1 and .[0].state == \"REGISTERED\"'"
check "the rollover cost no refusal" "[ \"\$(st mag '.auth.\"auth-fail\" + .auth.\"auth-bad-spi\" + .auth.replay + .auth.\"auth-missing\"')\" = 0 ]"

chmod 640 "$T/k2"
reload lma
check "a group-readable key file is refused at reload, with its path" "grep -q \"reload refused.*$T/k2.*mode 640\" '$T/lma.log'"
chmod 600 "$T/k2"
V1=$(st lma .auth.verified)
sleep 0.5
check "the running keys stay in use" "[ \"\$(st lma .auth.verified)\" -gt $V1 ]"
check "no key in dmmctl's output or the logs" "! { ctl lma stats; ctl lma peers; ctl lma node; ctl mag stats; cat '$T/lma.log' '$T/mag.log'; } | grep -qi -e $K1 -e $K2"

# A MAG without associations: unprotected, and the LMA refuses it.
pl_stop mag
mag_json
M0=$(st lma '.auth."auth-missing"')
pl_start mag
check "a node without associations says so" "grep -q 'signalling is unprotected (no security associations)' '$T/mag.log'"
pl_flap 0
sleep 1.5
check "the LMA refuses its unauthenticated messages" "[ \"\$(st lma '.auth.\"auth-missing\"')\" -gt $M0 ]"
check "and the MAG gets no binding" "ctl mag bindings | jq -e 'all(.[]; .state != \"REGISTERED\")'"
pl_stop mag
pl_stop lma

pl_done
