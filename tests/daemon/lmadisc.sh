#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dmmd's LMA discovery resolver (daemon/lmadisc.c, RFC 6097) against
# dnsmasq on ::1 (a high port, no namespace, no root needed):
# build/test_lmadisc drives it on a real loop with a real MAG instance.
# Prints "lmadisc: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/test_lmadisc}
if ! command -v dnsmasq >/dev/null; then
	echo "lmadisc: dnsmasq missing: apt-get install dnsmasq-base (make deps)" >&2
	exit 1
fi
W=$(mktemp -d) || exit 1
PORT=$((20000 + RANDOM % 20000))
echo "2001:db8:a:1::2 lma.dmm.test" >"$W/hosts"
user=()
[[ $(id -u) -eq 0 ]] && user=(-u root) # root: keep reading the hosts file from a private directory
dnsmasq -k -C /dev/null --no-resolv --no-hosts "${user[@]}" --addn-hosts="$W/hosts" --local-ttl=2 \
	--listen-address=::1 --bind-interfaces --port="$PORT" --pid-file= --log-facility="$W/dnsmasq.log" &
DPID=$!
trap 'kill $DPID 2>/dev/null; rm -rf "$W"' EXIT
sleep 0.3
out=$("$BIN" "$PORT" "$W/hosts" "$DPID" 2>&1)
rc=$?
echo "$out"
line=$(grep -E '^test_lmadisc: [0-9]+ passed' <<<"$out")
read -r _ p _ f _ <<<"${line:-x 0 x 1 x}"
echo "lmadisc: $p passed, $((f + (rc != 0 && f == 0))) failed"
[[ $rc -eq 0 ]]
