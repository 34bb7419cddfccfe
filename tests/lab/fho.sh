#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RFC 5949 fast handover between MAGs on RFC 7429 Figure 4 (lab/pmip-fig4.sh
# has the picture), with one data plane set-up: kernel, user, mixed (MAGs
# kernel, LMAs user), bpf or mixed-bpf (MAGs bpf, LMAs user). MN1 walks MAG1 -> MAG2 -> MAG3 -> MAG1 ... while CN1
# sends it 1000 UDP probes a second, in two modes, FHO_ROUNDS handovers each:
#
#   predictive  dmmctl handover (the access network's handover indication)
#               at the previous MAG first: HI/HAck with the context before
#               the link moves; the previous MAG tunnels the downlink to the
#               new one from the moment MN1 leaves, the new one buffers it
#               until MN1 is there, then registers; checked: no probe lost,
#               none reordered;
#   reactive    the link just moves: the previous MAG holds MN1's downlink,
#               the new MAG asks its neighbours (HI with a Context Request),
#               gets the context and the held probes, then registers; checked:
#               none reordered, and no handover loses more probes than CN1
#               sent between the move and the previous MAG noticing it (from
#               its log); both figures are printed.
#
# Each handover's interruption (the probes' gap) is printed split into link
# down time (the move until both ends are up again: the new MAG's carrier-up,
# and the host side's "state UP", after which its kernel lets it send), attach detection
# (carrier-up until the host's first frame), context transfer (HI -> HAck;
# predictive: before the move), registration (attach -> PBA at the new MAG;
# predictive: off the path, the downlink comes through the previous MAG
# meanwhile) and buffer flush (attach until the first probe after the gap).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

DP=${1:-user}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "fho-$DP"
NAME="fho-$DP"
ROUNDS=${FHO_ROUNDS:-20}
PPS=1000
TCP_PPS=200
BUF_PACKETS=1000
# FHO_EARLY=false: the new MAG registers when the MN arrives (RFC 5949 Figure 2 step k, the default
# of the YANG model) instead of at the HI.
EARLY=${FHO_EARLY:-true}

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi

# Every MAG: fast handover on, reactive too, the other two MAGs as neighbours; predictive with
# early registration (the issue's "the new MAG registers before the host arrives": the LMA takes
# the MN's uplink from the new MAG as soon as it is there).
eval "fig4_$(declare -f lab_config)"
lab_config() {
	local node=$1 nb
	if [[ $node != mag* ]]; then
		fig4_lab_config "$@"
		return
	fi
	nb=$(for m in mag1 mag2 mag3; do [[ $m != "$node" ]] && echo "\"${ADDR[$m]}\""; done | paste -sd,)
	# buffer-packets: a second of probes, more than the slowest move of a loaded machine.
	fig4_lab_config "$@" | jq --argjson nb "[$nb]" --argjson bp "$BUF_PACKETS" --argjson early "$EARLY" \
		'."dmm:node".mag["fast-handover"] = {"enabled": true, "reactive": true, "hold": 300,
		 "hi-wait": 500, "early-registration": $early, "neighbours": $nb} | ."dmm:node"["buffer-packets"] = $bp'
}

lab_init "fho-$DP"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: RFC 5949 fast handover, $DP data plane, $ROUNDS handovers per mode (early registration: $EARLY)"
lab_up_or_exit "$DP"

# The monotonic clock dmmd logs ("mono N us") against the wall clock of this script.
MONO_OFF=$(/usr/bin/python3 -c 'import time; print("%.6f" % (time.time() - time.clock_gettime(time.CLOCK_MONOTONIC)))')
MN1=$(mn_addr mn1)
MNID="eui48:${MN_MAC[mn1]}"
declare -A NEXT=([mag1]=mag2 [mag2]=mag3 [mag3]=mag1)
DONE=0

# The last "mono N us" of a log line matching pattern in NODE's log, as wall-clock seconds.
mono_wall() {
	grep -a "$2" "$LAB_TMP/$1.log" | tail -n 1 | sed -n 's/.*(mono \([0-9]*\) us.*/\1/p' |
		awk -v off="$MONO_OFF" '{ printf "%.6f", $1 / 1e6 + off }'
}

# A role counter of NODE's show stats ("dmm" object).
counter() {
	ctl "$1" show stats | jq -r --arg k "$2" '.dmm[$k] // 0'
}

# A log line's time of day (HH:MM:SS.mmm, UTC) in seconds.
tod() { cut -d' ' -f1 | awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }

# run_mode MODE: ROUNDS handovers of MN1 with probes (DONE: how many completed); a row of
# figures per handover in $LAB_TMP/MODE.rows.
run_mode() {
	local mode=$1 i from to t0 tc ta ctx reg td th tw
	DONE=0
	: >"$LAB_TMP/$mode.rows"
	# The host's side of the link: the kernel lets it send only once its own carrier event is
	# processed (linkwatch, "state UP"), which a loaded machine delays.
	lab_bg MON_PID mn1 ip -ts monitor link >"$LAB_TMP/$mode-mnlink.txt"
	lab_bg USINK_PID mn1 "$TRAFFIC" udp-sink --port 5002 --duration 120 --timeout 120 --gap 3 \
		>"$LAB_TMP/$mode-sink.json"
	# A TCP echo session beside the probes: CN1 sends TCP_PPS small records a second, MN1 echoes them.
	lab_bg TECHO_PID mn1 "$TRAFFIC" tcp-echo --port 5003 --timeout 10 >"$LAB_TMP/$mode-echo.json"
	sleep 0.2
	lab_bg USRC_PID cn1 "$TRAFFIC" udp-source --to "$MN1" --port 5002 --pps "$PPS" --duration 120 \
		>"$LAB_TMP/$mode-source.json"
	lab_bg TPING_PID cn1 "$TRAFFIC" tcp-ping --to "$MN1" --port 5003 --pps "$TCP_PPS" --duration 120 \
		--gap 5 >"$LAB_TMP/$mode-tcp.json"
	sleep 0.5
	for ((i = 0; i < ROUNDS; i++)); do
		from=${MN_AT[mn1]}
		to=${NEXT[$from]}
		th=0 tw=0
		if [[ $mode == predictive ]]; then
			# The access network's handover indication; the MN moves as soon as the
			# network side is ready (the HAck, RFC 5949 §4.1 step g): the move is
			# exec'd the moment dmmd answers (t0), no process exit in between.
			t0=$("$TRAFFIC" ctl-then "$LAB_TMP/$from.sock" "handover $MNID to ${ADDR[$to]} wait 2000" \
				-- ip -n "${NS[$from]}" link set mn1 netns "${NS[$to]}") || {
				lab_log "handover command refused at $from, or no HAck from $to, or the move failed"
				break
			}
		else
			# The move itself, with nothing forked before it (lab/pmip-fig4.sh's handover, timed).
			t0=$EPOCHREALTIME
			ip -n "${NS[$from]}" link set mn1 netns "${NS[$to]}" || break
		fi
		MN_AT[mn1]=$to
		echo "$t0 mn1 $from $to" >>"$LAB_TMP/handovers"
		if [[ $mode == predictive ]]; then
			th=$(grep -a 'P_HI_SENT -> P_FORWARD' "$LAB_TMP/$from.log" | tail -n 1 | tod)
			tw=$(mono_wall "$from" "the MN may move")
		fi
		wait_registered mn1 10 || break
		sleep 0.15
		tc=$(mono_wall "$to" "carrier up")
		ta=$(mono_wall "$to" "attached on")
		if [[ $mode == predictive ]]; then
			ctx=$(counter "$from" fho_last_context_us)
		else
			ctx=$(counter "$to" fho_last_context_us)
		fi
		reg=$(ctl "$to" show bindings | jq -r --arg id "$MNID" '[.[] | select(."mn-id" == $id)][0]."registration-ms" // 0')
		# When the previous MAG noticed the detach: its log line's time of day (ms).
		td=$(grep -a "detached from mn1" "$LAB_TMP/$from.log" | tail -n 1 | tod)
		echo "$t0 ${tc:-0} ${ta:-0} $ctx $reg ${td:-0} ${th:-0} ${tw:-0}" >>"$LAB_TMP/$mode.rows"
		DONE=$((DONE + 1))
	done
	sleep 0.3
	kill "$USRC_PID" 2>/dev/null
	wait "$USRC_PID" 2>/dev/null
	kill -INT "$TPING_PID" "$USINK_PID" 2>/dev/null
	wait "$TPING_PID" "$USINK_PID" 2>/dev/null
	wait "$TECHO_PID" 2>/dev/null
	kill "$MON_PID" 2>/dev/null
	wait "$MON_PID" 2>/dev/null
}

# report MODE: per handover the split of the interruption, then the median and max.
report() {
	local mode=$1 rtt
	jq -r '.gaps[] | "\(.t) \(.ms) \(.lost)"' "$LAB_TMP/$mode-sink.json" >"$LAB_TMP/$mode.gaps"
	jq -r '.stalls[]? | "\(.t) \(.ms)"' "$LAB_TMP/$mode-tcp.json" >"$LAB_TMP/$mode.stalls" 2>/dev/null
	rtt=$(jq -r '."rtt-ms-median" // 0' "$LAB_TMP/$mode-tcp.json" 2>/dev/null)
	# the host side's "state UP" events, seconds of the day (UTC, as the log lines)
	sed -n 's/^\[[0-9-]*T\([0-9:.]*\)\] [0-9]*: eth0.* state UP .*/\1/p' "$LAB_TMP/$mode-mnlink.txt" |
		awk -F: '{ printf "%.6f\n", $1 * 3600 + $2 * 60 + $3 }' >"$LAB_TMP/$mode.hostup"
	awk -v mode="$mode" -v rtt="${rtt:-0}" '
		FILENAME ~ /hostup$/ { hu[++nh] = $1; next }
		FILENAME ~ /stalls$/ { st[++ns] = $1; sms[ns] = $2; next }
		FILENAME ~ /gaps$/ { gt[FNR] = $1; gms[FNR] = $2; gl[FNR] = $3; ng = FNR; next }
		{ row[++n] = $0 }
		END {
			# each handover'"'"'s TCP stall: the last one that began within 1 s before the move ended
			for (i = 1; i <= n; i++) {
				split(row[i], f, " "); t0 = f[1]; ta = f[3]; ts[i] = 0
				for (k = 1; k <= ns; k++) if (st[k] >= t0 - 1 && st[k] <= (ta > 0 ? ta : t0 + 1)) ts[i] = k
				if (ts[i]) mine[ts[i]] = 1
			}
			# the machine'"'"'s own: the longest stall of the session that belongs to no handover
			noise = 0; for (k = 1; k <= ns; k++) if (!mine[k] && sms[k] > noise) noise = sms[k]
			for (i = 1; i <= n; i++) one(i)
			print over + 0 > over_file; print tover + 0 > tover_file
			printf "%.1f\n", noise > noise_file
		}
		function one(i,    f, t0, tc, ta, ctx, reg, td, th, tw, sod, lead, lab, before, down, att, g, k, gap, lost, flush, tst, bound, hup, hostd) {
			split(row[i], f, " ")
			t0 = f[1]; tc = f[2]; ta = f[3]; ctx = f[4] / 1000; reg = f[5]; td = f[6]; th = f[7]; tw = f[8]
			# probes sent between the move and the previous MAG noticing it (log times are UTC
			# with ms, so 2 ms of slack)
			sod = t0 - int(t0 / 86400) * 86400
			# predictive: from the HAck (the forwarding begins) to the move
			lead = th > 0 ? (sod - th) * 1000 : 0
			# of it, the lab part: from the answer to dmmctl (dmmd logs it in us) to the move
			lab = tw > 0 ? (t0 - tw) * 1000 : 0
			before = td > 0 ? int((td - sod + 0.002) * pps) : -1; if (before < 0) before = 0
			# the link is down until both ends are up: carrier at the new MAG, and the host side
			hup = 0; for (k = 1; k <= nh; k++) if (!hup && hu[k] >= sod) hup = hu[k]
			hostd = hup > 0 ? (hup - sod) * 1000 : -1
			down = tc > 0 ? (tc - t0) * 1000 : -1; att = (tc > 0 && ta > 0) ? (ta - tc) * 1000 : -1
			if (hostd > down) down = hostd
			# the gap that covers this handover: it began within 1 s before the move ended
			g = 0; for (k = 1; k <= ng; k++) if (gt[k] >= t0 - 1 && gt[k] <= (ta > 0 ? ta : t0 + 1)) g = k
			gap = g ? gms[g] : 0; lost = g ? gl[g] : 0
			flush = (g && ta > 0) ? (gt[g] + gms[g] / 1000 - ta) * 1000 : -1
			printf "  %s #%02d: interruption %6.1f ms, lost %3d (sent before the detach was noticed: %3d) | HAck to move %5.1f (lab %4.1f), link down %5.1f (host side %5.1f), attach %5.1f, context %5.1f, registration %5.1f, flush %5.1f ms\n", mode, i, gap, lost, before, lead, lab, down, hostd, att, ctx, reg, flush
			print gap > "/dev/stderr"
			if (lost > before) over++
			# the stall of the TCP session over this handover, against the down time of the link + 1 RTT
			# + 5 ms, + the longest stall of this run outside any handover (what the machine itself costs)
			tst = ts[i] ? sms[ts[i]] : 0
			bound = down + rtt + 5 + noise
			printf "  %s #%02d: TCP stall %6.1f ms (bound: link down %5.1f + RTT %4.1f + 5 + outside handovers %4.1f = %5.1f ms)%s\n", mode, i, tst, down, rtt, noise, bound, (tst > bound ? "  OVER" : "")
			if (tst > bound) tover++
			printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f\n", gap, lead, down, att, ctx, reg, flush, tst > parts_file
		}' over_file="$LAB_TMP/$mode.over" tover_file="$LAB_TMP/$mode.tover" noise_file="$LAB_TMP/$mode.noise" parts_file="$LAB_TMP/$mode.parts" pps="$PPS" "$LAB_TMP/$mode.hostup" "$LAB_TMP/$mode.stalls" "$LAB_TMP/$mode.gaps" "$LAB_TMP/$mode.rows" 2>"$LAB_TMP/$mode.int"
	info "$mode: interruption median $(median <"$LAB_TMP/$mode.int") ms, max $(sort -g "$LAB_TMP/$mode.int" | tail -n 1) ms"
	# The median and max of each part over the handovers (ms).
	local k parts="" names=(interruption lead "link down" attach context registration flush "TCP stall")
	for k in 1 2 3 4 5 6 7 8; do
		parts="$parts${parts:+, }${names[k - 1]} $(cut -d' ' -f"$k" "$LAB_TMP/$mode.parts" | median)/$(cut -d' ' -f"$k" "$LAB_TMP/$mode.parts" | sort -g | tail -n 1)"
	done
	info "$mode: median/max ms: $parts"
	jq -r --arg m "$mode" '"\($m): \(.received) probes received, \(.lost) lost, \(.reordered) reordered, \(.duplicates) duplicated"' \
		"$LAB_TMP/$mode-sink.json" | while read -r l; do info "$l"; done
	# Where reordered probes came: after which move, how long after it and after the attach.
	jq -r '.reorders[]? | "\(.t) \(.seq) \(.behind)"' "$LAB_TMP/$mode-sink.json" |
		awk -v mode="$mode" 'NR == FNR { t0[NR] = $1; ta[NR] = $3; n = NR; next }
			{ h = 0; for (k = 1; k <= n; k++) if (t0[k] <= $1) h = k
			  if (h) printf "  %s: probe %d reordered (%d behind) %.1f ms after move #%02d, %.1f ms after the attach\n", mode, $2, $3, ($1 - t0[h]) * 1000, h, ($1 - ta[h]) * 1000 }' \
			"$LAB_TMP/$mode.rows" - | head -n 20
	jq -r --arg m "$mode" '"\($m): TCP echo \(.sent) records, \(.echoed) echoed, RTT median \(."rtt-ms-median") ms, longest stall \(."max-stall-ms") ms"' \
		"$LAB_TMP/$mode-tcp.json" 2>/dev/null | while read -r l; do info "$l"; done
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); else printf "-" }'; }

NA0=$(counter mag1 fho_no_answer)
run_mode predictive
check "predictive: $ROUNDS handovers, MN1 registered at the new MAG after each" test "$DONE" -eq "$ROUNDS"
report predictive
check "predictive: no probe lost at $PPS/s" jq -e '.lost == 0' "$LAB_TMP/predictive-sink.json"
check "predictive: no probe reordered or duplicated" jq -e '.reordered == 0 and .duplicates == 0' \
	"$LAB_TMP/predictive-sink.json"
check "predictive: every HI answered in time (no fallback)" test "$(counter mag1 fho_no_answer)" -eq "$NA0"
check "predictive: the TCP session never stalled longer than the link's down time + 1 RTT + 5 ms (+ its longest stall outside handovers: $(cat "$LAB_TMP/predictive.noise") ms)" \
	test "$(cat "$LAB_TMP/predictive.tover")" -eq 0

run_mode reactive
check "reactive: $ROUNDS handovers, MN1 registered at the new MAG after each" test "$DONE" -eq "$ROUNDS"
report reactive
check "reactive: no probe reordered or duplicated" jq -e '.reordered == 0 and .duplicates == 0' \
	"$LAB_TMP/reactive-sink.json"
check "reactive: no handover lost more probes than were sent before the previous MAG noticed the detach" \
	test "$(cat "$LAB_TMP/reactive.over")" -eq 0
# shellcheck disable=SC2016 # expanded by eval, at check time
check "reactive: the new MAGs got the context from the previous one ($ROUNDS times)" \
	eval 'test $(( $(counter mag1 fho_reactive) + $(counter mag2 fho_reactive) + $(counter mag3 fho_reactive) )) -eq $ROUNDS'

# The buffer's bound under a flood: a handover announced but MN1 staying where it is, so the new
# MAG buffers the whole downlink, while CN1 sends FLOOD_PPS large packets; the new MAG's dmmd
# must not grow by more than the bound (buffer-packets of one pool packet each, 2112 bytes with
# its header; 1 MiB of slack for everything else).
FLOOD_PPS=5000
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/${DPID[$1]}/status"; }
flood() {
	local from=${MN_AT[mn1]} to=${NEXT[${MN_AT[mn1]}]} r0 peak r i bound
	r0=$(rss_kb "$to")
	ctl "$from" handover "$MNID" --to "${ADDR[$to]}" --wait 2000 >/dev/null || return 1
	lab_bg FSRC_PID cn1 "$TRAFFIC" udp-source --to "$MN1" --port 5009 --pps "$FLOOD_PPS" --duration 1 \
		--size 1000 >/dev/null
	peak=$r0
	for ((i = 0; i < 30; i++)); do
		r=$(rss_kb "$to")
		((r > peak)) && peak=$r
		sleep 0.05
	done
	wait "$FSRC_PID" 2>/dev/null
	bound=$(((BUF_PACKETS * 2112 + 1048576) / 1024))
	ctl "$to" show stats | jq -c '.buffer' >"$LAB_TMP/flood-buffer.json"
	echo "flood: $FLOOD_PPS/s of 1000-byte packets for 1 s to MN1 held at $to: dmmd RSS $r0 -> peak $peak kB" \
		"(+$((peak - r0)) kB, bound +$bound kB); buffer $(cat "$LAB_TMP/flood-buffer.json")" >"$LAB_TMP/flood.txt"
	((peak - r0 <= bound)) && jq -e '."dropped-over-bound" > 0 and ."held-peak" <= ."limit-packets"' \
		"$LAB_TMP/flood-buffer.json" >/dev/null
}
check "buffer bound: a flood to a held MN leaves dmmd's memory within the configured bound" flood
[[ -s $LAB_TMP/flood.txt ]] && info "$(cat "$LAB_TMP/flood.txt")"

for n in mag1 mag2 mag3 lma1 lma2; do
	check "SIGTERM $n: dmmd exits with status 0" dmmd_stop "$n"
done
check "after SIGTERM: no proto 0xd3 route, no rule, no TUN device in any namespace" lab_leftovers

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
