#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dmmd as a CMD and a MAAR on one machine, inside a private network
# namespace of its own (unshare -n: no names, nothing shared with other
# runs), with one host behind the MAAR's access link:
#
#   [ host ns ]        [ this script's ns ]                  [ CMD ns ]
#    h0 (veth) ----- mn0  MAAR 2001:db8:a:1::2 (lo)  t0 ----- t1  CMD 2001:db8:d::2 (lo)
#
# Every namespace is anonymous (unshare -n), so nothing collides with
# other runs; the CMD has one of its own because dmmd's Mobility Header
# socket takes every MH that reaches its namespace.
#
# The host's first IPv6 frame attaches it at the MAAR, which anchors a
# prefix of its pool and registers the MN at the CMD (RFC 8885 §3.1).
# Checks: both daemons start and log the right data plane (the MAAR:
# kernel, or user on a kernel without SRv6, tests/kfeat.sh), the MN is
# registered at both, show stats has the role counters under "dmm" and
# every state transition under "transitions", show anchors answers on the
# CMD and refuses on the MAAR, a predictive handover's wait (RFC 5949) that
# no HAck ends returns 3 after its time and refuses a second wait meanwhile,
# SIGTERM leaves both cleanly.
#
# Usage: tests/daemon/local.sh [OUTDIR]   (root; DMMD, DMMCTL override build/)
# OUTDIR, when given, keeps the logs and every JSON reply.
set -u
cd "$(dirname "$0")/../.." || exit 1
DMMD=${DMMD:-$PWD/build/dmmd}
DMMCTL=${DMMCTL:-$PWD/build/dmmctl}

if [ "$(id -u)" -ne 0 ]; then
	echo "daemon-local: needs root (a private network namespace): run make check as root" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "daemon-local: jq missing (apt-get install jq, or make deps as root)" >&2; exit 1; }

if [ "${1:-}" != "--inside" ]; then
	OUT=${1:-}
	# The MAAR's data plane: kernel, or user on a kernel without SRv6.
	# shellcheck source=tests/kfeat.sh
	. tests/kfeat.sh
	DMM_LOCAL_DP=$(kfeat_dp)
	export DMM_LOCAL_DP
	exec unshare -n "$0" --inside "$OUT"
fi
OUT=${2:-}
DP=${DMM_LOCAL_DP:-kernel}
T=$(mktemp -d)
[ -n "$OUT" ] || OUT=$T/out
mkdir -p "$OUT"
HOSTPID=
CMDNS=
CMDPID=
MAARPID=
cleanup() {
	for p in $MAARPID $CMDPID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	for p in $HOSTPID $CMDNS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "daemon-local: FAIL $*"; }
check() { if sh -c "$2" >/dev/null 2>&1; then ok; else bad "$1"; fi; }

# Namespaces of their own for the host and the CMD: a process each to hold them.
unshare -n sleep 120 &
HOSTPID=$!
unshare -n sleep 120 &
CMDNS=$!
sleep 0.2
inc() { nsenter -t "$CMDNS" -n "$@"; }
ip link set lo up
ip -6 addr add 2001:db8:a:1::2/128 dev lo nodad
sysctl -qw net.ipv6.conf.all.forwarding=1
ip link add t0 type veth peer name t1
ip link set t1 netns "$CMDNS"
ip -6 addr add fe80::a/64 dev t0 nodad
ip link set t0 up
ip -6 route add 2001:db8:d::2/128 via fe80::d dev t0
inc ip link set lo up
inc ip -6 addr add 2001:db8:d::2/128 dev lo nodad
inc ip -6 addr add fe80::d/64 dev t1 nodad
inc ip link set t1 up
inc ip -6 route add 2001:db8:a:1::2/128 via fe80::a dev t1

cat >"$T/cmd.json" <<EOF
{"dmm:node": {"name": "cmd", "role": "cmd", "address": "2001:db8:d::2",
  "control-socket": "$T/cmd.sock", "log-level": "debug", "state-file": "$T/cmd.state",
  "heartbeat": {"interval": 1000, "missing-allowed": 3},
  "cmd": {"mode": "proxy", "authorized-maars": ["2001:db8:a:1::2"]},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF
cat >"$T/maar.json" <<EOF
{"dmm:node": {"name": "maar1", "role": "maar", "address": "2001:db8:a:1::2",
  "dataplane": "$DP", "control-socket": "$T/maar.sock", "log-level": "debug", "state-file": "$T/maar.state",
  "heartbeat": {"interval": 1000, "missing-allowed": 3},
  "maar": {"cmd": "2001:db8:d::2", "pools": ["2001:db8:11::/48"], "priority": 1,
           "access-interfaces": ["mn*"], "ra-interval": 10, "fast-handover": {"enabled": true}},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF

nsenter -t "$CMDNS" -n "$DMMD" -c "$T/cmd.json" 2>"$OUT/cmd.log" &
CMDPID=$!
"$DMMD" -c "$T/maar.json" 2>"$OUT/maar.log" &
MAARPID=$!
for _ in $(seq 50); do [ -S "$T/cmd.sock" ] && [ -S "$T/maar.sock" ] && break; sleep 0.1; done

# The host: a veth end in its namespace, its MAC fixed.
ip link add mn0 type veth peer name h0
ip link set h0 address 02:00:00:00:01:01 netns "$HOSTPID"
nsenter -t "$HOSTPID" -n ip link set lo up
nsenter -t "$HOSTPID" -n ip link set h0 up

ctl() { "$DMMCTL" show "$2" -s "$T/$1.sock" --json; }
for _ in $(seq 50); do
	[ "$(ctl cmd bindings | jq length)" = 1 ] && [ "$(ctl maar bindings | jq length)" = 2 ] && break
	sleep 0.1
done
sleep 1.5 # a heartbeat round

for n in cmd maar; do
	for w in stats bindings peers intents node anchors; do ctl "$n" "$w" >"$OUT/$n-$w.json"; done
	"$DMMCTL" show stats -s "$T/$n.sock" >"$OUT/$n-stats.txt"
done

check "CMD logs no data plane" "grep -q 'cmd started: no data plane' '$OUT/cmd.log'"
check "MAAR logs the $DP data plane" "grep -q 'maar started: $DP data plane' '$OUT/maar.log'"
check "CMD binding for the host" "jq -e '.[0][\"mn-id\"] == \"eui48:02:00:00:00:01:01\" and .[0].state == \"ACTIVE\"' '$OUT/cmd-bindings.json'"
check "MAAR serving and anchored rows" "jq -e '[.[].kind] == [\"serving\", \"anchored\"]' '$OUT/maar-bindings.json'"
check "CMD role counters under dmm" "jq -e '.dmm | keys_unsorted == [\"handovers\",\"pmaar-updates\",\"pmaar-give-ups\",\"partial-pbas\",\"releases\",\"anchor-choices\",\"no-anchor\"]' '$OUT/cmd-stats.json'"
check "MAAR role counters under dmm" "jq -e '[.dmm | keys_unsorted[] | select(startswith(\"fho_\") | not)] == [\"local-anchors\",\"remote-anchor-asks\",\"prefixes-released\",\"anchors-released\",\"tunnels-up\",\"tunnels-down\",\"nomadic-released\"]' '$OUT/maar-stats.json'"
check "MAAR local anchor counted" "jq -e '.dmm[\"local-anchors\"] == 1' '$OUT/maar-stats.json'"
for n in cmd maar; do
	check "$n stats: transitions last, every entry above zero" "jq -e '(keys_unsorted | last) == \"transitions\" and ([.transitions[][]] | all(. > 0))' '$OUT/$n-stats.json'"
done
# The roles count their transitions through dmm_fsm_note() (core/role/fsm.h).
check "MAAR transitions: bul registered" "jq -e '.transitions.bul[\"WAIT_PBA->REGISTERED\"] >= 1' '$OUT/maar-stats.json'"
check "MAAR transitions: serving entry created" "jq -e '[.transitions.bul | to_entries[] | select(.key | startswith(\"none->\"))] | length >= 1' '$OUT/maar-stats.json'"
check "CMD transitions: binding cache entry created" "jq -e '[.transitions.bce | to_entries[] | select(.key | startswith(\"none->\"))] | length >= 1' '$OUT/cmd-stats.json'"
check "CMD transitions: the MAAR's peer and anchor states" "jq -e '(.transitions.peer | length) >= 1 and (.transitions.anchor | length) >= 1' '$OUT/cmd-stats.json'"
check "table rendering names transitions" "grep -q 'WAIT_PBA -> REGISTERED' '$OUT/maar-stats.txt'"
check "CMD show anchors lists the MAAR" "jq -e '.[0].address == \"2001:db8:a:1::2\" and (.[0] | keys_unsorted) == [\"address\",\"state\",\"priority\",\"sessions-in-use\",\"max-sessions\",\"serving\",\"anchored\",\"chosen\"]' '$OUT/cmd-anchors.json'"
check "MAAR show anchors refused" "jq -e '.error == \"show anchors: only a cmd keeps the anchor table\"' '$OUT/maar-anchors.json'"
check "MAAR fast-handover counters under dmm" "jq -e '.dmm.fho_hack_received == 0' '$OUT/maar-stats.json'"

# "handover MN-ID to ADDRESS wait MS" (daemon/handover.c): no new MAAR there answers the HI, so
# dmmctl returns 3 once MS passed; a second wait meanwhile is refused; the MN stays served here.
MN=eui48:02:00:00:00:01:01
t0=$(date +%s%N)
timeout 5 "$DMMCTL" handover "$MN" --to 2001:db8:d::99 --wait 400 -s "$T/maar.sock" 2>"$OUT/ho-wait.err" &
HOW=$!
sleep 0.1
timeout 5 "$DMMCTL" handover "$MN" --to 2001:db8:d::98 --wait 100 -s "$T/maar.sock" --json >"$OUT/ho-second.json"
rc2=$?
wait "$HOW"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "handover --wait: exit 3 without a HAck" "[ $rc -eq 3 ]"
check "handover --wait: returned after its 400 ms, not before ($ms ms)" "[ $ms -ge 400 ]"
check "handover --wait: says why" "grep -q 'no HAck in time' '$OUT/ho-wait.err'"
check "handover --wait: a second wait meanwhile refused" "[ $rc2 -eq 1 ] && jq -e '.reason | test(\"wait is pending\")' '$OUT/ho-second.json'"
sleep 0.6 # past hi-wait: the handover given up
ctl maar bindings >"$OUT/maar-bindings-after.json"
ctl maar stats >"$OUT/maar-stats-after.json"
check "handover --wait: the MN still served here" "jq -e '[.[] | select(.kind == \"serving\")] | length == 1' '$OUT/maar-bindings-after.json'"
check "handover --wait: the MAAR sent an HI, none answered" "jq -e '.dmm.fho_hi_sent >= 1 and .dmm.fho_hack_received == 0' '$OUT/maar-stats-after.json'"

check "CMD shows no intents" "jq -e 'length == 0' '$OUT/cmd-intents.json'"
check "MAAR shows intents" "jq -e 'length >= 1' '$OUT/maar-intents.json'"

kill -TERM "$MAARPID" && wait "$MAARPID"
rc=$?
MAARPID=
check "MAAR exits 0 on SIGTERM" "[ $rc -eq 0 ]"
kill -TERM "$CMDPID" && wait "$CMDPID"
rc=$?
CMDPID=
check "CMD exits 0 on SIGTERM" "[ $rc -eq 0 ]"
echo "daemon-local: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
