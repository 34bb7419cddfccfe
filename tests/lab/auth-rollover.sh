#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A key rollover by SIGHUP on the MAG1-LMA1 association (RFC 4285 option
# 9) of lab/pmip-fig4.sh while MN1's TCP session to CN1 flows:
#
#   1. a next key (HMAC-SHA-256, a new SPI) added after the current one on
#      both sides, SIGHUP LMA1, then MAG1: messages still carry the old SPI
#      (the first key sends);
#   2. the next key put first on both sides, SIGHUP LMA1, a second and a
#      half, SIGHUP MAG1 (meanwhile each side sends with a key the other
#      still lists): from then on every message between them carries the
#      new SPI;
#   3. the old key removed on both sides, SIGHUP LMA1, then MAG1; MN1 moves
#      to MAG2 and back, registering at MAG1 under the new key.
#
# Throughout: every reload accepted, no authentication failure counted
# between MAG1 and LMA1, no peer down, MN1's binding never re-registered
# until the final handovers, every message on IR's link to LMA1 verifies
# with Python's hmac (tests/lab/mhauth.py), and the TCP session delivers
# every byte without a reset.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh
# shellcheck source=tests/lab/auth-lib.sh
. tests/lab/auth-lib.sh

NAME="auth-rollover"
PY=/usr/bin/python3
TCP_BYTES=${TCP_BYTES:-6000000}
TCP_MBPS=${TCP_MBPS:-2}
SETTLE=${SETTLE:-2.5}

auth_lab_start lab-auth-rollover "SIGHUP key rollover on MAG1-LMA1 under traffic"

PAIR=$(lab_pair mag1 lma1)
OLD=${LAB_SA[$PAIR]}
IFS=: read -r OLD_SPI _ _ <<<"$OLD"
lab_sa_key mag1 lma1 hmac-sha256-128 next || exit 1
NEXT=$SA_SPI:hmac-sha256-128:$SA_FILE
NEW_SPI=$SA_SPI
now() { date +%s.%N; }

# rekey KEYS: MAG1-LMA1's keys (the first sends), then both configs
# rewritten and SIGHUP to LMA1, PAUSE seconds, SIGHUP to MAG1; waits until
# both counted the reload.
rekey() {
	local n want
	LAB_SA[$PAIR]=$1
	for n in lma1 mag1; do
		lab_config "$n" "$(kfeat_dp)" >"$LAB_TMP/$n.json"
	done
	for n in lma1 mag1; do
		want=$(($(ctl "$n" show stats | jq '."config-reloads"') + 1))
		kill -HUP "${DPID[$n]}"
		wait_for 10 eval "[[ \$(ctl $n show stats | jq '.\"config-reloads\"') -ge $want ]]" ||
			lab_log "$n: SIGHUP not applied (config-reloads < $want)"
		[[ $n == lma1 ]] && sleep "${2:-0}"
	done
}

binding_state() {
	lma_binding mn1 | jq -S -c --argjson now "$(now)" \
		'{"mn-id", peer, prefixes, state, handovers, expires: ($now + ."lifetime-left")}'
}

CAP_SNAPLEN=0 cap_start CAP_PID ir lma1 "$LAB_TMP/roll.pcap" ip6 proto 135 || exit 1
lab_bg SINK_PID cn1 "$TRAFFIC" tcp-sink --port 5001 --bytes "$TCP_BYTES" --timeout 90 >"$LAB_TMP/tcp-sink.json"
sleep 0.3
lab_bg SRC_PID mn1 "$TRAFFIC" tcp-source --to "${ADDR[cn1]}" --port 5001 --bytes "$TCP_BYTES" --rate "$TCP_MBPS" \
	--timeout 90 >"$LAB_TMP/tcp-source.json"
sleep "$SETTLE"
BEFORE=$(binding_state)

T0=$(now)
rekey "$OLD $NEXT"
sleep "$SETTLE"
T1=$(now)
rekey "$NEXT $OLD" 1.5
T2=$(now)
sleep "$SETTLE"
rekey "$NEXT"
sleep "$SETTLE"
T3=$(now)
AFTER=$(binding_state)
ho=0
handover mn1 mag1 mag2 && wait_registered mn1 30 && ho=$((ho + 1))
handover mn1 mag2 mag1 && wait_registered mn1 30 && ho=$((ho + 1))
sleep "$SETTLE"
T4=$(now)
wait "$SRC_PID"
src_rc=$?
wait "$SINK_PID"
sink_rc=$?
sleep 1.2 # tcpdump hands packets over within its 1 s buffer timeout
cap_stop "$CAP_PID"

# The oracle knows every key, the removed one too.
# shellcheck disable=SC2046 # one argument a key
"$PY" tests/lab/mhauth.py verify --list "$LAB_TMP/roll.pcap" $(lab_sa_all) "$OLD" >"$LAB_TMP/roll.json" 2>"$LAB_TMP/roll.err"
# spis FROM TO: the SPIs of the messages between MAG1 and LMA1 from time FROM to TO, sorted, unique
spis() {
	jq -c --argjson a "$1" --argjson b "$2" --arg m "${ADDR[mag1]}" --arg l "${ADDR[lma1]}" \
		'[.list[] | select(.t >= $a and .t < $b and ([.src, .dst] | sort) == ([$m, $l] | sort)) | .spi] | unique' \
		"$LAB_TMP/roll.json"
}
# carries FROM TO SPI: MAG1-LMA1 messages in that time, all with SPI, in both directions
carries() {
	local s
	s=$(spis "$1" "$2") || return 1
	echo "SPIs between MAG1 and LMA1: $s"
	jq -e --argjson want "$3" --argjson a "$1" --argjson b "$2" --arg m "${ADDR[mag1]}" \
		'[.list[] | select(.t >= $a and .t < $b)] as $l
		 | ($l | map(select(.src == $m)) | length) > 0 and ($l | map(select(.dst == $m)) | length) > 0' \
		"$LAB_TMP/roll.json" >/dev/null && [[ $s == "[$3]" ]]
}
check "every message on IR's link to LMA1 verifies with Python's hmac (old, next and other pairs' keys)" \
	eval "[[ -s $LAB_TMP/roll.json ]] && jq -c 'del(.list)' $LAB_TMP/roll.json &&
		jq -e '.failures == [] and .ok > 0' $LAB_TMP/roll.json >/dev/null || { cat $LAB_TMP/roll.err; false; }"
check "before the rollover: MAG1 and LMA1 sign with the old SPI $OLD_SPI" carries 0 "$T0" "$OLD_SPI"
check "next key added after the old one (SIGHUP both): still the old SPI" carries "$T0" "$T1" "$OLD_SPI"
check "next key first (SIGHUP LMA1, then MAG1): the new SPI $NEW_SPI both ways" \
	carries "$(awk -v t="$T2" 'BEGIN { printf "%.3f", t + 0.3 }')" "$T3" "$NEW_SPI"
check "old key removed (SIGHUP both), then MN1 moves MAG1 -> MAG2 -> MAG1: the new SPI only" \
	carries "$T3" "$T4" "$NEW_SPI"
check "  ... and MN1 re-registered at MAG2 and at MAG1 (PBU and PBA under the new key)" test "$ho" -eq 2
check "  ... the PBU and PBA at MAG1's return carry the new SPI" \
	eval "jq -e --argjson a $T3 --arg m ${ADDR[mag1]} --argjson s $NEW_SPI \
		'[.list[] | select(.t >= \$a and (.type == \"PBU\" or .type == \"PBA\") and (.src == \$m or .dst == \$m))]
		 | length >= 2 and all(.spi == \$s and .why == \"ok\")' $LAB_TMP/roll.json"
same_binding() {
	echo "before: $BEFORE"
	echo "after:  $AFTER"
	[[ -n $BEFORE && -n $AFTER ]] &&
		[[ $(jq -c 'del(.expires)' <<<"$BEFORE") == "$(jq -c 'del(.expires)' <<<"$AFTER")" ]] &&
		jq -e -n --argjson a "$BEFORE" --argjson b "$AFTER" '($a.expires - $b.expires) | fabs < 1' >/dev/null
}
check "MN1's binding at LMA1 through the three reloads: not re-registered, lifetime running on" same_binding
reloads_ok() {
	local n s
	for n in lma1 mag1; do
		s=$(ctl "$n" show stats | jq -c '{"config-reloads", "config-reloads-refused"}')
		echo "$n: $s"
		jq -e '."config-reloads" == 3 and ."config-reloads-refused" == 0' <<<"$s" >/dev/null || return 1
	done
}
check "LMA1 and MAG1 accepted all three reloads" reloads_ok
no_failures() {
	local a b
	a=$(lab_auth_stats lma1 mag1) b=$(lab_auth_stats mag1 lma1)
	echo "lma1 for mag1: $a"
	echo "mag1 for lma1: $b"
	[[ -n $a && -n $b ]] && jq -e -n --argjson a "$a" --argjson b "$b" \
		'$a.failed == 0 and $b.failed == 0 and $a.ok > 0 and $b.ok > 0' >/dev/null
}
check "no authentication failure counted between MAG1 and LMA1, authenticated messages both ways" no_failures
peers_up() {
	ctl lma1 show peers | jq -c '.[]' | tee /dev/stderr | jq -s -e --arg m "${ADDR[mag1]}" \
		'map(select(.address == $m)) | length == 1 and .[0].state == "up" and .[0].downs == 0' >/dev/null
}
check "LMA1 never declared MAG1 down (heartbeats kept verifying)" peers_up
check "TCP MN1 -> CN1 through the rollover: all $TCP_BYTES bytes received and verified, no reset" \
	eval "cat $LAB_TMP/tcp-sink.json; [[ $src_rc -eq 0 && $sink_rc -eq 0 && -s $LAB_TMP/tcp-sink.json ]] &&
		jq -e '.ok and .resets == 0 and .bytes == $TCP_BYTES' $LAB_TMP/tcp-sink.json"
check "MN2 (MAG3-LMA2, HMAC-SHA-256, untouched) still reaches CN2" lab_exec mn2 ping -6 -c 2 -i 0.2 -w 10 "${ADDR[cn2]}"

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
