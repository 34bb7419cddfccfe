#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real Prometheus server scrapes dmmd in the lab of RFC 7429 Figure 4
# (lab/pmip-fig4.sh has the picture), kernel data plane (user without SRv6, tests/kfeat.sh). LMA1, MAG1 and
# MAG2 serve /metrics on their node addresses, port 9437, and write usage
# records; Prometheus (Debian's) runs in LMA1's namespace on [::1]:9090,
# scraping every second for at least 15 s:
#
#   prometheus [::1]:9090 (LMA1 ns) --scrape 1 s--> LMA1, MAG1, MAG2 :9437/metrics
#
# Checks:
#   - MN1 pings CN1 5 times with 100 octets, then moves MAG1 -> MAG2;
#   - Prometheus's HTTP API: every target up; dmm_handoffs_total of LMA1
#     is 1 (the handover the test caused); LMA1 has one ACTIVE binding;
#     LMA1 observed one handover interruption; MAG2 one serving-side
#     registration latency;
#   - MAG1's usage record of MN1's finished session: 5 packets and the
#     pings' bytes each way, anchor LMA1, serving MAG1;
#   - LMA1's event stream: binding-handed-off for MN1 with serving MAG2.
#
# Usage: tests/lab/prom.sh   (root)
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

NAME=lab-prom
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
DP=$(kfeat_dp)
PORT=9437
if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
for t in prometheus curl jq; do
	if ! command -v "$t" >/dev/null; then
		echo "$NAME: FAIL $t missing (tests/deps.sh: prometheus, curl, jq)"
		echo "$NAME: 0 passed, 1 failed"
		exit 1
	fi
done

lab_init "$NAME"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: Prometheus scrapes LMA1, MAG1 and MAG2"
lab_need_tools || exit 1
lab_topology
lab_associations
for n in lma1 lma2 mag1 mag2 mag3; do
	lab_config "$n" "$DP" >"$LAB_TMP/$n.json.in"
	case $n in
	lma1 | mag1 | mag2)
		jq --arg a "${ADDR[$n]}" --arg f "$LAB_TMP/$n-usage.jsonl" --argjson p $PORT \
			'."dmm:node".monitoring = {metrics: {address: $a, port: $p}, "usage-records": {file: $f}}' \
			"$LAB_TMP/$n.json.in" >"$LAB_TMP/$n.json"
		;;
	*) cp "$LAB_TMP/$n.json.in" "$LAB_TMP/$n.json" ;;
	esac
done
for n in lma1 lma2 mag1 mag2 mag3; do
	dmmd_start "$n" || { FAILED=$((FAILED + 1)); summary "$NAME"; exit 1; }
done

cat >"$LAB_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dmm
    static_configs:
      - targets: ['[${ADDR[lma1]}]:$PORT', '[${ADDR[mag1]}]:$PORT', '[${ADDR[mag2]}]:$PORT']
EOF
lab_bg PROM lma1 prometheus --config.file="$LAB_TMP/prometheus.yml" --storage.tsdb.path="$LAB_TMP/prom" \
	--web.listen-address="[::1]:9090" --log.level=warn 2>"$LAB_TMP/prometheus.log"
T0=$(date +%s)
lab_bg EVPID lma1 "$DMMCTL" events --json -s "$LAB_TMP/lma1.sock" >"$LAB_TMP/lma1.events"
api() { # QUERY: the values of the instant query, one per line
	ip netns exec "${NS[lma1]}" curl -s -g --data-urlencode "query=$1" "http://[::1]:9090/api/v1/query" |
		jq -r '.data.result[].value[1]'
}
inst() { echo "instance=\"[${ADDR[$1]}]:$PORT\""; }

check "MN1 registered at MAG1" wait_registered mn1
check "MN2 registered at MAG3" wait_registered mn2
check "Prometheus is ready" wait_for 20 ip netns exec "${NS[lma1]}" curl -sf -g "http://[::1]:9090/-/ready"

# 5 pings of 100 octets from MN1 to CN1 through MAG1 and LMA1, then MN1 moves to MAG2.
MN1A=$(mn_addr mn1)
ping_ok() { lab_exec mn1 ping -q -c 5 -i 0.2 -W 2 -s 100 -I "$MN1A" "${ADDR[cn1]}" | grep -q '5 packets transmitted, 5 received'; }
check "MN1 -> CN1: 5 pings answered" ping_ok
handover mn1 mag1 mag2
check "MN1 moves MAG1 -> MAG2 and registers there" wait_registered mn1 60

# At least 15 s of scraping, then ask Prometheus.
while (($(date +%s) - T0 < 16)); do sleep 1; done
sleep 2
check "Prometheus: all three targets up" \
	bash -c "[ \"\$(ip netns exec ${NS[lma1]} curl -s -g --data-urlencode 'query=sum(up{job=\"dmm\"})' 'http://[::1]:9090/api/v1/query' | jq -r '.data.result[0].value[1]')\" = 3 ]"
v=$(api "dmm_handoffs_total{$(inst lma1)}")
info "dmm_handoffs_total at LMA1 from Prometheus: $v"
check "Prometheus: LMA1's dmm_handoffs_total is 1 (the handover the test caused)" test "$v" = 1
v=$(api "dmm_bindings{$(inst lma1),table=\"binding-cache\",state=\"ACTIVE\"}")
check "Prometheus: LMA1's bindings gauge says 1 ACTIVE" test "$v" = 1
v=$(api "dmm_handover_interruption_seconds_count{$(inst lma1)}")
info "handover interruptions observed at LMA1: $v, sum $(api "dmm_handover_interruption_seconds_sum{$(inst lma1)}") s"
check "Prometheus: LMA1 observed one handover interruption" test "$v" = 1
v=$(api "dmm_registration_latency_seconds_count{$(inst mag2),side=\"serving\"}")
check "Prometheus: MAG2 observed a registration latency" test "${v:-0}" -ge 1
v=$(api "pmip6_initial_binding_registrations_total{$(inst lma1)}")
check "Prometheus: LMA1's pmip6_initial_binding_registrations_total is 1" test "$v" = 1

# MAG1's session of MN1 ended with the move: its usage record.
rec() { jq -e -s --arg m "eui48:${MN_MAC[mn1]}" "[.[] | select(.\"mn-id\" == \$m)][0] | $1" "$LAB_TMP/mag1-usage.jsonl"; }
wait_for 10 test -s "$LAB_TMP/mag1-usage.jsonl"
sed 's/^/  record: /' "$LAB_TMP/mag1-usage.jsonl"
check "MAG1's usage record: 5 packets each way" rec '."uplink-packets" == 5 and ."downlink-packets" == 5'
check "MAG1's usage record: 5 x 148 octets each way" rec '."uplink-bytes" == 740 and ."downlink-bytes" == 740'
check "MAG1's usage record: anchor LMA1, serving MAG1" rec ".anchor == \"${ADDR[lma1]}\" and .serving == [\"${ADDR[mag1]}\"]"
evs() { jq -e -s --arg m "eui48:${MN_MAC[mn1]}" "any(.[]; .event == \"binding-handed-off\" and .\"mn-id\" == \$m and .serving == \"${ADDR[mag2]}\")" "$LAB_TMP/lma1.events"; }
check "LMA1's events: binding-handed-off for MN1 to MAG2" evs
summary "$NAME"
