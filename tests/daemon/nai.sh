#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A MAG that names hosts by an NAI built from their MAC (mn-id-form nai,
# RFC 4283 subtype 1) registers at an LMA that accepts only that NAI (its
# one profile names it; no default profile). Topology in
# tests/daemon/pmip-lib.sh, with two hosts.
#
# Checks: host 0 (02:00:00:00:01:01) is registered at both ends as
# nai:02-00-00-00-01-01@example.org and gets an address of the LMA's pool;
# host 1 (02:00:00:00:01:02), whose NAI the LMA does not know, is refused
# (a PBA status of 128 or above, no binding); the MAG's refusal log says
# what to configure; a MAG whose default profile covers only EUI-48
# MN-IDs refuses the NAI host itself and says so.
#
# Usage: tests/daemon/nai.sh   (root)
cd "$(dirname "$0")/../.." || exit 1
NAME=daemon-nai
. tests/daemon/pmip-lib.sh
pl_enter "$@"
pl_setup

NAI=nai:02-00-00-00-01-01@example.org
cat >"$T/lma.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "lma", "role": "lma", "address": "$LMA_A",
  "control-socket": "$T/lma.sock", "log-level": "debug", "state-file": "$T/lma.state",
  "lma": {"pools": ["2001:db8:1::/48"]},
  "mobile-nodes": [{"mn-id": "$NAI"}]}}
EOF
mag_json() {
	cat >"$T/mag.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "mag", "role": "mag", "address": "$MAG_A",
  "control-socket": "$T/mag.sock", "log-level": "debug", "state-file": "$T/mag.state",
  "mag": {"lma": "$LMA_A", "access-interfaces": ["mn*"], "ra-interval": 1,
          "mn-id-form": "nai", "nai-realm": "example.org"},
  "default-profile": {"mn-id-type": "$1"}}}
EOF
}
mag_json nai

pl_start lma
pl_start mag
pl_host 0 02:00:00:00:01:01
wait_for 10 "[ \"\$(ctl lma bindings | jq length)\" = 1 ]"
pl_host 1 02:00:00:00:01:02
wait_for 10 "ctl lma stats | jq -e '[.[\"ba-status\"] | to_entries[] | select((.key | tonumber) >= 128)] | length >= 1'"
sleep 0.5

ctl lma bindings >"$T/lma-bindings.json"
ctl mag bindings >"$T/mag-bindings.json"
ctl lma stats >"$T/lma-stats.json"
check "LMA: one binding, for the NAI, ACTIVE" "jq -e 'length == 1 and .[0][\"mn-id\"] == \"$NAI\" and .[0].state == \"ACTIVE\"' '$T/lma-bindings.json'"
check "MAG: the NAI registered" "jq -e '[.[] | select(.[\"mn-id\"] == \"$NAI\" and .state == \"REGISTERED\")] | length == 1' '$T/mag-bindings.json'"
check "MAG: no EUI-48 MN-ID sent" "! grep -q eui48 '$T/mag-bindings.json'"
check "LMA refused the unknown NAI (status >= 128)" "jq -e '[.[\"ba-status\"] | to_entries[] | select((.key | tonumber) >= 128)] | length >= 1' '$T/lma-stats.json'"
check "LMA: no binding for host 1" "! grep -q '02-00-00-00-01-02' '$T/lma-bindings.json'"
check "MAG logs the refusal of host 1 by the LMA" "grep -q 'mn nai:02-00-00-00-01-02@example.org on mn1 refused by the LMA' '$T/mag.log'"
wait_for 10 "nsenter -t $HOST0 -n ip -6 addr show dev h0 scope global | grep -q 2001:db8:1:"
check "host 0 has an address of the LMA's pool" "nsenter -t $HOST0 -n ip -6 addr show dev h0 scope global | grep -q 'inet6 2001:db8:1:'"

# The MAG's own profiles are looked up under the NAI too: a default
# profile for EUI-48 only refuses the host at the MAG, and the log says
# what to configure.
pl_stop mag
mag_json eui48
pl_start mag
pl_flap 0
wait_for 10 "grep -q 'mn nai:02-00-00-00-01-01@example.org attached on mn0 but refused' '$T/mag.log'"
check "MAG with an EUI-48-only default profile refuses the NAI host" "grep -q 'attach refused by policy (no profile)' '$T/mag.log'"
check "and says what to configure" "grep -q 'needs an entry in mobile-nodes or a default-profile whose mn-id-type covers it' '$T/mag.log'"
pl_stop mag
pl_stop lma

pl_done
