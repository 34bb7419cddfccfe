#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Operations (docs/operations.md, RFC 7429 §5.6 and GAP6): /metrics,
# usage records and the event stream of a real LMA and MAG, with a host
# that attaches, pings and leaves. Topology in tests/daemon/pmip-lib.sh:
#
#   [ host ns h0 ]        [ the script's ns ]                 [ LMA ns ]                         [ CN ns ]
#    h0 ----- mn0  MAG 2001:db8:b:1::2       t0 ------ t1  LMA 2001:db8:a:1::2    c0 ------- c1  2001:db8:c::2
#                  /metrics [::1]:9438                     /metrics [::1]:9437  2001:db8:c::1
#
# Checks:
#   - before any host: the counters are 0; /metrics passes promtool check metrics;
#   - the host attaches: pmip6_initial_binding_registrations_total 1 at the
#     LMA, a binding gauge of 1 at both, one registration latency each side
#     (anchor at the LMA, serving at the MAG); promtool still passes;
#   - 5 pings of 100 octets from the host's SLAAC address to the CN; the
#     host's link flaps (detach, attach within MinDelayBeforeBCEDelete):
#     the LMA observes one handover interruption; the MAG writes the usage
#     record of the ended binding with 5 packets each way;
#   - the host leaves: the LMA's binding ends after MinDelayBeforeBCEDelete
#     and its usage record has the MN-ID, the prefix, anchor, serving MAG,
#     RFC 3339 start and end, 5 packets and the ping's bytes each way;
#   - dmmctl events followed both daemons: binding-created and
#     binding-deleted at the LMA, peer-up at the MAG, with the MN-ID;
#   - a bad metrics address is refused with its path; /other is 404.
#
# Usage: tests/daemon/ops.sh   (root)
cd "$(dirname "$0")/../.." || exit 1
NAME=daemon-ops
. tests/daemon/pmip-lib.sh
for t in curl promtool; do
	command -v "$t" >/dev/null || { echo "$NAME: FAIL $t missing (tests/deps.sh: curl, prometheus)"; exit 1; }
done
pl_enter "$@"
pl_setup
# A correspondent node behind the LMA (the LMA decapsulates into its main table).
CN_A=2001:db8:c::2
unshare -n sleep 300 &
CNNS=$!
HOSTS="$HOSTS $CNNS"
sleep 0.1
ip link add c0 type veth peer name c1
ip link set c0 netns "$LMANS"
ip link set c1 netns "$CNNS"
lns ip -6 addr add 2001:db8:c::1/64 dev c0 nodad
lns ip link set c0 up
cns() { nsenter -t "$CNNS" -n "$@"; }
cns ip link set lo up
cns ip -6 addr add $CN_A/64 dev c1 nodad
cns ip link set c1 up
cns ip -6 route add default via 2001:db8:c::1 dev c1
MAC=02:00:00:00:01:01
MNID=eui48:02:00:00:00:01:01

cat >"$T/lma.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "lma", "role": "lma", "address": "$LMA_A",
  "control-socket": "$T/lma.sock", "log-level": "debug", "state-file": "$T/lma.state",
  "heartbeat": {"interval": 500, "missing-allowed": 3},
  "lma": {"pools": ["2001:db8:1::/48"], "min-delay-before-bce-delete": 2500},
  "default-profile": {"mn-id-type": "eui48"},
  "monitoring": {"metrics": {"address": "::1", "port": 9437},
                 "usage-records": {"file": "$T/lma-usage.jsonl"}}}}
EOF
cat >"$T/mag.json" <<EOF
{"dmm:node": {"dataplane": "$PL_DP", "name": "mag", "role": "mag", "address": "$MAG_A",
  "control-socket": "$T/mag.sock", "log-level": "debug", "state-file": "$T/mag.state",
  "heartbeat": {"interval": 500, "missing-allowed": 3},
  "mag": {"lma": "$LMA_A", "access-interfaces": ["mn*"]},
  "default-profile": {"mn-id-type": "eui48"},
  "monitoring": {"metrics": {"address": "::1", "port": 9438},
                 "usage-records": {"file": "$T/mag-usage.jsonl"}}}}
EOF

# The bad config first: refused with the path of the field.
sed 's/"address": "::1", "port": 9438/"address": "::1::2"/' "$T/mag.json" >"$T/bad.json"
check "a bad metrics address is refused with its path" \
	"! '$DMMD' -c '$T/bad.json' --check 2>'$T/bad.err' && grep -q 'dmm:node/monitoring/metrics/address' '$T/bad.err'"

scrape() { # NODE: the metrics text
	if [ "$1" = lma ]; then lns curl -s -g "http://[::1]:9437/metrics"; else curl -s -g "http://[::1]:9438/metrics"; fi
}
val() { # NODE METRIC-WITH-LABELS: its value
	scrape "$1" | awk -v m="$2" '$1 == m { print $2 }'
}
promtool_ok() { scrape "$1" >"$T/$1.prom" && [ -s "$T/$1.prom" ] && promtool check metrics <"$T/$1.prom"; }

pl_start lma
pl_start mag
"$DMMCTL" events --json -s "$T/lma.sock" >"$T/lma.events" 2>&1 &
EV1=$!
"$DMMCTL" events --json -s "$T/mag.sock" >"$T/mag.events" 2>&1 &
EV2=$!
sleep 0.3

check "LMA /metrics before any host: no registration" "[ \"\$(val lma pmip6_initial_binding_registrations_total)\" = 0 ]"
check "LMA /metrics passes promtool check metrics" "promtool_ok lma"
check "MAG /metrics passes promtool check metrics" "promtool_ok mag"
check "/metrics only: /other is 404" "[ \"\$(lns curl -s -o /dev/null -w '%{http_code}' -g 'http://[::1]:9437/other')\" = 404 ]"

pl_host 0 $MAC
wait_for 10 "[ \"\$(ctl lma bindings | jq length)\" = 1 ]"
check "LMA: one initial registration" "[ \"\$(val lma pmip6_initial_binding_registrations_total)\" = 1 ]"
check "LMA: one ACTIVE binding" "[ \"\$(val lma 'dmm_bindings{table=\"binding-cache\",state=\"ACTIVE\"}')\" = 1 ]"
check "MAG: one REGISTERED binding" "[ \"\$(val mag 'dmm_bindings{table=\"binding-update-list\",state=\"REGISTERED\"}')\" = 1 ]"
check "LMA: one registration latency, anchor side" "[ \"\$(val lma 'dmm_registration_latency_seconds_count{side=\"anchor\"}')\" = 1 ]"
check "MAG: one registration latency, serving side" "[ \"\$(val mag 'dmm_registration_latency_seconds_count{side=\"serving\"}')\" = 1 ]"
check "LMA: intents gauge 2 (downlink encap, uplink decap)" "[ \"\$(val lma dmm_intents)\" = 2 ]"
check "LMA: pmip6_lma_home_tunnel_established_total 1" "[ \"\$(val lma pmip6_lma_home_tunnel_established_total)\" = 1 ]"
check "LMA /metrics with a binding passes promtool" "promtool_ok lma"
check "MAG /metrics with a binding passes promtool" "promtool_ok mag"

# The host's SLAAC address from its prefix (past DAD), then 5 pings of 100 octets to the CN through the tunnel.
hin() { nsenter -t "$HOST0" -n "$@"; }
haddr() { hin ip -6 -o addr show dev h0 scope global -tentative | awk '{ sub("/.*", "", $4); print $4; exit }'; }
wait_for 10 "[ -n \"\$(haddr)\" ]"
A=$(haddr)
hin ping -q -c 5 -i 0.2 -W 2 -s 100 -I "$A" $CN_A >"$T/ping.out" 2>&1
check "5 pings from the host's prefix to the CN, 5 answers" "grep -q '5 packets transmitted, 5 received' '$T/ping.out'"

# A flap within MinDelayBeforeBCEDelete: the LMA keeps the binding and sees its downlink come back.
pl_flap 0
wait_for 10 "[ \"\$(val lma dmm_handover_interruption_seconds_count)\" = 1 ]"
check "LMA: one handover interruption observed" "[ \"\$(val lma dmm_handover_interruption_seconds_count)\" = 1 ]"
check "LMA: the interruption is under 5 s" "awk 'BEGIN { exit !(\$(val lma dmm_handover_interruption_seconds_sum) < 5) }'"
wait_for 5 "[ -s '$T/mag-usage.jsonl' ]"
check "MAG: the usage record of the binding that ended at the detach" \
	"jq -e --arg m '$MNID' 'select(.\"mn-id\" == \$m) | .\"uplink-packets\" == 5 and .\"downlink-packets\" == 5 and .anchor == \"$LMA_A\" and .serving == [\"$MAG_A\"]' '$T/mag-usage.jsonl'"

# The host leaves: after MinDelayBeforeBCEDelete the LMA's binding ends with its record.
hin ip link set h0 down
wait_for 10 "[ -s '$T/lma-usage.jsonl' ]"
cat "$T/lma-usage.jsonl" "$T/mag-usage.jsonl" >&2
rec() { jq -e --arg m "$MNID" "select(.\"mn-id\" == \$m) | $1" "$T/lma-usage.jsonl"; }
check "LMA: one usage record" "[ \"\$(wc -l <'$T/lma-usage.jsonl')\" = 1 ]"
check "LMA record: prefix from the pool, anchor, serving MAG" \
	"rec '(.prefixes[0] | startswith(\"2001:db8:1:\")) and .anchor == \"$LMA_A\" and .serving == [\"$MAG_A\"] and .record == \"binding\"'"
rfc3339() { rec '(.start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z$")) and .start < .end and .duration > 0'; }
check "LMA record: RFC 3339 start before end" rfc3339
check "LMA record: 5 packets each way" "rec '.\"uplink-packets\" == 5 and .\"downlink-packets\" == 5'"
# ICMPv6 echo of 100 octets: 148 octets of IPv6 packet (inner), 188 with the tunnel header.
check "LMA record: the pings' bytes each way" \
	"rec '(.\"uplink-bytes\" == 5 * 148 or .\"uplink-bytes\" == 5 * 188) and (.\"downlink-bytes\" == 5 * 148 or .\"downlink-bytes\" == 5 * 188)'"
check "LMA: dmm_usage_records_total 1" "[ \"\$(val lma dmm_usage_records_total)\" = 1 ]"
check "LMA: de-registration counted" "[ \"\$(val lma pmip6_binding_de_registrations_total)\" -ge 1 ]"
check "LMA: no binding left" "[ \"\$(val lma 'dmm_bindings{table=\"binding-cache\",state=\"ACTIVE\"}')\" = 0 ] && [ \"\$(val lma dmm_sessions)\" = 0 ]"

sleep 0.3
kill "$EV1" "$EV2" 2>/dev/null
ev() { jq -e -s "$2" "$T/$1.events"; }
check "LMA events: binding-created then binding-deleted for the MN" \
	"ev lma '[.[] | select(.\"mn-id\" == \"$MNID\") | .event] == [\"binding-created\", \"binding-deleted\"]'"
check "MAG events: peer-up for the LMA" "ev mag 'any(.[]; .event == \"peer-up\" and .peer == \"$LMA_A\")'"
check "MAG events: two bindings created and deleted (the flap)" \
	"ev mag '([.[] | select(.event == \"binding-created\")] | length) == 2 and ([.[] | select(.event == \"binding-deleted\")] | length) == 2'"
check "events are numbered in order" "ev lma '[.[].seq] == ([.[].seq] | sort) and (.[0].seq >= 1)'"
check "dmmctl events --replay shows the past" \
	"'$DMMCTL' events --json --replay 2 --count 2 -s '$T/lma.sock' | jq -e -s 'length == 2'"
cat "$T/lma.events" "$T/mag.events" >&2
pl_stop mag
pl_stop lma
check "LMA stopped cleanly" "[ $rc = 0 ]"
pl_done
