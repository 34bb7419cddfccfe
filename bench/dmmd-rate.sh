#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# PBU -> PBA transactions per second against one dmmd (LMA role, Mobility
# Header over UDP 5436 on loopback), beside a UDP echo of the same message
# sizes measured the same way in the same run. Prints figures and the
# ratio; never fails on speed. Needs root (a network namespace of its own).
#
#   [MNS=1000] [SECONDS=3] [WINDOW=32] [DATAPLANE=kernel] bench/dmmd-rate.sh
set -u
cd "$(dirname "$0")/.." || exit 1
B=${BUILD:-build}
MNS=${MNS:-1000}
SECS=${SECONDS_RUN:-3}
WINDOW=${WINDOW:-32}
DP=${DATAPLANE:-kernel}
NS=dmm-rate-$$
TMP=$(mktemp -d)
cleanup() {
	[[ -n ${D_PID:-} ]] && kill "$D_PID" 2>/dev/null
	[[ -n ${E_PID:-} ]] && kill "$E_PID" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
[[ -n ${KEEPLOG:-} ]] && trap "cat \"$TMP/dmmd.log\"; cleanup" EXIT
make -s "$B/dmmd" "$B/mh-load" || exit 1
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" addr add 2001:db8:ffff::1/128 dev lo nodad
# A link for the tunnel routes (the kernel backend's End.DT6 needs a real device).
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up
cat >"$TMP/lma.json" <<JSON
{"dmm:node": {"name": "rate", "role": "lma", "address": "2001:db8:ffff::1", "transport": "udp",
  "dataplane": "$DP", "control-socket": "$TMP/ctl.sock", "state-file": "$TMP/rate.state", "log-level": "${LOGLEVEL:-err}",
  "heartbeat": {"interval": 0},
  "lma": {"pools": ["2001:db8:1000::/44"], "max-bindings": $((MNS * 2)),
          "timestamp-validity-window": 2000},
  "default-profile": {"mn-id-type": "eui48"}}}
JSON
ip netns exec "$NS" "$B/dmmd" -c "$TMP/lma.json" 2>"$TMP/dmmd.log" &
D_PID=$!
for _ in $(seq 50); do [[ -S $TMP/ctl.sock ]] && break; sleep 0.1; done
if ! kill -0 "$D_PID" 2>/dev/null; then
	echo "dmmd-rate: dmmd did not start:" >&2
	cat "$TMP/dmmd.log" >&2
	exit 1
fi
# Register every MN once, then measure (lifetime extensions: RFC 5213 §5.3.3).
# The MAG is the LMA's own address, as the PBUs come from this namespace.
ip netns exec "$NS" "$B/mh-load" register --to 2001:db8:ffff::1 --mns "$MNS" --window "$WINDOW" \
	--mag-base 2001:db8:ffff::1 --hnp-out "$TMP/hnp" >"$TMP/register.json"
pbu=$(ip netns exec "$NS" "$B/mh-load" refresh --to 2001:db8:ffff::1 --hnp-in "$TMP/hnp" --seconds "$SECS" \
	--window "$WINDOW")
bindings=$(DMMCTL_SOCKET=$TMP/ctl.sock ip netns exec "$NS" "$B/dmmctl" show bindings --json | grep -o '"mn-id"' | wc -l)
ip netns exec "$NS" "$B/mh-load" echo-server --port 5437 &
E_PID=$!
sleep 0.2
# Same sizes as the PBU and the PBA (mh-load reports them).
size() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" <<<"$pbu"; }
echo=$(ip netns exec "$NS" "$B/mh-load" echo --to 2001:db8:ffff::1 --port 5437 --size "$(size pbu_bytes)" \
	--reply "$(size pba_bytes)" \
	--seconds "$SECS" --window "$WINDOW")
rate() { sed -E 's/.*"rate":([0-9]+).*/\1/' <<<"$1"; }
echo "dmmd LMA, $DP data plane, $MNS MNs registered ($bindings bindings), window $WINDOW"
echo "  register : $(cat "$TMP/register.json")"
echo "  PBU->PBA : $pbu"
echo "  UDP echo : $echo"
awk -v a="$(rate "$pbu")" -v b="$(rate "$echo")" \
	'BEGIN { printf "  ratio PBU->PBA / echo: %.3f (%d vs %d transactions/s)\n", b ? a / b : 0, a, b }'
