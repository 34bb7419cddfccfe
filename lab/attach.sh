#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Attach detection on RFC 7429 Figure 4 (lab/pmip-fig4.sh): MN1 moves
# MAG1 -> MAG2 -> MAG3 -> MAG1 ... N times, and for each arrival the new
# MAG's log gives the time from the access link's carrier-up to the attach
# (dmmd logs both with the monotonic clock, in microseconds). Run once with
# attach-probe off (the MAG waits for the host's own first frame: MLD or
# DAD) and once on (an RA and Echo Requests to all-nodes at carrier-up),
# per data plane. Not part of make check: it prints figures, it does not
# judge them.
#
#   lab/attach.sh [--handovers N] [--dataplanes "kernel user"]
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

NHO=10
DPS="kernel"
while [[ $# -gt 0 ]]; do
	case $1 in
	--handovers) NHO=$2 && shift ;;
	--dataplanes) DPS=$2 && shift ;;
	*)
		echo "usage: lab/attach.sh [--handovers N] [--dataplanes LIST]" >&2
		exit 2
		;;
	esac
	shift
done
[[ $(id -u) -eq 0 ]] || {
	echo "attach: needs root" >&2
	exit 1
}

# One data plane and probe setting, in a subshell with its own lab: one line per arrival, "us probes".
attach_one() (
	local dp=$1 probe=$2 i from to hops=(mag1 mag2 mag3) mark
	[[ $probe == off ]] &&
		LAB_CFG_JQ='if .["dmm:node"].mag then .["dmm:node"].mag["attach-probe"] = false else . end'
	lab_init "attach-$dp-$probe"
	lab_up "$dp" >/dev/null 2>&1 || exit 1
	for ((i = 0; i < NHO; i++)); do
		from=${hops[$((i % 3))]}
		to=${hops[$(((i + 1) % 3))]}
		mark=$(lab_log_mark "$to")
		handover mn1 "$from" "$to"
		wait_registered mn1 30 >/dev/null 2>&1
		lab_attach_us "$to" mn1 "$mark" | head -n 1 | awk '{ print $3, $4 }'
		sleep 0.5
	done
)

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); else printf "-" }'; }

echo "| data plane | attach-probe | arrivals | carrier-up -> attach median (ms) | min | max | probes sent median |"
echo "|---|---|---|---|---|---|---|"
for dp in $DPS; do
	for probe in off on; do
		out=$(attach_one "$dp" "$probe")
		n=$(grep -c . <<<"$out")
		ms=$(awk '{ print $1 / 1000 }' <<<"$out")
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$dp" "$probe" "$n" "$(median <<<"$ms")" \
			"$(sort -g <<<"$ms" | head -n 1)" "$(sort -g <<<"$ms" | tail -n 1)" \
			"$(awk '{ print $2 }' <<<"$out" | median)"
	done
done
