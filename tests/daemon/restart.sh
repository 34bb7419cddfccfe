#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RFC 5847 §3.2: the Restart Counter grows at every restart and persists
# across restarts (dmm:node/state-file). One LMA, one MAG, one host
# (topology in tests/daemon/pmip-lib.sh).
#
# Checks: a first start sends restart-counter + 1 (the LMA leaves it out:
# 1; the MAG configures 41: 42) and writes it to its state file, in a
# directory dmmd creates; the peer shows that counter (dmmctl show peers);
# after a restart of the MAG, then of the LMA, the other side's show
# peers has the counter one higher and counts a restart; the files hold
# the values with nothing left beside them; --check touches no file; a
# file that is not a counter stops dmmd and stays as it was; 2^32 - 1
# wraps to 0.
#
# Usage: tests/daemon/restart.sh   (root)
cd "$(dirname "$0")/../.." || exit 1
NAME=daemon-restart
. tests/daemon/pmip-lib.sh
pl_enter "$@"
pl_setup

cat >"$T/lma.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "lma", "role": "lma", "address": "$LMA_A",
  "control-socket": "$T/lma.sock", "log-level": "debug", "state-file": "$T/lma.state",
  "heartbeat": {"interval": 300, "missing-allowed": 20},
  "lma": {"pools": ["2001:db8:1::/48"]},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF
cat >"$T/mag.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "mag", "role": "mag", "address": "$MAG_A",
  "control-socket": "$T/mag.sock", "log-level": "debug", "state-file": "$T/var/mag.state",
  "restart-counter": 41,
  "heartbeat": {"interval": 300, "missing-allowed": 20},
  "mag": {"lma": "$LMA_A", "access-interfaces": ["mn*"]},
  "default-profile": {"mn-id-type": "eui48"}}}
EOF

"$DMMD" -c "$T/mag.json" --check >/dev/null
check "--check writes no state file" "[ ! -e '$T/var/mag.state' ] && [ ! -e '$T/lma.state' ]"

# peer NODE ADDR FIELD: FIELD of NODE's peer ADDR in show peers.
peer() { ctl "$1" peers | jq -r --arg a "$2" --arg f "$3" '.[] | select(.address == $a) | .[$f]'; }

pl_start lma
pl_start mag
pl_host 0 02:00:00:00:01:01
wait_for 10 "[ \"\$(peer lma $MAG_A restart-counter)\" = 42 ] && [ \"\$(peer mag $LMA_A restart-counter)\" = 1 ]"
check "first start: LMA sends 1 (no restart-counter configured)" "[ \"\$(ctl lma node | jq '.[\"restart-counter\"]')\" = 1 ]"
check "first start: MAG sends restart-counter + 1 = 42" "[ \"\$(ctl mag node | jq '.[\"restart-counter\"]')\" = 42 ]"
check "LMA's show peers has the MAG's counter 42" "[ \"\$(peer lma $MAG_A restart-counter)\" = 42 ]"
check "MAG's show peers has the LMA's counter 1" "[ \"\$(peer mag $LMA_A restart-counter)\" = 1 ]"
check "LMA state file holds 1" "[ \"\$(cat '$T/lma.state')\" = 1 ]"
check "MAG state file holds 42, in the directory dmmd made" "[ \"\$(cat '$T/var/mag.state')\" = 42 ]"

# The MAG restarts: 43, seen by the LMA (the MAG's unsolicited response, or
# the next heartbeat once the host registered again).
pl_stop mag
check "MAG exits 0" "[ $rc -eq 0 ]"
check "MAG state file persists after the stop (42)" "[ \"\$(cat '$T/var/mag.state')\" = 42 ]"
pl_start mag
pl_flap 0
wait_for 10 "[ \"\$(peer lma $MAG_A restart-counter)\" = 43 ]"
check "MAG restarted: show node 43" "[ \"\$(ctl mag node | jq '.[\"restart-counter\"]')\" = 43 ]"
check "LMA's show peers: MAG counter 43" "[ \"\$(peer lma $MAG_A restart-counter)\" = 43 ]"
check "LMA counted the MAG's restart" "[ \"\$(peer lma $MAG_A restarts)\" -ge 1 ]"
check "MAG state file holds 43" "[ \"\$(cat '$T/var/mag.state')\" = 43 ]"

# The LMA restarts: 2, seen by the MAG in the response to its next heartbeat.
# (Once the restarted MAG has learnt the LMA's 1: a first value is no restart.)
wait_for 10 "[ \"\$(ctl lma bindings | jq length)\" = 1 ] && [ \"\$(peer mag $LMA_A restart-counter)\" = 1 ]"
pl_stop lma
check "LMA exits 0" "[ $rc -eq 0 ]"
pl_start lma
wait_for 10 "[ \"\$(peer mag $LMA_A restart-counter)\" = 2 ]"
check "LMA restarted: show node 2" "[ \"\$(ctl lma node | jq '.[\"restart-counter\"]')\" = 2 ]"
check "MAG's show peers: LMA counter 2" "[ \"\$(peer mag $LMA_A restart-counter)\" = 2 ]"
check "MAG counted the LMA's restart" "[ \"\$(peer mag $LMA_A restarts)\" -ge 1 ]"
check "LMA state file holds 2" "[ \"\$(cat '$T/lma.state')\" = 2 ]"
check "the replace leaves no temporary file" "[ \"\$(ls '$T/var')\" = mag.state ]"

# A SIGHUP reload keeps this run's counter.
kill -HUP "$MAGPID"
sleep 0.5
check "reload keeps the counter (43)" "[ \"\$(ctl mag node | jq '.[\"restart-counter\"]')\" = 43 ]"

pl_stop mag
pl_stop lma

# A state file that is not a counter: dmmd refuses to start, the file stays.
printf 'x1\n' >"$T/lma.state"
lns "$DMMD" -c "$T/lma.json" 2>"$T/bad.log"
rc=$?
check "a bad state file stops dmmd" "[ $rc -ne 0 ]"
check "and says which file and why" "grep -q 'lma.state: not a restart counter' '$T/bad.log'"
check "the bad file is left as it was" "[ \"\$(cat '$T/lma.state')\" = x1 ]"

# 2^32 - 1 wraps to 0 (modulo 2^32).
echo 4294967295 >"$T/lma.state"
pl_start lma
check "4294967295 + 1 wraps to 0" "[ \"\$(ctl lma node | jq '.[\"restart-counter\"]')\" = 0 ]"
pl_stop lma
check "the file holds 0" "[ \"\$(cat '$T/lma.state')\" = 0 ]"

pl_done
