#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Oracle tests of the Mobility Header codec against decoders we did not
# write: tshark (mip6 dissector) and scapy 2.5. Run from the repository
# root after `make build/dmmctl` (make oracle does both). Needs tshark and
# Debian's python3-scapy (/usr/bin/python3).
set -u
DMMCTL=${DMMCTL:-build/dmmctl}
PY=${ORACLE_PYTHON:-/usr/bin/python3}
DIR=$(dirname "$0")
# Without a tool the suite fails (exit 2) and says which package to install.
[ -x "$DMMCTL" ] || { echo "oracle: $DMMCTL not built (make all)" >&2; exit 2; }
command -v tshark >/dev/null || { echo "oracle: tshark missing (apt-get install tshark, or make deps as root)" >&2; exit 2; }
"$PY" -c 'import scapy' 2>/dev/null || { echo "oracle: $PY has no scapy (apt-get install python3-scapy, or make deps as root)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dmm-oracle.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT INT TERM
chmod 755 "$WORK" # tshark may drop privileges when run as root

# tshark warns on stderr when run as root; that is expected and ignored.
"$PY" "$DIR/tshark_compare.py" "$DMMCTL" "$DIR/messages.json" "$WORK" 2>"$WORK/tshark.err" | tee "$WORK/tshark.out"
"$PY" "$DIR/scapy_check.py" "$DMMCTL" "$DIR/messages.json" "$WORK" | tee "$WORK/scapy.out"

summary() { # file prefix -> "passed failed" from the last summary line, or "0 1"
	line=$(grep "^$2: [0-9]* passed, [0-9]* failed$" "$1" | tail -n 1)
	[ -n "$line" ] || { echo "0 1"; return; }
	echo "$line" | sed 's/^[^:]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/'
}
# shellcheck disable=SC2046 # word splitting of "passed failed" is intended
set -- $(summary "$WORK/tshark.out" tshark) $(summary "$WORK/scapy.out" scapy)
if [ "$2" -ne 0 ] && [ -s "$WORK/tshark.err" ]; then
	grep -v -i "running as user \"root\"\|dangerous" "$WORK/tshark.err" >&2 || true
fi
P=$(($1 + $3))
F=$(($2 + $4))
echo "oracle: $P passed, $F failed"
[ "$F" -eq 0 ] && [ "$1" -gt 0 ] && [ "$3" -gt 0 ]
