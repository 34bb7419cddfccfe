#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dmmd as CMD and MAARs (RFC 8885) on lab/dmm.sh's network (the picture is
# there), with one data plane (kernel or user) and one CMD mode (proxy or
# relay):   tests/lab/dmm.sh [kernel|user|bpf] [proxy|relay]
#
#   - the MN, a plain Linux host, starts TCP session A to CN1 at MAAR1,
#     moves to MAAR2 and starts B to CN2, moves to MAAR3 and starts C to
#     CN3; all three deliver every byte, verified, without a reset;
#   - Linux itself picks each session's source address: A's from MAAR1's
#     pool, B's from MAAR2's, C's from MAAR3's (read with ss on the MN);
#   - C crosses no tunnel (capture on MAAR3's transit link, MAAR3's
#     intents), A and B do (IR drops them otherwise);
#   - once A has ended, MAAR1's prefix is released (GAP2-1): the RA carries
#     it with valid lifetime 0, MAAR1 drops its anchored entry and counts
#     the release, the CMD keeps only MAAR2's and MAAR3's prefixes, the
#     MN's address from MAAR1's pool goes;
#   - tshark decodes the CMD's signalling as PBU/PBA with the P flag;
#     dmmctl decode sees the D flag (RFC 8885 §4.1, §4.2) on them;
#   - the CMD lists the three MAARs up, with their load;
#   - every MAAR-CMD pair signs its signalling (RFC 4285 option 9, MAAR2's
#     with HMAC-SHA-256): both ends count verified messages and no refusal,
#     and every Mobility Header on the CMD's link verifies with Python's
#     hmac (tests/lab/mhauth.py).
# Probes at 1000/s from each CN to its session's address time the
# interruption of every session at every handover (figures, not verdicts).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/dmm.sh
. lab/dmm.sh
# shellcheck source=tests/lab/auth-lib.sh
. tests/lab/auth-lib.sh

DP=${1:-kernel}
MODE=${2:-proxy}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "dmm-$DP $MODE"
NAME=dmm-lab
RATE=${TCP_MBPS:-4}
# At 4 Mbit/s (0.5 MB/s): A spans both handovers, B outlasts A's release, C is short.
A_BYTES=${A_BYTES:-5000000}
B_BYTES=${B_BYTES:-10000000}
C_BYTES=${C_BYTES:-1500000}

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
for t in tcpdump tshark jq ss; do
	if ! command -v "$t" >/dev/null; then
		echo "$NAME: $t missing: run make deps as root" >&2
		exit 1
	fi
done

lab_init "dmm-$DP-$MODE"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: CMD ($MODE mode) and three MAARs, $DP data plane"
if ! dmm_up "$DP" "$MODE"; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: the MN registered at MAAR1"
	summary "$NAME"
	exit 1
fi

now() { date +%s.%N; }
# ms between two epoch times
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# start_session X I PORT BYTES: TCP MN -> CN<I> (verified bytes, paced) and,
# for as long as the transfer should last, probes CN<I> -> the session's
# address; sets SRC_X, SINK_X, USINK_X, ADDR_X. The probes stop on their own
# (so that the prefix can go idle) and so does their sink, one second later.
start_session() {
	local d
	d=$(awk -v b="$4" -v r="$RATE" 'BEGIN { printf "%.1f", b * 8 / (r * 1e6) }')
	dmm_session "$1" "$2" "$3" "$4" "$d"
}

# move TO: handover, then time until registered and until a new session can use the new prefix.
declare -A HO_T0=() HO_READY=()
move() {
	local to=$1 t0
	t0=$(now)
	handover "$to" || return 1
	HO_T0[$to]=$t0
	wait_attached "$to" 30 || return 1
	HO_READY[$to]=$(ms "$t0" "$(now)")
}

in_pool() { [[ $1 == "${POOL[$2]}"* ]]; }

# --- captures: the CMD's link (signalling), MAAR3's transit link, the MN's link (RAs)
CAP_SNAPLEN=0 cap_start CAP_CMD cmd ir "$LAB_TMP/cmd.pcap" ip6 proto 135 || exit 1
# MAAR3's transit link is captured at the router's end: the bpf data plane
# hands its packets to the veth's far end (bpf_redirect_peer), past the taps
# of the sending side, and every data plane's packets pass the receiving side.
cap_start CAP_M3 ir maar3 "$LAB_TMP/maar3.pcap" || exit 1
cap_start CAP_MN mn eth0 "$LAB_TMP/mn.pcap" icmp6 || exit 1

# --- A at MAAR1, B at MAAR2, C at MAAR3 -----------------------------------
start_session A 1 5001 "$A_BYTES"
sleep 1.5
move maar2 || FAILED=$((FAILED + 1))
start_session B 2 5002 "$B_BYTES"
sleep 1.5
move maar3 || FAILED=$((FAILED + 1))
start_session C 3 5003 "$C_BYTES"
check "MN registered at MAAR2 and MAAR3 after each handover (preferred address, CMD's serving MAAR)" \
	test -n "${HO_READY[maar2]:-}" -a -n "${HO_READY[maar3]:-}"

check "A's source address $ADDR_A is from MAAR1's pool ${POOL[1]}:/48 (chosen by Linux)" in_pool "$ADDR_A" 1
check "B's source address $ADDR_B is from MAAR2's pool ${POOL[2]}:/48 (chosen by Linux)" in_pool "$ADDR_B" 2
check "C's source address $ADDR_C is from MAAR3's pool ${POOL[3]}:/48 (chosen by Linux)" in_pool "$ADDR_C" 3

# The CMD sees three anchors for the MN, the MAARs with their load.
# shellcheck disable=SC2016 # expanded by eval, at check time
check "CMD: the MN's S-MAAR is MAAR3, anchors MAAR1, MAAR2, MAAR3 with their prefixes" \
	eval 'b=$(cmd_binding); echo "$b"; jq -e --arg m3 "${ADDR[maar3]}" ".peer == \$m3 and (.prefixes | length) == 3" <<<"$b"'
anchors_up() {
	ctl cmd show anchors | tee /dev/stderr | jq -e --argjson want "$(printf '"%s"\n' "${ADDR[maar1]}" "${ADDR[maar2]}" "${ADDR[maar3]}" | jq -s 'sort')" \
		'(map(select(.state == "up" and (."max-sessions" // 0) > 0 and ."sessions-in-use" != null)) | map(.address) | sort) == $want'
}
check "CMD: show anchors lists MAAR1..3 up, with their load (sessions in use, maximum)" anchors_up

# MAAR3's intents: its own prefix is delivered, never encapsulated.
own_plain() {
	local p="${POOL[3]}:/64"
	ctl maar3 show intents | tee /dev/stderr | jq -e --arg p "$p" \
		'(map(select(.prefix == $p and (.action == "encap" or .action == "decap"))) | length == 0)
		 and (map(select(.prefix == $p and .action == "deliver")) | length == 1)
		 and (map(select(.action == "encap")) | length == 2)'
}
check "MAAR3: no tunnel intent for its own prefix; tunnels for MAAR1's and MAAR2's" own_plain

# --- the sessions end ------------------------------------------------------
finish() {
	local x=$1 src sink rc
	src=SRC_$x sink=SINK_$x
	wait "${!src}"
	rc=$?
	printf -v "END_$x" %s "$(now)"
	wait "${!sink}"
	printf -v "RC_$x" %s "$rc,$?"
}
finish A
finish C
sess_ok() {
	local x=$1 bytes=$2 rc=RC_$1
	cat "$LAB_TMP/source-$x.json" "$LAB_TMP/sink-$x.json"
	[[ ${!rc} == 0,0 ]] && jq -e '.ok and .resets == 0' "$LAB_TMP/source-$x.json" >/dev/null &&
		jq -e --argjson n "$bytes" '.ok and .resets == 0 and .bytes == $n' "$LAB_TMP/sink-$x.json" >/dev/null
}
check "session C (new at MAAR3): all $C_BYTES bytes received and verified, no reset" sess_ok C "$C_BYTES"
check "session A (MAAR1 -> MAAR2 -> MAAR3): all $A_BYTES bytes received and verified, no reset" sess_ok A "$A_BYTES"

# --- A's prefix goes idle and is released (GAP2-1) -----------------------
P1="${POOL[1]}:/64"
anchored_at_maar1() {
	ctl maar1 show bindings | jq -e --arg p "$P1" 'map(select(.kind == "anchored" and (.prefixes | index($p)))) | length > 0'
}
REL_BOUND=$((DMM_IDLE_MS + DMM_IDLE_CHECK_MS + DMM_RA_S * 1000 + 2000))
released() {
	wait_for $((REL_BOUND / 1000 + 5)) eval '! anchored_at_maar1'
}
released
T_REL=$(now)
REL_MS=$(ms "$END_A" "$T_REL")
check "MAAR1 drops A's anchored prefix $P1 within idle-release + idle-check + RA interval + 2 s ($REL_MS ms <= $REL_BOUND ms)" \
	test "$REL_MS" -le "$REL_BOUND"
check "MAAR1 counts the release and the prefix is back in its pool (dmm.anchors-released >= 1, no anchored entry)" \
	eval "ctl maar1 show stats | jq -c .dmm | tee /dev/stderr | jq -e '.\"anchors-released\" >= 1' && ! anchored_at_maar1"
check "MAAR3 (S-MAAR) counts the release (dmm.prefixes-released >= 1)" \
	eval "ctl maar3 show stats | jq -c .dmm | tee /dev/stderr | jq -e '.\"prefixes-released\" >= 1'"
# shellcheck disable=SC2016 # expanded by eval, at check time
check "CMD: the MN keeps only MAAR2's and MAAR3's prefixes (B is still running)" \
	eval 'b=$(cmd_binding); echo "$b"; jq -e --arg p2 "${POOL[2]}:/64" --arg p3 "${POOL[3]}:/64" "(.prefixes | sort) == ([\$p2, \$p3] | sort)" <<<"$b"'
check "CMD: MAAR1's load is back to 0 sessions in use" \
	eval "ctl cmd show anchors | jq -e --arg a ${ADDR[maar1]} '.[] | select(.address == \$a) | .\"sessions-in-use\" == 0'"

# The MN's address from MAAR1's pool: the RA says valid lifetime 0; Linux
# keeps an address whose remaining lifetime is below 2 hours until it runs
# out (RFC 4862 §5.5.3 e), so it goes at most one MAAR lifetime later.
ADDR_GONE_BOUND=$((REL_BOUND + DMM_LIFETIME_S * 1000 + 2000))
no_addr1() { [[ -z $(mn_addr 1) ]]; }
wait_for $((ADDR_GONE_BOUND / 1000 + 3)) no_addr1
T_GONE=$(now)
GONE_MS=$(ms "$END_A" "$T_GONE")
check "the MN's address $ADDR_A is gone $GONE_MS ms after A ended (bound: release + lifetime $DMM_LIFETIME_S s + 2 s = $ADDR_GONE_BOUND ms)" \
	eval "test -z \"\$(mn_addr 1)\" && test $GONE_MS -le $ADDR_GONE_BOUND"
check "B's address $ADDR_B is still there (deprecated, B runs)" test -n "$(mn_addr 2)"

finish B
check "session B (MAAR2 -> MAAR3): all $B_BYTES bytes received and verified, no reset" sess_ok B "$B_BYTES"
for x in A B C; do
	usink=USINK_$x
	wait "${!usink}" 2>/dev/null
done

# --- authenticated signalling (RFC 4285) ---------------------------------------
check "CMD verified the signalling of MAAR1, MAAR2 and MAAR3, refused none" auth_clean cmd maar1 maar2 maar3
check "MAAR1, MAAR2 and MAAR3 verified the CMD's, refused none" \
	eval 'auth_clean maar1 cmd && auth_clean maar2 cmd && auth_clean maar3 cmd'
check "MAAR2 and the CMD sign with HMAC-SHA-256-128" eval 'auth_alg maar2 cmd hmac-sha256-128 && auth_alg cmd maar2 hmac-sha256-128'

sleep 1.2 # tcpdump hands packets over within its 1 s buffer timeout
cap_stop "$CAP_CMD"
cap_stop "$CAP_M3"
cap_stop "$CAP_MN"
check "every Mobility Header on the CMD's link carries option 9, verified by Python's hmac" \
	auth_verify_pcap "$LAB_TMP/cmd.pcap"

# --- what the wire shows ---------------------------------------------------
check "RA on the MN's link: MAAR1's prefix with valid lifetime 0 after A ended" \
	eval "tshark -r $LAB_TMP/mn.pcap -Y 'icmpv6.type == 134 && icmpv6.opt.prefix == ${POOL[1]}: && icmpv6.opt.prefix.valid_lifetime == 0' 2>/dev/null | grep -m1 'Router Advertisement'"
check "RA on the MN's link: old prefixes deprecated (preferred 0, valid > 0)" \
	eval "tshark -r $LAB_TMP/mn.pcap -Y 'icmpv6.type == 134 && icmpv6.opt.prefix == ${POOL[2]}: && icmpv6.opt.prefix.preferred_lifetime == 0 && icmpv6.opt.prefix.valid_lifetime > 0' 2>/dev/null | grep -m1 'Router Advertisement'"
TUN_C=$(tshark -r "$LAB_TMP/maar3.pcap" -Y "ipv6.nxt == 41 && ipv6.addr == $ADDR_C" 2>/dev/null | wc -l)
PLAIN_C=$(tshark -r "$LAB_TMP/maar3.pcap" -Y "ipv6.nxt == 6 && ipv6.src == $ADDR_C && !(ipv6.nxt == 41)" 2>/dev/null | wc -l)
check "MAAR3's transit link: C's packets are plain ($PLAIN_C), none in IPv6-in-IPv6 ($TUN_C)" \
	test "$TUN_C" -eq 0 -a "$PLAIN_C" -gt 100
TUN_A=$(tshark -r "$LAB_TMP/maar3.pcap" -Y "ipv6.nxt == 41 && ipv6.src == ${ADDR[maar3]} && ipv6.dst == ${ADDR[maar1]} && ipv6.src == $ADDR_A" 2>/dev/null | wc -l)
check "MAAR3's transit link: A's packets go IPv6-in-IPv6 to MAAR1 ($TUN_A)" test "$TUN_A" -gt 100

check "tshark: PBU to the CMD (Binding Update with the P flag)" \
	eval "tshark -r $LAB_TMP/cmd.pcap -Y 'mip6.mhtype == 5 && mip6.bu.p_flag == 1 && ipv6.dst == ${ADDR[cmd]}' 2>/dev/null | grep -m1 'Binding Update'"
check "tshark: PBA from the CMD (Binding Acknowledgement with the P flag, status 0)" \
	eval "tshark -r $LAB_TMP/cmd.pcap -Y 'mip6.mhtype == 6 && mip6.ba.p_flag == 1 && mip6.ba.status == 0 && ipv6.src == ${ADDR[cmd]}' 2>/dev/null | grep -m1 'Binding Acknowledgement'"
"$DMMCTL" decode --pcap "$LAB_TMP/cmd.pcap" >"$LAB_TMP/cmd-decoded.json" 2>&1
dflag() {
	# BU and BA alike: "flags" lists the bits set by name.
	jq -s -e --arg t "$1" '[.[] | select(.type == $t and (.flags | index("P")) and (.flags | index("D")))] | length > 0' \
		"$LAB_TMP/cmd-decoded.json" || head -n 3 "$LAB_TMP/cmd-decoded.json"
}
check "dmmctl decode: the PBUs carry the D flag" dflag BU
check "dmmctl decode: the PBAs carry the D flag" dflag BA

# --- figures: the interruption of each session at each handover -----------
{
	for to in maar2 maar3; do
		t0=${HO_T0[$to]:-}
		[[ -n $t0 ]] || continue
		# The MAAR logs the attach (ms wall clock) and the first registration
		# after it.
		att=$(sed -n 's/^\([0-9:.]*\) .* attached on mn1.*/\1/p' "$LAB_TMP/$to.log" | tail -n 1)
		att=$(ms "$t0" "$(date -d "$(date +%F) $att" +%s.%N 2>/dev/null || echo "$t0")")
		reg=$(sed -n 's/.* registered \([0-9]*\) us after attach.*/\1/p' "$LAB_TMP/$to.log" | tail -n 1)
		reg=$(awk -v u="${reg:-0}" 'BEGIN { printf "%.1f", u / 1000 }')
		echo "handover to $to: new prefix usable by new sessions after ${HO_READY[$to]} ms" \
			"(link moved -> attach $att ms, attach -> PBA $reg ms, then RA, SLAAC and DAD)"
		for x in A B; do
			[[ -s $LAB_TMP/probe-$x.json ]] || continue
			# The probe gap that begins within 1 s before the link moved (or right after).
			jq -r --arg x "$x" --argjson t0 "$t0" '[.gaps[] | select(.t > $t0 - 1 and .t < $t0 + 2)] | max_by(.ms) // empty
				| "  old session \($x) (through the tunnel): interruption \(.ms | floor) ms, \(.lost) probes lost"' \
				"$LAB_TMP/probe-$x.json"
		done
	done
	for x in A B C; do
		[[ -s $LAB_TMP/probe-$x.json ]] &&
			jq -r --arg x "$x" '"probes to \($x): \(.received) received, \(.lost) lost, \(.gaps | length) gaps > \(."gap-threshold-ms") ms"' \
				"$LAB_TMP/probe-$x.json"
	done
} >"$LAB_TMP/figures"
while read -r l; do info "$l"; done <"$LAB_TMP/figures"
info "A's prefix released $REL_MS ms after A ended; its address gone from the MN after $GONE_MS ms"

# --- SIGTERM leaves nothing behind -----------------------------------------
for n in maar1 maar2 maar3 cmd; do
	check "SIGTERM $n: dmmd exits with status 0" dmmd_stop "$n"
done
check "after SIGTERM: no proto 0xd3 route, no rule, no tunnel device on the CMD or a MAAR" lab_leftovers
[[ $DP == bpf ]] && check "after SIGTERM: no clsact qdisc or BPF filter in any namespace" lab_bpf_leftovers

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
