#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Handover and forwarding figures on RFC 7429 Figure 4 (lab/pmip-fig4.sh),
# for each data plane set-up. Not part of make check: it prints figures,
# it does not judge them.
#
#   lab/measure.sh [--handovers N] [--dataplanes "kernel user mixed"] [--seconds S]
#
# Handover: probes at 1000/s both ways (CN1 -> MN1 downlink, MN1 -> CN1
# uplink) while MN1 moves MAG1 -> MAG2 -> MAG3 -> MAG1 ... N times. Each
# handover's interruption is the probe gap around it (lab-traffic udp-sink),
# split with dmmd's own log lines (millisecond wall clock) into
#   attach detection  link moved -> "mn ... attached" at the new MAG (of which
#                     link moved -> "access link ... configured": the kernel
#                     moving the veth, the RTM_NEWLINK, dmmd setting it up)
#   signalling        attach -> PBA accepted ("registered N us after attach")
#   first packet      registration -> first probe after the gap
# (detection and first packet are at millisecond resolution).
#
# Throughput: iperf3 MN1 -> CN1, one TCP stream, through the tunnel (MN1's
# home address) and plain (a second, non-mobile address of MN1 that IR
# policy-routes over the very same hops MAG1 -> IR -> LMA1 -> IR -> CN1,
# without encapsulation). The ratio tunnel/plain is the figure to compare;
# the absolute numbers depend on the machine.
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

NHO=20
DPS="kernel user mixed"
SECS=5
while [[ $# -gt 0 ]]; do
	case $1 in
	--handovers) NHO=$2 && shift ;;
	--dataplanes) DPS=$2 && shift ;;
	--seconds) SECS=$2 && shift ;;
	*)
		echo "usage: lab/measure.sh [--handovers N] [--dataplanes LIST] [--seconds S]" >&2
		exit 2
		;;
	esac
	shift
done
[[ $(id -u) -eq 0 ]] || {
	echo "measure: needs root" >&2
	exit 1
}

# seconds of the UTC day, from an epoch time / from a dmmd log line.
sod_epoch() { awk -v t="$1" 'BEGIN { printf "%.3f", t - int(t / 86400) * 86400 }'; }

# One data plane set-up, in a subshell with its own lab (and its own cleanup).
measure_one() (
	local dp=$1 i from to hops=(mag1 mag2 mag3) MN1 dur
	lab_init "measure-$dp"
	lab_up "$dp" || exit 1
	MN1=$(mn_addr mn1)
	dur=$((NHO * 2 + 4))
	lab_bg P1 mn1 "$TRAFFIC" udp-sink --port 6001 --duration "$dur" --timeout 10 >"$LAB_TMP/down.json"
	lab_bg P2 cn1 "$TRAFFIC" udp-sink --port 6002 --duration "$dur" --timeout 10 >"$LAB_TMP/up.json"
	sleep 0.3
	lab_bg P3 cn1 "$TRAFFIC" udp-source --to "$MN1" --port 6001 --pps 1000 --duration "$dur" >/dev/null
	lab_bg P4 mn1 "$TRAFFIC" udp-source --to "${ADDR[cn1]}" --port 6002 --pps 1000 --duration "$dur" >/dev/null
	sleep 1
	for ((i = 0; i < NHO; i++)); do
		from=${hops[$((i % 3))]}
		to=${hops[$(((i + 1) % 3))]}
		handover mn1 "$from" "$to"
		wait_registered mn1 30 >/dev/null 2>&1
		sleep 1.2
	done
	sleep 1
	kill -INT "$P1" "$P2" 2>/dev/null
	wait "$P1" "$P2" 2>/dev/null
	kill "$P3" "$P4" 2>/dev/null

	# Per handover: t0 (link moved), attach and registration times from the new MAG's log.
	: >"$LAB_TMP/ho.tsv"
	while read -r t mn from to; do
		local t0 att reg_us cfg
		t0=$(sod_epoch "$t")
		# The first attach of MN1 at the new MAG after t0, and the registration that follows it.
		read -r att reg_us cfg < <(awk -v t0="$t0" '
			function sod(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
			/access link mn1 .* configured/ && !cfg && sod($1) >= t0 - 0.002 { cfg = sod($1) }
			/attached on mn1/ && !att && sod($1) >= t0 - 0.002 { att = sod($1) }
			att && /registered [0-9]+ us after attach/ && !reg {
				for (i = 1; i <= NF; i++) if ($i == "registered") reg = $(i + 1) }
			END { printf "%.3f %s %.3f\n", att, reg, cfg }' "$LAB_TMP/$to.log")
		printf '%s\t%s\t%s\t%s\n' "$t0" "$att" "$reg_us" "$cfg" >>"$LAB_TMP/ho.tsv"
	done <"$LAB_TMP/handovers"

	# Match each handover with the probe gap that contains it, in each direction.
	for dir in down up; do
		jq -r '.gaps[] | "\(.t)\t\(.ms)\t\(.lost)"' "$LAB_TMP/$dir.json" |
			while IFS=$'\t' read -r gt gms glost; do
				printf '%s\t%s\t%s\n' "$(sod_epoch "$gt")" "$gms" "$glost"
			done >"$LAB_TMP/$dir.gaps"
		awk -F'\t' -v dir="$dir" -v dp="$dp" '
			FNR == NR { t0[NR] = $1; att[NR] = $2; reg[NR] = $3 / 1000; cfg[NR] = $4; n = NR; next }
			{ gs[++g] = $1; gms[g] = $2; gl[g] = $3 }
			END {
				for (i = 1; i <= n; i++) {
					best = 0
					for (j = 1; j <= g; j++)
						if (gs[j] <= t0[i] + 0.05 && gs[j] + gms[j] / 1000 >= t0[i] && gms[j] > 10) { best = j; break }
					if (!best) { printf "%s\t%s\t%d\tnogap\n", dp, dir, i; continue }
					gend = gs[best] + gms[best] / 1000
					det = (att[i] - t0[i]) * 1000
					first = (gend - att[i]) * 1000 - reg[i]
					printf "%s\t%s\t%d\t%.1f\t%d\t%.1f\t%.3f\t%.1f\t%.1f\n", dp, dir, i, gms[best], gl[best], det, reg[i], first, (cfg[i] - t0[i]) * 1000
				}
			}' "$LAB_TMP/ho.tsv" "$LAB_TMP/$dir.gaps"
	done >"$LAB_TMP/result.tsv"
	cat "$LAB_TMP/result.tsv" >>"$OUT/handovers.tsv"
	jq -c --arg dp "$dp" '{dp: $dp, dir: "down", received, lost}' "$LAB_TMP/down.json" >>"$OUT/totals.jsonl"
	jq -c --arg dp "$dp" '{dp: $dp, dir: "up", received, lost}' "$LAB_TMP/up.json" >>"$OUT/totals.jsonl"

	# Throughput: MN1 is on MAG1 again after a multiple of 3 handovers; put it there.
	[[ ${MN_AT[mn1]} == mag1 ]] || {
		handover mn1 "${MN_AT[mn1]}" mag1
		wait_registered mn1 30
	}
	# The plain path: 2001:db8:f1::/64 on MN1's link, policy-routed by IR over LMA1 both ways.
	ip -n "${NS[mn1]}" addr add 2001:db8:f1::2/64 dev eth0 nodad
	ip -n "${NS[mag1]}" addr add 2001:db8:f1::1/64 dev mn1 nodad
	ip -n "${NS[ir]}" -6 route add 2001:db8:f1::/64 via "${ADDR[lma1]}" dev lma1
	ip -n "${NS[ir]}" -6 route add 2001:db8:f1::/64 via "${ADDR[mag1]}" dev mag1 table 101
	ip -n "${NS[ir]}" -6 route add default via "${ADDR[lma1]}" dev lma1 table 102
	ip -n "${NS[ir]}" -6 rule add iif lma1 to 2001:db8:f1::/64 lookup 101 pref 90
	ip -n "${NS[ir]}" -6 rule add iif mag1 from 2001:db8:f1::/64 lookup 102 pref 90
	ip -n "${NS[lma1]}" -6 route add 2001:db8:f1::/64 via 2001:db8:a:1::1 dev ir
	lab_bg P5 cn1 iperf3 -s -1 -p 5201 >/dev/null 2>&1
	sleep 0.5
	lab_exec mn1 iperf3 -c "${ADDR[cn1]}" -p 5201 -t "$SECS" -B "$MN1" -J >"$LAB_TMP/tun.json" 2>/dev/null
	wait "$P5" 2>/dev/null
	lab_bg P6 cn1 iperf3 -s -1 -p 5202 >/dev/null 2>&1
	sleep 0.5
	lab_exec mn1 iperf3 -c "${ADDR[cn1]}" -p 5202 -t "$SECS" -B 2001:db8:f1::2 -J >"$LAB_TMP/plain.json" 2>/dev/null
	wait "$P6" 2>/dev/null
	printf '%s\t%s\t%s\n' "$dp" "$(jq '.end.sum_received.bits_per_second' "$LAB_TMP/tun.json")" \
		"$(jq '.end.sum_received.bits_per_second' "$LAB_TMP/plain.json")" >>"$OUT/throughput.tsv"
)

OUT=$(mktemp -d /tmp/dmm-measure-out.XXXXXX)
trap 'rm -rf -- "$OUT"' EXIT
trap 'exit 130' INT TERM
for dp in $DPS; do
	echo "measure: $dp data plane, $NHO handovers" >&2
	measure_one "$dp" || echo "measure: $dp failed" >&2
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); else printf "-" }'; }
maxof() { sort -g | tail -n 1; }

echo "## Handover (MN1 cycling MAG1 -> MAG2 -> MAG3, probes at 1000/s)"
echo
echo "| data plane | direction | handovers | interruption median / max (ms) | lost median / max | attach detection median (ms) (of which: link up at the new MAG) | signalling median (ms) | first packet median (ms) |"
echo "|---|---|---|---|---|---|---|---|"
for dp in $DPS; do
	for dir in down up; do
		rows=$(awk -F'\t' -v dp="$dp" -v d="$dir" '$1 == dp && $2 == d && $4 != "nogap"' "$OUT/handovers.tsv")
		n=$(grep -c . <<<"$rows")
		[[ -n $rows ]] || n=0
		nogap=$(awk -F'\t' -v dp="$dp" -v d="$dir" '$1 == dp && $2 == d && $4 == "nogap"' "$OUT/handovers.tsv" | grep -c .)
		printf '| %s | %s | %s%s | %s / %s | %s / %s | %s (%s) | %s | %s |\n' "$dp" "$dir" "$n" \
			"$([[ $nogap -gt 0 ]] && echo " (+$nogap without a gap)")" \
			"$(cut -f4 <<<"$rows" | median)" "$(cut -f4 <<<"$rows" | maxof)" \
			"$(cut -f5 <<<"$rows" | median)" "$(cut -f5 <<<"$rows" | maxof)" \
			"$(cut -f6 <<<"$rows" | median)" "$(cut -f9 <<<"$rows" | median)" \
			"$(cut -f7 <<<"$rows" | median)" "$(cut -f8 <<<"$rows" | median)"
	done
done
echo
echo "## Throughput MN1 -> CN1 (iperf3, one TCP stream, ${SECS} s)"
echo
echo "| data plane | tunnel (Mbit/s) | plain forwarding, same hops (Mbit/s) | ratio |"
echo "|---|---|---|---|"
while IFS=$'\t' read -r dp tun plain; do
	awk -v dp="$dp" -v t="$tun" -v p="$plain" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", dp, t / 1e6, p / 1e6, (p > 0 ? t / p : 0) }'
done <"$OUT/throughput.tsv"
if [[ -n ${MEASURE_RAW:-} ]]; then
	# MEASURE_RAW=FILE keeps the per-handover rows: dp, direction, n, interruption ms, lost,
	# detection ms, signalling ms, first packet ms, link configured ms.
	cp "$OUT/handovers.tsv" "$MEASURE_RAW"
fi
