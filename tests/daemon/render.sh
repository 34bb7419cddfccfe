#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dmmctl's table rendering of show stats against a stand-in for dmmd's
# control socket (python3 answers each connection with the JSON in a file):
# the state transitions print as "machine  from -> to  count" lines in
# the order of the reply, aligned; --json passes the reply through.
# Needs no root and no dmmd.   Usage: tests/daemon/render.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMCTL=${DMMCTL:-$PWD/build/dmmctl}
command -v python3 >/dev/null || { echo "daemon-render: python3 missing (make deps as root)" >&2; exit 1; }
T=$(mktemp -d)
SRV=
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0
expect() {
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		printf 'daemon-render: FAIL %s\n  got:\n%s\n  expected:\n%s\n' "$1" "$2" "$3"
	fi
}

REPLY='{"handoffs":0,"dmm":{"local-anchors":1},"transitions":{"bul":{"none->IDLE":1,"IDLE->WAIT_PBA":2,"WAIT_PBA->REGISTERED":12},"peer":{"unknown->up":1}}}'
printf '%s' "$REPLY" >"$T/reply"
python3 - "$T/sock" "$T/reply" <<'EOF' &
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
while True:
    c, _ = s.accept()
    c.recv(256)
    c.sendall(open(sys.argv[2], "rb").read())
    c.close()
EOF
SRV=$!
for _ in $(seq 50); do [ -S "$T/sock" ] && break; sleep 0.1; done

expect "show stats table" "$("$DMMCTL" show stats -s "$T/sock")" "handoffs: 0
dmm:
  local-anchors: 1
transitions:
  bul   none -> IDLE            1
  bul   IDLE -> WAIT_PBA        2
  bul   WAIT_PBA -> REGISTERED  12
  peer  unknown -> up           1"
expect "show stats --json" "$("$DMMCTL" show stats -s "$T/sock" --json)" "$REPLY"
printf '%s' '{"transitions":{}}' >"$T/reply"
expect "no transitions" "$("$DMMCTL" show stats -s "$T/sock")" "transitions:
  (none)"
echo "daemon-render: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
