#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# NETCONF in the lab of RFC 7429 Figure 4 (lab/pmip-fig4.sh has the
# picture), kernel data plane (user without SRv6, tests/kfeat.sh): dmm-netconfd serves LMA1's dmmd on [::1]:8830
# in LMA1's namespace, SSH with public keys only; the client is Debian's
# ncclient (tests/lab/netconf.py), a NETCONF client that is not ours:
#
#   ncclient (LMA1 ns) --SSH [::1]:8830--> dmm-netconfd --control socket--> dmmd (LMA1)
#
# Checks:
#   - get-config: LMA1's config (role lma, max-lifetime 3600);
#   - get: the state's bindings hold MN1's binding, served by MAG1;
#   - edit-config merge of lma/max-lifetime 300: ok, dmmd reloaded it;
#   - a bad edit (max-lifetime 2, out of the model's range) is refused with
#     an rpc-error naming /dmm:node/lma/max-lifetime; so is one dmmd refuses
#     (a new pool needs a restart); the running config stays (300, one pool);
#   - create-subscription, then MN1 moves MAG1 -> MAG2: the
#     binding-handed-off notification for MN1 with serving MAG2 arrives;
#   - dmmd uses the new timer: MN1's binding after the handover (PBA of
#     MAG2's PBU) has at most 300 s left, where MAG2 asked for 600;
#   - edit-config delete and create of max-lifetime, and their errors
#     (data-missing, data-exists).
#
# Usage: tests/lab/netconf.sh   (root)
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

NAME=lab-netconf
PORT=8830
NETCONFD=${NETCONFD:-$LAB_ROOT/build/dmm-netconfd}
PY=/usr/bin/python3
if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
fail_now() {
	echo "  FAIL  $*"
	echo "$NAME: 0 passed, 1 failed"
	exit 1
}
[[ -x $NETCONFD ]] || fail_now "$NETCONFD not built (make all)"
command -v ssh-keygen >/dev/null || fail_now "ssh-keygen missing (tests/deps.sh: openssh-client)"
$PY -c 'import ncclient' 2>/dev/null || fail_now "ncclient missing (tests/deps.sh: python3-ncclient)"
[[ -d /usr/share/yuma/modules/ietf ]] || fail_now "the NETCONF YANG modules are missing (tests/deps.sh: libyuma-base)"

lab_init "$NAME"
# The script's own status (summary's, or an early exit's) is what lab_cleanup exits with.
trap 'rc=$?; dump_logs_on_failure
if [[ $FAILED -gt 0 ]]; then sed "s/^/  netconfd: /" "$LAB_TMP/netconfd.log" | tail -n 30; fi
(exit $rc); lab_cleanup' EXIT
echo "$NAME: ncclient against dmm-netconfd for LMA1, over SSH"
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
lab_up_or_exit "$(kfeat_dp)"

# The host key and the client's key (RSA: Debian's libnetconf2 2.0 checks
# ECDSA client keys wrongly); the client's public key is the one authorized.
ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f "$LAB_TMP/hostkey" || fail_now "ssh-keygen"
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f "$LAB_TMP/client" || fail_now "ssh-keygen"
cp "$LAB_TMP/client.pub" "$LAB_TMP/authorized_keys"
HOSTKEY=$(cut -d' ' -f2 "$LAB_TMP/hostkey.pub")
lab_bg NCPID lma1 "$NETCONFD" -s "$LAB_TMP/lma1.sock" -k "$LAB_TMP/hostkey" -a "$LAB_TMP/authorized_keys" \
	-l ::1 -p $PORT -y yang -v 2>"$LAB_TMP/netconfd.log"
listening() { lab_exec lma1 ss -Hltn "sport = :$PORT" | grep -q LISTEN; }
check "dmm-netconfd listens on [::1]:$PORT" wait_for 10 listening

nc() { lab_exec lma1 $PY tests/lab/netconf.py ::1 $PORT "$LAB_TMP/client" "$HOSTKEY" "$@"; }
MN1=eui48:${MN_MAC[mn1]}
# jqe JSON FILTER [JQ ARGS]: jq -e on an answer that must not be empty (jq 1.6 says yes to no input).
jqe() {
	local j=$1 f=$2
	shift 2
	[[ -n $j ]] && jq -e "$@" "$f" <<<"$j" >/dev/null
}

out=$(nc config)
info "get-config: $out"
check "get-config: role lma, max-lifetime 3600" jqe "$out" '.role == "lma" and ."max-lifetime" == "3600"'
out=$(nc bindings)
# shellcheck disable=SC2016 # $m and $p are jq's
check "get (subtree filter state/bindings): MN1's binding, served by MAG1, and nothing else" \
	jqe "$out" 'any(.bindings[]; ."mn-id" == $m and .peer == $p) and .others == []' --arg m "$MN1" --arg p "${ADDR[mag1]}"
out=$(nc state)
info "get: state $out"
check "get: state has node (role lma), bindings, peers (up), intents, stats (PBUs received)" \
	jqe "$out" '.role == "lma" and .["peers-up"] >= 1 and (.["pbu-received"] | tonumber) >= 1 and
		(.children | contains(["node", "bindings", "peers", "intents", "stats"]))'

reloads() { ctl lma1 show stats | jq -r '."config-reloads"'; }
r0=$(reloads)
out=$(nc set-lma '<max-lifetime>300</max-lifetime>')
check "edit-config max-lifetime 300: ok" jqe "$out" '.ok'
check "dmmd reloaded the edited config" test "$(reloads)" = $((r0 + 1))
check "the config file says 300" jq -e '."dmm:node".lma."max-lifetime" == 300' "$LAB_TMP/lma1.json"

out=$(nc bad-lma '<max-lifetime>2</max-lifetime>')
info "bad edit: $out"
check "bad edit (max-lifetime 2) refused with the path" \
	jqe "$out" '.refused and (.path | endswith("/dmm:node/lma/max-lifetime"))'
out=$(nc bad-lma '<pools>2001:db8:9::/48</pools>')
info "edit dmmd refuses: $out"
check "edit of the pools refused by dmmd (needs a restart), with the path" \
	jqe "$out" '.refused and (.message | contains("dmm:node"))'
out=$(nc config)
check "running config kept: max-lifetime 300, one pool" \
	jqe "$out" '."max-lifetime" == "300" and .pools == ["2001:db8:1::/48"]'
check "dmmd's running config kept: its file has one pool" jq -e '."dmm:node".lma.pools | length == 1' "$LAB_TMP/lma1.json"
check "LMA1's dmmd is alive" dmmd_alive lma1

# Notifications: subscribe, then MN1 moves to MAG2.
lab_bg LISTEN lma1 $PY tests/lab/netconf.py ::1 $PORT "$LAB_TMP/client" "$HOSTKEY" listen 20 "$LAB_TMP/notif.jsonl"
check "create-subscription accepted" wait_for 10 grep -q subscribed "$LAB_TMP/notif.jsonl"
handover mn1 mag1 mag2
check "MN1 moves MAG1 -> MAG2 and registers there" wait_registered mn1 30
handed() { jq -e -s --arg m "$MN1" --arg s "${ADDR[mag2]}" \
	'any(.[]; .notification == "binding-handed-off" and ."mn-id" == $m and .serving == $s)' "$LAB_TMP/notif.jsonl"; }
check "notification binding-handed-off for MN1, serving MAG2" wait_for 10 handed
sed 's/^/  notification: /' "$LAB_TMP/notif.jsonl"

out=$(nc bindings)
left=$(jq -r --arg m "$MN1" '.bindings[] | select(."mn-id" == $m) | ."lifetime-left"' <<<"$out")
info "MN1's binding at LMA1 after the handover: $(jq -c --arg m "$MN1" '.bindings[] | select(."mn-id" == $m)' <<<"$out")"
# shellcheck disable=SC2016 # $m and $p are jq's
check "get: MN1's binding now served by MAG2" \
	jqe "$out" 'any(.bindings[]; ."mn-id" == $m and .peer == $p)' --arg m "$MN1" --arg p "${ADDR[mag2]}"
check "dmmd uses the edited timer: MN1's binding has <= 300 s left (MAG2 asked for 600)" \
	awk -v l="${left:-9999}" 'BEGIN { exit !(l > 0 && l <= 300) }'
# The other operations of edit-config (RFC 6241 §7.2), on max-lifetime.
NC='xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"'
out=$(nc try-lma "<max-lifetime $NC nc:operation=\"delete\"/>")
file_has() { jq -e "$1" "$LAB_TMP/lma1.json" >/dev/null; }
# (check's own $out hides the caller's: the answer goes in as $1)
deleted() { jqe "$1" '.ok' && file_has '."dmm:node".lma | has("max-lifetime") | not'; }
info "delete: $out"
check "edit-config delete of max-lifetime: ok, gone from the file" deleted "$out"
out=$(nc try-lma "<max-lifetime $NC nc:operation=\"delete\"/>")
info "delete again: $out"
check "delete again: rpc-error data-missing" jqe "$out" '.tag == "data-missing"'
out=$(nc try-lma "<max-lifetime $NC nc:operation=\"create\">400</max-lifetime>")
check "create max-lifetime 400: ok" jqe "$out" '.ok'
out=$(nc try-lma "<max-lifetime $NC nc:operation=\"create\">500</max-lifetime>")
exists() { jqe "$1" '.tag == "data-exists"' && file_has '."dmm:node".lma."max-lifetime" == 400'; }
info "create again: $out"
check "create again: rpc-error data-exists, 400 stays" exists "$out"
summary "$NAME"
