#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden vectors of the RFC 4285 Authentication option, both algorithms
# (hmac-sha1-96, hmac-sha256-128): build/mh-send --auth --print signs
# fixed messages with the core codec and dmmd's MAC code, and Python's
# hmac module recomputes every authenticator independently
# (tests/oracle/auth_golden.py). Run from the repository root after
# `make build/mh-send` (make oracle does both).
set -u
SEND=${SEND:-build/mh-send}
PY=${ORACLE_PYTHON:-/usr/bin/python3}
[ -x "$SEND" ] || { echo "auth-golden: $SEND not built (make build/mh-send)" >&2; exit 2; }
[ -x "$PY" ] || { echo "auth-golden: $PY missing (apt-get install python3)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dmm-auth-golden.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT INT TERM
"$PY" "$(dirname "$0")/auth_golden.py" "$SEND" "$WORK"
