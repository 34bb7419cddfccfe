#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The cost of RFC 4285 authentication: PBU -> PBA transactions per second
# against one dmmd LMA (Mobility Header over UDP 5436 on loopback, as in
# bench/dmmd-rate.sh) with a mobility security association for the MAG
# (option 9 on every PBU and PBA, mh-load --auth signing the PBUs and
# checking the PBAs) against the same LMA without, in one run: ROUNDS
# rounds, each a fresh dmmd without and then with authentication, each
# registering MNS MNs and refreshing them for SECONDS_RUN seconds. Prints
# the figures and the ratio with/without (goal: >= 0.8); never fails on
# speed. Needs root (a network namespace of its own).
#
#   [MNS=1000] [SECONDS_RUN=3] [WINDOW=32] [ROUNDS=2] [ALGORITHM=hmac-sha1-96]
#   [DATAPLANE=kernel] bench/auth-rate.sh
set -u
cd "$(dirname "$0")/.." || exit 1
B=${BUILD:-build}
MNS=${MNS:-1000}
SECS=${SECONDS_RUN:-3}
WINDOW=${WINDOW:-32}
ROUNDS=${ROUNDS:-2}
ALG=${ALGORITHM:-hmac-sha1-96}
DP=${DATAPLANE:-kernel}
LMA=2001:db8:ffff::1
MAG=2001:db8:eeee::1
SPI=4096
NS=dmm-arate-$$
TMP=$(mktemp -d)
cleanup() {
	[[ -n ${D_PID:-} ]] && kill "$D_PID" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
case $ALG in
hmac-sha1-96) KEYLEN=16 ;;
hmac-sha256-128) KEYLEN=32 ;;
*)
	echo "auth-rate: ALGORITHM is hmac-sha1-96 or hmac-sha256-128" >&2
	exit 2
	;;
esac
make -s "$B/dmmd" "$B/mh-load" || exit 1
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" addr add "$LMA/128" dev lo nodad
# The MAG's address is local too (mh-load sends from it with IPV6_FREEBIND).
ip -n "$NS" -6 route add local "${MAG%::1}::/64" dev lo
# A link for the tunnel routes (the kernel backend's End.DT6 needs a real device).
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up
(
	umask 077
	od -An -tx1 -N"$KEYLEN" /dev/urandom | tr -d ' \n' >"$TMP/mag.key"
)

# lma_config yes|no: the LMA's config, with or without an association for the MAG.
lma_config() {
	local sec=""
	[[ $1 == yes ]] && sec="\"security\": {\"associations\": [{\"peer\": \"$MAG\", \"replay-window\": 7,
  \"keys\": [{\"spi\": $SPI, \"algorithm\": \"$ALG\", \"key-file\": \"$TMP/mag.key\"}]}]},"
	cat <<JSON
{"dmm:node": {"name": "rate", "role": "lma", "address": "$LMA", "transport": "udp",
  "dataplane": "$DP", "control-socket": "$TMP/ctl.sock", "state-file": "$TMP/rate.state", "log-level": "${LOGLEVEL:-err}",
  "heartbeat": {"interval": 0}, $sec
  "lma": {"pools": ["2001:db8:1000::/44"], "max-bindings": $((MNS * 2)),
          "timestamp-validity-window": 2000},
  "default-profile": {"mn-id-type": "eui48"}}}
JSON
}

rate() { sed -E 's/.*"rate":([0-9]+).*/\1/' <<<"$1"; }

# one yes|no: a fresh dmmd, MNS registrations, SECS of refreshes; prints the refresh report.
one() {
	local auth=() pbu
	[[ $1 == yes ]] && auth=(--auth "$SPI:$ALG:$TMP/mag.key")
	lma_config "$1" >"$TMP/lma.json"
	rm -f "$TMP/ctl.sock" "$TMP/rate.state"
	ip netns exec "$NS" "$B/dmmd" -c "$TMP/lma.json" 2>"$TMP/dmmd.log" &
	D_PID=$!
	for _ in $(seq 50); do [[ -S $TMP/ctl.sock ]] && break; sleep 0.1; done
	if ! kill -0 "$D_PID" 2>/dev/null; then
		echo "auth-rate: dmmd did not start (authentication $1):" >&2
		cat "$TMP/dmmd.log" >&2
		return 1
	fi
	ip netns exec "$NS" "$B/mh-load" register --to "$LMA" --mns "$MNS" --window "$WINDOW" --mag-base "$MAG" \
		--hnp-out "$TMP/hnp" "${auth[@]}" >"$TMP/register-$1.json"
	pbu=$(ip netns exec "$NS" "$B/mh-load" refresh --to "$LMA" --hnp-in "$TMP/hnp" --seconds "$SECS" \
		--window "$WINDOW" "${auth[@]}")
	kill "$D_PID"
	wait "$D_PID" 2>/dev/null
	D_PID=
	echo "$pbu"
}

echo "dmmd LMA, $DP data plane, $MNS MNs, window $WINDOW, $ROUNDS rounds of $SECS s each way, $ALG"
declare -A SUM=([no]=0 [yes]=0)
for ((i = 1; i <= ROUNDS; i++)); do
	for a in no yes; do
		out=$(one "$a") || exit 1
		echo "  round $i, authentication $a: $out"
		echo "    register: $(cat "$TMP/register-$a.json")"
		SUM[$a]=$((SUM[$a] + $(rate "$out")))
	done
done
awk -v a="${SUM[yes]}" -v b="${SUM[no]}" -v n="$ROUNDS" \
	'BEGIN { printf "  ratio PBU->PBA with/without authentication: %.3f (%d vs %d transactions/s, mean of %d rounds)\n", b ? a / b : 0, a / n, b / n, n }'
