#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A reload (SIGHUP) goes through the model like a start: a config that
# does not validate is refused with its data path in the log, and the
# running config stays; a valid one is applied.
#
#   [ a private network namespace (unshare -n) ]
#     lo: 2001:db8:d::2    one dmmd, role cmd, named "cmd-a"
#
# Steps: start with cmd-a.json; SIGHUP with a value out of range, with a
# container of another role, with a JSON syntax error (each: refused, the
# path logged, config-reloads-refused counts it, show node still names
# cmd-a); the same with `dmmctl reload`, whose reply has the path; then
# SIGHUP with the name changed to cmd-b (applied: show node names cmd-b,
# config-reloads = 1).
#
# Usage: tests/yang/reload.sh   (root; DMMD, DMMCTL override build/)
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMD=${DMMD:-$PWD/build/dmmd}
DMMCTL=${DMMCTL:-$PWD/build/dmmctl}

if [ "$(id -u)" -ne 0 ]; then
	echo "yang-reload: FAIL needs root (a private network namespace): run make check as root" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "yang-reload: FAIL jq missing (apt-get install jq)" >&2; exit 1; }
[ "${1:-}" = "--inside" ] || exec unshare -n "$0" --inside

T=$(mktemp -d) || exit 1
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "yang-reload: FAIL $*"
}
check() { if sh -c "$2" >/dev/null 2>&1; then ok; else bad "$1"; fi; }

ip link set lo up
ip -6 addr add 2001:db8:d::2/128 dev lo nodad

# config NAME [EXTRA-CMD-MEMBERS]: the CMD's config.
config() {
	cat <<EOF
{"dmm:node": {"name": "$1", "role": "cmd", "address": "2001:db8:d::2",
  "control-socket": "$T/cmd.sock", "state-file": "$T/cmd.state", "log-level": "info",
  "heartbeat": {"interval": 0},
  "cmd": {"mode": "proxy"${2:-}},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF
}
ctl() { "$DMMCTL" "$@" -s "$T/cmd.sock" --json; }
stat() { ctl show stats | jq -r ".\"$1\""; }

config cmd-a >"$T/cmd.json"
"$DMMD" -c "$T/cmd.json" 2>"$T/cmd.log" &
PID=$!
for _ in $(seq 100); do ctl show node >/dev/null 2>&1 && break; sleep 0.05; done
check "dmmd starts with cmd-a.json" "[ \"\$('$DMMCTL' show node -s '$T/cmd.sock' --json | jq -r .name)\" = cmd-a ]"

# reload WHAT: SIGHUP, then wait until the log has one more reload line.
reload() {
	n=$(grep -c 'config reloaded\|reload refused' "$T/cmd.log")
	kill -HUP "$PID"
	for _ in $(seq 100); do
		[ "$(grep -c 'config reloaded\|reload refused' "$T/cmd.log")" -gt "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# refused N FILE-CONTENT PATH: the Nth refused reload, PATH in the log line.
refused() {
	printf '%s\n' "$2" >"$T/cmd.json"
	if ! reload; then
		bad "reload $1: no log line"
		return
	fi
	grep 'reload refused' "$T/cmd.log" | tail -n1 >"$T/last"
	echo "  $(sed 's/.*running config kept: //' "$T/last")"
	check "reload $1 refused with '$3' in the log" "grep -qF 'running config kept: $3: ' '$T/last'"
	check "reload $1: config-reloads-refused = $1" "[ \"\$('$DMMCTL' show stats -s '$T/cmd.sock' --json | jq -r '.\"config-reloads-refused\"')\" = $1 ]"
	check "reload $1: the running config stays (show node: cmd-a)" "[ \"\$('$DMMCTL' show node -s '$T/cmd.sock' --json | jq -r .name)\" = cmd-a ]"
	kill -0 "$PID" 2>/dev/null || bad "reload $1: dmmd exited"
}

refused 1 "$(config cmd-b ', "max-maars": 65537')" "/dmm:node/cmd/max-maars"
refused 2 "$(config cmd-b | sed 's/"cmd": {/"lma": {"pools": ["2001:db8:1::\/48"]}, "cmd": {/')" "/dmm:node/lma"
refused 3 "$(config cmd-b | head -n 3)" "/dmm:node"
refused 4 "$(config cmd-b ', "authorized-maars": []')" "/dmm:node/cmd/authorized-maars"

# dmmctl reload: the same refusal, in the reply (status 1), the path first.
config cmd-b ', "relay-timeout": 9' >"$T/cmd.json"
if ctl reload >"$T/reply" 2>&1; then bad "dmmctl reload of a bad config: status 0"; else ok; fi
echo "  dmmctl reload: $(cat "$T/reply")"
check "dmmctl reload refused with the path in the reply" "jq -e '.reason | startswith(\"/dmm:node/cmd/relay-timeout: \")' '$T/reply'"
check "dmmctl reload: config-reloads-refused = 5" "[ \"\$('$DMMCTL' show stats -s '$T/cmd.sock' --json | jq -r '.\"config-reloads-refused\"')\" = 5 ]"
check "dmmctl reload: the running config stays (show node: cmd-a)" "[ \"\$('$DMMCTL' show node -s '$T/cmd.sock' --json | jq -r .name)\" = cmd-a ]"

config cmd-b >"$T/cmd.json"
reload || bad "reload of cmd-b: no log line"
check "a valid reload is applied (show node: cmd-b)" "[ \"\$('$DMMCTL' show node -s '$T/cmd.sock' --json | jq -r .name)\" = cmd-b ]"
check "config-reloads = 1" "[ \"\$('$DMMCTL' show stats -s '$T/cmd.sock' --json | jq -r '.\"config-reloads\"')\" = 1 ]"

# An LMA made without localized-routing-initiate has no per-MAG lists
# (20 octets a binding): a reload that turns it on is refused, by name;
# another change is applied.
kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
lma() {
	cat <<EOF
{"dmm:node": {"dataplane": "user", "name": "lma-a", "role": "lma", "address": "2001:db8:d::2",
  "control-socket": "$T/lma.sock", "state-file": "$T/lma.state", "log-level": "info",
  "heartbeat": {"interval": 0}, "lma": {"pools": ["2001:db8:1::/48"]${1:-}},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF
}
lma >"$T/cmd.json"
"$DMMD" -c "$T/cmd.json" 2>"$T/cmd.log" &
PID=$!
for _ in $(seq 100); do "$DMMCTL" show node -s "$T/lma.sock" --json >/dev/null 2>&1 && break; sleep 0.05; done
lma ', "localized-routing-initiate": {}' >"$T/cmd.json"
reload || bad "LMA reload with localized-routing-initiate: no log line"
check "LMA: turning localized-routing-initiate on is refused, named" \
	"grep 'reload refused' '$T/cmd.log' | grep -qF 'lma localized-routing-initiate from off to on'"
lma ', "min-delay-before-bce-delete": 0' >"$T/cmd.json"
reload || bad "LMA reload: no log line"
check "LMA: another change is applied (config-reloads = 1)" \
	"[ \"\$('$DMMCTL' show stats -s '$T/lma.sock' --json | jq -r '.\"config-reloads\"')\" = 1 ]"

echo "yang-reload: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
