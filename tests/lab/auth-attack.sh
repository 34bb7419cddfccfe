#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Forged and replayed signalling against a live LMA whose MAGs authenticate
# with RFC 4285 option 9 (lab/pmip-fig4.sh, LMA1's timestamp window small):
#
#   MN1 ── MAG1 ──── IR ════ LMA1        the attacker sits on IR and sends
#          MAG2 ─────┘  ↑                on its link to LMA1, with the MAGs'
#                  scapy (auth-attack.py) own source addresses
#
# MN1 moves MAG1 -> MAG2 -> MAG1 while a capture on IR's link to LMA1 keeps
# both registrations (P_old from MAG2, P_new from MAG1). Then, while a TCP
# session MN1 -> CN1 runs:
#   - P_old and P_new replayed inside the window: refused with
#     TIMESTAMP_LOWER_THAN_PREV_ACCEPTED (157, RFC 5213 §5.5 rule 8; P_new's
#     equal timestamp: 156 or 157, rules 6, 8 and 9), in an authenticated PBA
#     that carries the LMA's Timestamp (RFC 4285 §5.1.1, RFC 5213 §5.5);
#   - a de-registration of MN1 from MAG1's address without option 9: no
#     answer (RFC 4285 §5: silently discarded);
#   - the same signed with a wrong key, with one bit of the authenticator
#     flipped, with the authenticator cut to 8 octets, under an unknown SPI:
#     PBA status 146 MIPV6-AUTH-FAIL (RFC 4285 §5.1.1) with MN1's MN-ID and
#     the PBU's sequence number;
#   - P_old and P_new replayed once older than the window: 156
#     TIMESTAMP_MISMATCH (rule 9);
#   - MN1's binding at LMA1 (MAG, prefix, state, handovers, expiry) is the
#     same as before; the TCP session delivers every byte without a reset;
#   - LMA1 counts the failures for MAG1, and every PBU, PBA and Heartbeat
#     on the link verifies with Python's hmac (tests/lab/mhauth.py);
#   - a PBU the attacker signs with the right key is accepted (status 0) in
#     a PBA that verifies: the oracle and dmmd compute the same thing.
set -u
cd "$(dirname "$0")/../.." || exit 1
# The LMA's timestamp window and the associations' replay window: small, so
# that "after the window" comes soon.
LAB_TS_WINDOW_MS=${LAB_TS_WINDOW_MS:-6000}
LAB_REPLAY_WINDOW=${LAB_REPLAY_WINDOW:-6}
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh
# shellcheck source=tests/lab/auth-lib.sh
. tests/lab/auth-lib.sh

NAME="auth-attack"
PY=/usr/bin/python3
TCP_BYTES=${TCP_BYTES:-8000000}
TCP_MBPS=${TCP_MBPS:-2}

auth_lab_start lab-auth-attack "forged and replayed PBUs on the MAG-LMA path"

# MN1's binding at LMA1: what must not move, and its expiry (now + lifetime left).
binding_state() {
	lma_binding mn1 | jq -S -c --argjson now "$(date +%s.%N)" \
		'{"mn-id", peer, prefixes, state, handovers, expires: ($now + ."lifetime-left")}'
}
same_binding() {
	local a=$1 b=$2
	echo "before: $a"
	echo "after:  $b"
	[[ -n $a && -n $b ]] || return 1
	[[ $(jq -c 'del(.expires)' <<<"$a") == "$(jq -c 'del(.expires)' <<<"$b")" ]] || return 1
	# The lifetime runs on, not restarted: the same expiry within a second.
	jq -e -n --argjson a "$a" --argjson b "$b" '($a.expires - $b.expires) | fabs < 1' >/dev/null
}

# --- a TCP session MN1 -> CN1 through all that follows -----------------------
lab_bg SINK_PID cn1 "$TRAFFIC" tcp-sink --port 5001 --bytes "$TCP_BYTES" --timeout 90 >"$LAB_TMP/tcp-sink.json"
sleep 0.3
lab_bg SRC_PID mn1 "$TRAFFIC" tcp-source --to "${ADDR[cn1]}" --port 5001 --bytes "$TCP_BYTES" --rate "$TCP_MBPS" \
	--timeout 90 >"$LAB_TMP/tcp-source.json"

# --- the attacker's configuration ----------------------------------------------
pair=$(lab_pair mag1 lma1)
IFS=: read -r SPI _ _ <<<"${LAB_SA[$pair]}"
sas="{}"
for m in mag1 mag2 mag3; do
	IFS=: read -r s a f <<<"${LAB_SA[$(lab_pair "$m" lma1)]}"
	sas=$(jq -c --arg s "$s" --arg a "$a" --arg f "$f" '. + {($s): [$a, $f]}' <<<"$sas")
done
jq -n --arg lma "${ADDR[lma1]}" --arg mag "${ADDR[mag1]}" --arg old "${ADDR[mag2]}" --arg mac "${MN_MAC[mn1]}" \
	--arg pcap "$LAB_TMP/reg.pcap" --argjson sas "$sas" --argjson spi "$SPI" --argjson w "$LAB_TS_WINDOW_MS" \
	--argjson rw "$LAB_REPLAY_WINDOW" --arg go "$LAB_TMP/go" --arg ready "$LAB_TMP/ready" \
	'{iface: "lma1", lma: $lma, mag: $mag, mag_old: $old, mac: $mac, pcap: $pcap, sas: $sas, spi: $spi,
	  window_ms: $w, after_s: ([$w / 1000, $rw] | max + 1.5), go: $go, ready: $ready}' >"$LAB_TMP/attack.json"

# --- both registrations captured on IR's link to LMA1 ------------------------
# The attacker starts (and listens) first, and strikes once MN1 is back at
# MAG1, so that MAG2's PBU is still inside the window.
lab_bg ATT_PID ir timeout 120 "$PY" tests/lab/auth-attack.py attack "$LAB_TMP/attack.json" \
	>"$LAB_TMP/attack.out" 2>"$LAB_TMP/attack.err"
wait_for 30 test -e "$LAB_TMP/ready"
CAP_SNAPLEN=0 cap_start CAP_PID ir lma1 "$LAB_TMP/reg.pcap" ip6 proto 135 || exit 1
ho=0
handover mn1 mag1 mag2 && wait_registered mn1 30 && ho=$((ho + 1))
handover mn1 mag2 mag1 && wait_registered mn1 30 && ho=$((ho + 1))
sleep 1.2 # tcpdump hands packets over within its 1 s buffer timeout
cap_stop "$CAP_PID"
check "MN1 registered at MAG2 and back at MAG1 (the PBUs to replay)" test "$ho" -eq 2

# --- the attacks -------------------------------------------------------------
BEFORE=$(binding_state)
FAILS_BEFORE=$(lab_auth_stats lma1 mag1)
touch "$LAB_TMP/go"
wait "$ATT_PID"
AFTER=$(binding_state)
R=$LAB_TMP/attack.out
check "the TCP session was still running when the attacks ended" kill -0 "$SRC_PID"

check "the attacker found both PBUs in the capture, each verifying with Python's hmac" \
	eval "[[ -s $R ]] && jq -e '.found.old and .found.new and .captured_auth == {\"old\": \"ok\", \"new\": \"ok\"} and .ts_order' $R || { cat $R $LAB_TMP/attack.err; false; }"
# case_of NAME: its record in the attacker's report (status 1 if none:
# jq -e takes empty input for a success)
case_of() {
	local c
	c=$(jq -c --arg n "$1" '.cases[] | select(.case == $n)' "$R" 2>/dev/null)
	[[ -n $c ]] || {
		echo "no case $1 in the attacker's report: $(head -c 300 "$R") $(tail -n 3 "$LAB_TMP/attack.err")"
		return 1
	}
	echo "$c"
}
# answered NAME STATUSES: exactly one PBA to the case's PBU, its status one
# of STATUSES (a JSON array), with MN1's MN-ID and the PBU's sequence number.
answered() {
	local c
	c=$(case_of "$1") || return 1
	echo "$c"
	jq -e --argjson st "$2" --arg mac "${MN_MAC[mn1]}" \
		'(.replies | length) == 1 and (.replies[0] | (.status as $s | $st | index($s)) and .mnid == $mac)' <<<"$c" >/dev/null
}
authenticated() {
	local c
	c=$(case_of "$1") || return 1
	jq -e '.replies[0].auth == "ok" and .replies[0].timestamp' <<<"$c"
}
inside() {
	local c
	c=$(case_of "$1") || return 1
	jq -e --argjson w "$LAB_TS_WINDOW_MS" '.age * 1000 < $w' <<<"$c" || {
		echo "sent too late to be inside the window"
		return 1
	}
}
check "replay of MAG2's PBU inside the window (age $(case_of replay-old-inside | jq .age) s): PBA 157 TIMESTAMP_LOWER_THAN_PREV_ACCEPTED" \
	eval 'inside replay-old-inside && answered replay-old-inside "[157]"'
check "  ... the PBA is authenticated (option 9 verifies) and carries the LMA's Timestamp" authenticated replay-old-inside
check "replay of MAG1's PBU inside the window (equal timestamp): PBA 156 or 157" \
	eval 'inside replay-new-inside && answered replay-new-inside "[156, 157]"'
info "equal timestamp answered with $(case_of replay-new-inside | jq -r '.replies[0].status // "nothing"')"
silent() {
	local c
	c=$(case_of "$1") || return 1
	echo "$c"
	jq -e '.replies == []' <<<"$c" >/dev/null
}
check "unauthenticated de-registration from MAG1's address: silently discarded (no PBA)" silent dereg-unauthenticated
for c in wrong-key bit-flipped truncated-option unknown-spi; do
	check "de-registration, ${c//-/ }: PBA 146 MIPV6-AUTH-FAIL with MN1's MN-ID and the sequence number" \
		answered "dereg-$c" "[146]"
done
info "146 PBAs authenticated: $(jq -r '[.cases[] | select(.case | startswith("dereg-")) | .replies[0].auth // empty] | join(" ")' "$R")"
check "replay of MAG2's PBU after the window (age $(case_of replay-old-after | jq .age) s): PBA 156 TIMESTAMP_MISMATCH" \
	answered replay-old-after "[156]"
check "replay of MAG1's PBU after the window: PBA 156 TIMESTAMP_MISMATCH" answered replay-new-after "[156]"
check "MN1's binding at LMA1 unchanged: MAG1, prefix, state, handovers, lifetime running on" \
	same_binding "$BEFORE" "$AFTER"
check "MN1 -> CN1 ping after the attacks" lab_exec mn1 ping -6 -c 2 -i 0.2 -w 10 "${ADDR[cn1]}"
counted() {
	local a
	a=$(lab_auth_stats lma1 mag1)
	echo "before: $FAILS_BEFORE"
	echo "after:  $a"
	[[ -n $a && -n $FAILS_BEFORE ]] && jq -e -n --argjson a "$a" --argjson b "$FAILS_BEFORE" \
		'($a."auth-missing" - $b."auth-missing") == 1 and ($a."auth-bad-spi" - $b."auth-bad-spi") == 1
		 and ($a."auth-fail" - $b."auth-fail") == 3 and $a.replay == $b.replay and $a.verified > $b.verified' >/dev/null
}
check "LMA1 counts for MAG1: 1 auth-missing, 1 auth-bad-spi, 3 auth-fail, and verified messages" counted

# --- every message on the link verifies with the oracle ------------------------
verify_capture() {
	local out
	# shellcheck disable=SC2046 # one argument a key
	out=$("$PY" tests/lab/mhauth.py verify "$1" $(lab_sa_all)) || return 1
	echo "$out"
	jq -e '.failures == [] and .ok > 0 and .by_type.PBU > 0 and .by_type.PBA > 0' <<<"$out"
}
check "every PBU and PBA of both registrations verifies with Python's hmac" verify_capture "$LAB_TMP/reg.pcap"

# --- the oracle and dmmd agree: a correctly signed PBU is accepted -------------
lab_exec ir timeout 60 "$PY" tests/lab/auth-attack.py control "$LAB_TMP/attack.json" >"$LAB_TMP/control.out" 2>>"$LAB_TMP/attack.err"
check "a refresh PBU signed by the oracle with MAG1's key: PBA 0, authenticated" \
	eval "[[ -s $LAB_TMP/control.out ]] && jq -e '.cases[0].replies | length == 1 and .[0].status == 0 and .[0].auth == \"ok\"' $LAB_TMP/control.out ||
		{ cat $LAB_TMP/control.out $LAB_TMP/attack.err; false; }"

wait "$SRC_PID"
src_rc=$?
wait "$SINK_PID"
sink_rc=$?
check "TCP MN1 -> CN1 through the attacks: all $TCP_BYTES bytes received and verified, no reset" \
	eval "cat $LAB_TMP/tcp-sink.json; [[ $src_rc -eq 0 && $sink_rc -eq 0 && -s $LAB_TMP/tcp-sink.json ]] &&
		jq -e '.ok and .resets == 0 and .bytes == $TCP_BYTES' $LAB_TMP/tcp-sink.json"
check "LMA1's binding of MN1 is still at MAG1" eval "[[ \$(lma_binding mn1 | jq -r .peer) == ${ADDR[mag1]} ]]"

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
