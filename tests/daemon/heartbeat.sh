#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Heartbeat off for one peer (dmm:node/peers, heartbeat false): an
# implementation without RFC 5847 support must not receive Heartbeat
# Requests (§5.1). The LMA turns heartbeats off for the MAG; the MAG
# keeps its own. Topology in tests/daemon/pmip-lib.sh.
#
# Checks: with a binding and a 200 ms interval, the LMA sends the MAG no
# request in 1.5 s and shows it as no-heartbeat, while it still answers
# the MAG's requests; a reload turning the setting back on takes the
# peer out of no-heartbeat, and from its next first binding the LMA
# heartbeats it again.
#
# Usage: tests/daemon/heartbeat.sh   (root)
cd "$(dirname "$0")/../.." || exit 1
NAME=daemon-heartbeat
. tests/daemon/pmip-lib.sh
pl_enter "$@"
pl_setup

lma_json() {
	cat >"$T/lma.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "lma", "role": "lma", "address": "$LMA_A",
  "control-socket": "$T/lma.sock", "log-level": "debug", "state-file": "$T/lma.state",
  "heartbeat": {"interval": 200, "missing-allowed": 3},
  "peers": [{"address": "$MAG_A", "heartbeat": $1}],
  "lma": {"pools": ["2001:db8:1::/48"], "min-delay-before-bce-delete": 0},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF
}
lma_json false
cat >"$T/mag.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "mag", "role": "mag", "address": "$MAG_A",
  "control-socket": "$T/mag.sock", "log-level": "debug", "state-file": "$T/mag.state",
  "heartbeat": {"interval": 200, "missing-allowed": 3},
  "mag": {"lma": "$LMA_A", "access-interfaces": ["mn*"]},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF

stat() { ctl "$1" stats | jq --arg k "$2" '.[$k]'; }
pstate() { ctl "$1" peers | jq -r --arg a "$2" '.[] | select(.address == $a) | .state'; }

pl_start lma
pl_start mag
check "LMA logs the setting" "grep -q 'peer $MAG_A: heartbeat off' '$T/lma.log'"
pl_host 0 02:00:00:00:01:01
wait_for 10 "[ \"\$(ctl lma bindings | jq length)\" = 1 ]"
sleep 1.5
check "LMA has a binding with the MAG" "ctl lma peers | jq -e '.[] | select(.address == \"$MAG_A\") | .bindings == 1'"
check "LMA shows the MAG as no-heartbeat" "[ \"\$(pstate lma $MAG_A)\" = no-heartbeat ]"
check "LMA sent the MAG no heartbeat request" "[ \"\$(stat lma heartbeat-requests-sent)\" = 0 ]"
check "MAG sent heartbeat requests" "[ \"\$(stat mag heartbeat-requests-sent)\" -ge 3 ]"
check "and the LMA answered them" "[ \"\$(stat mag heartbeat-responses-received)\" -ge 3 ]"
check "MAG sees the LMA up" "[ \"\$(pstate mag $LMA_A)\" = up ]"

# Back on by reload: the peer leaves no-heartbeat; its heartbeats start
# with its next first binding (the host leaves and comes back).
lma_json true
kill -HUP "$LMAPID"
wait_for 5 "grep -q 'config reloaded' '$T/lma.log'"
check "reload: the MAG is no longer no-heartbeat" "[ \"\$(pstate lma $MAG_A)\" != no-heartbeat ]"
pl_flap 0
wait_for 10 "[ \"\$(stat lma heartbeat-requests-sent)\" -ge 2 ]"
check "LMA heartbeats the MAG again" "[ \"\$(stat lma heartbeat-requests-sent)\" -ge 2 ]"
check "and the MAG is up" "[ \"\$(pstate lma $MAG_A)\" = up ]"
pl_stop mag

# The MAG with heartbeat off towards its LMA, restarted (its state file
# says it ran before): no heartbeat message at all, not even the restart
# announcement (an unsolicited response, RFC 5847 §3.2) it sends to its
# LMA when it starts, because the setting is in force from the role's
# creation. The LMA has heartbeats off for the MAG again, so nothing asks
# the MAG for a response.
lma_json false
kill -HUP "$LMAPID"
sed -i 's|"default-profile"|"peers": [{"address": "'"$LMA_A"'", "heartbeat": false}], "default-profile"|' "$T/mag.json"
pl_start mag
sleep 1
check "restarted MAG, LMA heartbeat off: no announcement, no request" "[ \"\$(stat mag heartbeat-responses-sent)\" = 0 ] && [ \"\$(stat mag heartbeat-requests-sent)\" = 0 ]"
check "restarted MAG: the LMA is no-heartbeat" "[ \"\$(pstate mag $LMA_A)\" = no-heartbeat ]"
pl_stop mag
pl_stop lma

pl_done
