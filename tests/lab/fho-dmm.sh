#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RFC 5949 fast handover between MAARs (RFC 8885) on lab/dmm.sh's network
# (the picture is there): the MN, a plain Linux host, walks MAAR1 -> MAAR2
# -> MAAR1 ... FHO_ROUNDS times while CN1 sends 1000 UDP probes a second to
# its address from MAAR1's pool (P1, anchored at MAAR1 all along), in one
# data plane set-up (kernel, user or bpf) and one or both modes:
#
#   predictive  dmmctl handover at the previous MAAR first (the access
#               network's handover indication): HI with the MN's prefixes
#               and their anchors, HAck; from the HAck on the previous MAAR
#               sends the MN's downlink to the new one (P1 through its
#               anchor tunnel when it anchors P1, else re-tunnelled), which
#               buffers it until the MN is there; checked: no probe lost,
#               none reordered;
#   reactive    the link just moves: the previous MAAR holds every prefix of
#               the MN, the new one asks its neighbours (HI with a Context
#               Request), gets the context, then the held probes (HI {F}),
#               then registers with the CMD; checked: none reordered, and no
#               handover loses more probes than CN1 sent between the move
#               and the previous MAAR noticing it (from its log).
#
# Each handover's interruption (the probes' gap) is printed with the link's
# down time (the move until the new MAAR's carrier-up), attach detection
# (carrier-up until the host's first frame), context transfer (HI -> HAck)
# and the probes lost.
#
#   tests/lab/fho-dmm.sh [kernel|user|bpf] [predictive|reactive|both]
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/dmm.sh
. lab/dmm.sh

DP=${1:-kernel}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "fho-dmm-$DP"
WHICH=${2:-both}
NAME="fho-dmm-$DP"
ROUNDS=${FHO_ROUNDS:-10}
PPS=1000

case $WHICH in
predictive | reactive) MODES=("$WHICH") ;;
both) MODES=(predictive reactive) ;;
*)
	echo "usage: $0 [kernel|user|bpf] [predictive|reactive|both]" >&2
	exit 2
	;;
esac
if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
# The kernel data plane's tunnels are seg6 lightweight tunnels (encap.red, End.DT6).
if [[ $DP == kernel ]] && zcat /proc/config.gz 2>/dev/null | grep -q '^# CONFIG_IPV6_SEG6_LWTUNNEL is not set'; then
	echo "  FAIL  this kernel has no CONFIG_IPV6_SEG6_LWTUNNEL: the kernel data plane cannot tunnel here"
	echo "$NAME: 0 passed, 1 failed"
	exit 1
fi

# Every MAAR: fast handover on, reactive too, the other MAARs as neighbours; hold 300 ms;
# buffers of a second of probes; no idle release (the probes keep P1 busy anyway).
# shellcheck disable=SC2016,SC2034 # jq's variables; read by lab/lib.sh's dmmd_start
LAB_CFG_JQ='if ."dmm:node".maar then ."dmm:node".address as $a | ."dmm:node".maar += {"idle-release": 0,
	"fast-handover": {"enabled": true, "reactive": true, "hold": 300, "hi-wait": 500,
	 "neighbours": (["2001:db8:a:1::2", "2001:db8:a:2::2", "2001:db8:a:3::2"] - [$a])}}
	| ."dmm:node"["buffer-packets"] = 1000 else . end'

# FHO_DMM_SAVE=DIR: the daemons' logs, configs and the probes' reports are copied there at the end.
save_logs() { # returns the status it was called with (EXIT trap)
	local rc=$?
	[[ -n ${FHO_DMM_SAVE:-} && -n $LAB_TMP ]] || return "$rc"
	mkdir -p "$FHO_DMM_SAVE/$DP" && cp "$LAB_TMP"/*.log "$LAB_TMP"/*.json "$LAB_TMP"/*.rows "$FHO_DMM_SAVE/$DP/" 2>/dev/null
	return "$rc"
}

lab_init "fho-dmm-$DP"
trap 'dump_logs_on_failure; save_logs; lab_cleanup' EXIT
echo "$NAME: RFC 5949 fast handover between MAARs, $DP data plane, $ROUNDS handovers per mode"
if ! dmm_up "$DP" proxy; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: the MN registered at MAAR1"
	summary "$NAME"
	exit 1
fi

MONO_OFF=$(/usr/bin/python3 -c 'import time; print("%.6f" % (time.time() - time.clock_gettime(time.CLOCK_MONOTONIC)))')
P1=$(mn_addr 1)
declare -A OTHER=([maar1]=maar2 [maar2]=maar1)
info "MN's address from MAAR1's pool (P1): $P1"

# The last "mono N us" of a log line matching pattern in NODE's log, as wall-clock seconds.
mono_wall() {
	grep -a "$2" "$LAB_TMP/$1.log" | tail -n 1 | sed -n 's/.*(mono \([0-9]*\) us.*/\1/p' |
		awk -v off="$MONO_OFF" '{ printf "%.6f", $1 / 1e6 + off }'
}
# A role counter of NODE's show stats.
counter() { ctl "$1" show stats | jq -r --arg k "$2" '.dmm[$k] // 0'; }
# A log line's time of day (HH:MM:SS.mmm, UTC) in seconds.
tod() { cut -d' ' -f1 | awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }
cmd_at() { [[ $(cmd_binding | jq -r .peer) == "${ADDR[$1]}" ]]; }

# run_mode MODE: ROUNDS handovers with probes to P1 (DONE: how many completed); one row of
# figures per handover in $LAB_TMP/MODE.rows.
run_mode() {
	local mode=$1 i from to t0 tc ta ctx td
	DONE=0
	: >"$LAB_TMP/$mode.rows"
	lab_bg USINK_PID mn "$TRAFFIC" udp-sink --port 5002 --duration 120 --timeout 120 --gap 3 \
		>"$LAB_TMP/$mode-sink.json"
	sleep 0.2
	lab_bg USRC_PID cn1 "$TRAFFIC" udp-source --to "$P1" --port 5002 --pps "$PPS" --duration 120 \
		>"$LAB_TMP/$mode-source.json"
	sleep 0.5
	for ((i = 0; i < ROUNDS; i++)); do
		from=$MN_AT
		to=${OTHER[$from]}
		if [[ $mode == predictive ]]; then
			# The access network's handover indication; the MN moves once the HAck came (step g).
			ctl "$from" handover "$MN_ID" --to "${ADDR[$to]}" --wait 2000 >/dev/null ||
				lab_log "handover command refused at $from, or no HAck from $to"
		fi
		t0=$EPOCHREALTIME
		handover "$to" || break
		wait_for 10 cmd_at "$to" || break
		sleep 0.4
		tc=$(mono_wall "$to" "carrier up")
		ta=$(mono_wall "$to" "attached on")
		if [[ $mode == predictive ]]; then
			ctx=$(counter "$from" fho_last_context_us)
		else
			ctx=$(counter "$to" fho_last_context_us)
		fi
		td=$(grep -a "detached from mn1" "$LAB_TMP/$from.log" | tail -n 1 | tod)
		echo "$t0 ${tc:-0} ${ta:-0} $ctx ${td:-0}" >>"$LAB_TMP/$mode.rows"
		DONE=$((DONE + 1))
	done
	sleep 0.3
	kill "$USRC_PID" 2>/dev/null
	wait "$USRC_PID" 2>/dev/null
	kill -INT "$USINK_PID" 2>/dev/null
	wait "$USINK_PID" 2>/dev/null
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); else printf "-" }'; }

# report MODE: per handover its gap, the probes missing in it (some may come later, reordered)
# and those sent before the detach was noticed.
report() {
	local mode=$1
	jq -r '.gaps[] | "\(.t) \(.ms) \(.lost)"' "$LAB_TMP/$mode-sink.json" >"$LAB_TMP/$mode.gaps"
	awk -v mode="$mode" -v pps="$PPS" '
		FILENAME ~ /gaps$/ { gt[FNR] = $1; gms[FNR] = $2; gl[FNR] = $3; ng = FNR; next }
		{
			t0 = $1; tc = $2; ta = $3; ctx = $4 / 1000; td = $5; n++
			sod = t0 - int(t0 / 86400) * 86400
			before = td > 0 ? int((td - sod + 0.002) * pps) : 0; if (before < 0) before = 0
			down = tc > 0 ? (tc - t0) * 1000 : -1; att = (tc > 0 && ta > 0) ? (ta - tc) * 1000 : -1
			g = 0; for (k = 1; k <= ng; k++) if (gt[k] >= t0 - 1 && gt[k] <= (ta > 0 ? ta : t0 + 1)) g = k
			gap = g ? gms[g] : 0; lost = g ? gl[g] : 0
			printf "  %s #%02d: interruption %6.1f ms, missing %3d (sent before the detach was noticed: %3d) | link down %5.1f, attach %5.1f, context %5.1f ms\n", mode, n, gap, lost, before, down, att, ctx
			print gap > "/dev/stderr"
			print lost >> lostf
			if (lost > before) over++
			sumb += before
		}
		END { print over + 0 > overf; print sumb + 0 > sumbf }' sumbf="$LAB_TMP/$mode.before" overf="$LAB_TMP/$mode.over" lostf="$LAB_TMP/$mode.lost" \
		"$LAB_TMP/$mode.gaps" "$LAB_TMP/$mode.rows" 2>"$LAB_TMP/$mode.int"
	info "$mode: interruption median $(median <"$LAB_TMP/$mode.int") ms, max $(sort -g "$LAB_TMP/$mode.int" | tail -n 1) ms;" \
		"lost per handover median $(median <"$LAB_TMP/$mode.lost"), max $(sort -g "$LAB_TMP/$mode.lost" | tail -n 1)"
	jq -r --arg m "$mode" '"\($m): \(.received) probes received, \(.lost) lost, \(.reordered) reordered, \(.duplicates) duplicated"' \
		"$LAB_TMP/$mode-sink.json" | while read -r l; do info "$l"; done
}

for mode in "${MODES[@]}"; do
	: >"$LAB_TMP/$mode.lost"
	# shellcheck disable=SC2034 # NA0 and R0: read by the eval below
	NA0=$(($(counter maar1 fho_no_answer) + $(counter maar2 fho_no_answer)))
	# shellcheck disable=SC2034
	R0=$(($(counter maar1 fho_"$mode") + $(counter maar2 fho_"$mode")))
	run_mode "$mode"
	check "$mode: $ROUNDS handovers, the CMD named the new MAAR after each" test "$DONE" -eq "$ROUNDS"
	report "$mode"
	check "$mode: no probe reordered or duplicated" jq -e '.reordered == 0 and .duplicates == 0' \
		"$LAB_TMP/$mode-sink.json"
	if [[ $mode == predictive ]]; then
		check "predictive: no probe lost at $PPS/s" jq -e '.lost == 0' "$LAB_TMP/$mode-sink.json"
	else
		# shellcheck disable=SC2016 # expanded by eval, at check time
		check "reactive: probes lost in all ($(jq .lost "$LAB_TMP/$mode-sink.json")) no more than were sent before the previous MAAR noticed the detach ($(cat "$LAB_TMP/$mode.before"))" \
			eval 'test $(jq .lost "$LAB_TMP/$mode-sink.json") -le $(cat "$LAB_TMP/$mode.before")'
		info "reactive: handovers with more probes missing in the gap than sent before the detach was noticed: $(cat "$LAB_TMP/$mode.over")"
	fi
	# shellcheck disable=SC2016 # expanded by eval, at check time
	check "$mode: every handover was a fast one ($ROUNDS $mode, no HI unanswered)" \
		eval 'test $(( $(counter maar1 fho_'"$mode"') + $(counter maar2 fho_'"$mode"') - R0 )) -eq $ROUNDS -a $(( $(counter maar1 fho_no_answer) + $(counter maar2 fho_no_answer) )) -eq $NA0'
done

# shellcheck disable=SC2016 # expanded by eval, at check time
check "no MAAR de-registered the MN at the CMD (a moved MN is the new MAAR's)" \
	eval '! grep -aq "no next S-MAAR within detach grace" "$LAB_TMP"/maar[12].log'
for n in maar1 maar2 maar3 cmd; do
	check "SIGTERM $n: dmmd exits with status 0" dmmd_stop "$n"
done
check "after SIGTERM: no proto 0xd3 route, no rule, no TUN device in any namespace" lab_leftovers

dump_logs_on_failure
save_logs
trap lab_cleanup EXIT
summary "$NAME"
