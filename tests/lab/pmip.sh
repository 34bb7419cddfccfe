#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dmmd on RFC 7429 Figure 4 (lab/pmip-fig4.sh has the picture), with one
# data plane set-up: kernel, user, bpf, or mixed (MAGs kernel, LMAs user).
#
#   - each MN gets its prefix by SLAAC, from its own LMA's pool;
#   - MN1 -> CN1 and MN2 -> CN2 ping through their tunnels;
#   - a paced TCP stream MN1 -> CN1 survives MAG1 -> MAG2 -> MAG3 -> MAG1,
#     every byte checked, while 1000 probes/s CN1 -> MN1 time each
#     handover's interruption and loss (reported, never a verdict);
#   - tshark decodes a capture on the IR-LMA1 link as PBU/PBA with the P
#     flag, and user traffic as IPv6-in-IPv6;
#   - every MAG-LMA pair signs its signalling (RFC 4285 option 9, MAG3-LMA2
#     with HMAC-SHA-256): both ends count verified messages and no refusal,
#     and every Mobility Header on the IR-LMA links verifies with Python's
#     hmac (tests/lab/mhauth.py);
#   - SIGHUP with a broken config keeps the old one running;
#   - SIGTERM leaves no route (proto 0xd3), rule or TUN device behind.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh
# shellcheck source=tests/lab/auth-lib.sh
. tests/lab/auth-lib.sh

DP=${1:-kernel}
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat_need_dp "$DP" "pmip-$DP"
NAME="pmip-$DP"
TCP_BYTES=${TCP_BYTES:-4000000}
TCP_MBPS=${TCP_MBPS:-4}

if [[ $(id -u) -ne 0 ]]; then
	echo "$NAME: needs root (network namespaces): run make check as root" >&2
	exit 1
fi

lab_init "lab-$DP"
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: RFC 7429 Figure 4, $DP data plane"
lab_up_or_exit "$DP"

# --- SLAAC from the right pool ---------------------------------------------
slaac_ok() {
	local mn=$1 a r
	a=$(mn_addr "$mn")
	echo "$mn: address '$a', want ${MN_POOL[$mn]}:/48"
	[[ -n $a ]] || return 1
	# The default route is the MAG's shared link-local address, learnt from the RA.
	r=$(ip -n "${NS[$mn]}" -6 route show default)
	echo "$mn: $r"
	[[ $r == *"via fe80::1 dev eth0 proto ra"* ]]
}
check "MN1 has a SLAAC address from LMA1's pool 2001:db8:1::/48" slaac_ok mn1
check "MN2 has a SLAAC address from LMA2's pool 2001:db8:2::/48" slaac_ok mn2
# shellcheck disable=SC2016 # expanded by eval, at check time
check "LMA1 binds MN1 at MAG1, LMA2 binds MN2 at MAG3" \
	eval '[[ $(lma_binding mn1 | jq -r .peer) == "${ADDR[mag1]}" && $(lma_binding mn2 | jq -r .peer) == "${ADDR[mag3]}" ]]'

# --- ping through the tunnels ------------------------------------------------
check "ping MN1 -> CN1" lab_exec mn1 ping -6 -c 3 -i 0.2 -w 10 "${ADDR[cn1]}"
check "ping MN2 -> CN2" lab_exec mn2 ping -6 -c 3 -i 0.2 -w 10 "${ADDR[cn2]}"
# The LMA's intent table keeps no counters (fm.h): show intents reads the data plane's.
check "LMA2's show intents counts MN2's pings, up and down (the data plane's counters)" \
	eval 'ctl lma2 show intents | jq -e "([.[] | select(.match == \"src\") | .packets] | add // 0) >= 3 and ([.[] | select(.match == \"dst\") | .packets] | add // 0) >= 3"'

# --- capture on IR's link to LMA1 ------------------------------------------
cap_start CAP_PID ir lma1 "$LAB_TMP/ir-lma1.pcap"
CAP_SNAPLEN=0 cap_start CAP2_PID ir lma2 "$LAB_TMP/ir-lma2.pcap" ip6 proto 135

# --- TCP stream and UDP probes across three handovers ---------------------
MN1=$(mn_addr mn1)
lab_bg SINK_PID cn1 "$TRAFFIC" tcp-sink --port 5001 --bytes "$TCP_BYTES" --timeout 60 >"$LAB_TMP/tcp-sink.json"
lab_bg USINK_PID mn1 "$TRAFFIC" udp-sink --port 5002 --duration 30 --timeout 30 >"$LAB_TMP/udp-sink.json"
sleep 0.3
lab_bg SRC_PID mn1 "$TRAFFIC" tcp-source --to "${ADDR[cn1]}" --port 5001 --bytes "$TCP_BYTES" --rate "$TCP_MBPS" \
	--timeout 60 >"$LAB_TMP/tcp-source.json"
lab_bg USRC_PID cn1 "$TRAFFIC" udp-source --to "$MN1" --port 5002 --pps 1000 --duration 30 >"$LAB_TMP/udp-source.json"

ho_ok=0
for hop in "mag1 mag2" "mag2 mag3" "mag3 mag1"; do
	read -r from to <<<"$hop"
	sleep 1.5
	handover mn1 "$from" "$to" && wait_registered mn1 60 && ho_ok=$((ho_ok + 1))
done
check "MN1 re-registered after each of 3 handovers (MAG1 -> MAG2 -> MAG3 -> MAG1)" test "$ho_ok" -eq 3
wait "$SRC_PID"
src_rc=$?
wait "$SINK_PID"
sink_rc=$?
check "TCP MN1 -> CN1 across the handovers: source finished without reset" \
	eval "cat $LAB_TMP/tcp-source.json; [[ $src_rc -eq 0 ]] && jq -e '.ok and .resets == 0' $LAB_TMP/tcp-source.json"
check "TCP MN1 -> CN1: all $TCP_BYTES bytes received and verified, no reset" \
	eval "cat $LAB_TMP/tcp-sink.json; [[ $sink_rc -eq 0 ]] && jq -e '.ok and .resets == 0 and .bytes == $TCP_BYTES' $LAB_TMP/tcp-sink.json"
HO_DONE=$(date +%s.%N)
# Let the probes run on a little after the last handover, then stop them.
sleep 1
kill "$USRC_PID" 2>/dev/null
wait "$USRC_PID" 2>/dev/null
kill -INT "$USINK_PID" 2>/dev/null
wait "$USINK_PID" 2>/dev/null
if [[ ! -s $LAB_TMP/udp-sink.json ]]; then
	info "UDP probe report missing"
fi
check "UDP probes CN1 -> MN1 arrive after the last handover" \
	eval "jq -e --argjson t $HO_DONE '.\"last-t\" > \$t' $LAB_TMP/udp-sink.json"
if [[ -s $LAB_TMP/udp-sink.json ]]; then
	jq -r '"probes: \(.received) received, \(.lost) lost (of the \(.received + .lost) sent before the sink stopped)"' \
		"$LAB_TMP/udp-sink.json" | while read -r l; do info "$l"; done
	jq -r '.gaps[] | "interruption \(.ms) ms, \(.lost) probes lost"' "$LAB_TMP/udp-sink.json" |
		while read -r l; do info "$l"; done
fi
for n in mag1 mag2 mag3; do
	ms=$(ctl "$n" show bindings | jq -r '.[] | ."registration-ms" // empty' | head -n 1)
	[[ -n $ms ]] && info "$n: MN registration took $ms ms after attach"
done

# --- authenticated signalling (RFC 4285) ---------------------------------------
check "LMA1 verified PBUs and Heartbeats from MAG1, MAG2 and MAG3, refused none" auth_clean lma1 mag1 mag2 mag3
check "LMA2 verified MAG3's, refused none" auth_clean lma2 mag3
check "MAG1 and MAG2 verified LMA1's, refused none" eval 'auth_clean mag1 lma1 && auth_clean mag2 lma1'
check "MAG3 verified LMA1's and LMA2's, refused none" auth_clean mag3 lma1 lma2
check "MAG3 and LMA2 sign with HMAC-SHA-256-128, MAG1 and LMA1 with HMAC-SHA1-96" \
	eval 'auth_alg mag3 lma2 hmac-sha256-128 && auth_alg lma2 mag3 hmac-sha256-128 && auth_alg mag1 lma1 hmac-sha1-96 &&
		auth_alg lma1 mag1 hmac-sha1-96'
sleep 1.2 # tcpdump hands packets over within its 1 s buffer timeout
cap_stop "$CAP2_PID"
cap_stop "$CAP_PID"
check "every Mobility Header on IR's link to LMA1 carries option 9, verified by Python's hmac" \
	auth_verify_pcap "$LAB_TMP/ir-lma1.pcap"
check "every Mobility Header on IR's link to LMA2 (HMAC-SHA-256) likewise" auth_verify_pcap "$LAB_TMP/ir-lma2.pcap"
CAP=$LAB_TMP/ir-lma1.pcap
check "tshark: PBU (Binding Update with P flag) on the IR-LMA1 link" \
	eval "tshark -r $CAP -Y 'mip6.mhtype == 5 && mip6.bu.p_flag == 1' 2>/dev/null | grep -m1 'Binding Update'"
check "tshark: PBA (Binding Acknowledgement with P flag, status 0)" \
	eval "tshark -r $CAP -Y 'mip6.mhtype == 6 && mip6.ba.p_flag == 1 && mip6.ba.status == 0' 2>/dev/null | grep -m1 'Binding Acknowledgement'"
check "tshark: user traffic is IPv6-in-IPv6 (two IPv6 headers, inner from MN1)" \
	eval "tshark -r $CAP -Y 'ipv6.nxt == 41 && ipv6.src == $MN1' -T fields -e ipv6.src -e ipv6.dst 2>/dev/null | head -n 3 | tee /dev/stderr | grep -q ','"

# --- SIGHUP with a broken config ----------------------------------------------
cp "$LAB_TMP/lma1.json" "$LAB_TMP/lma1.json.good"
echo '{"dmm:node": {"name": "lma1", "role": "lma", ' >"$LAB_TMP/lma1.json"
kill -HUP "${DPID[lma1]}"
refused() {
	local i v
	for ((i = 0; i < 100; i++)); do
		v=$(ctl lma1 show stats | jq -r '."config-reloads-refused"')
		[[ $v == 1 ]] && return 0
		sleep 0.1
	done
	echo "config-reloads-refused = $v"
	grep CFG "$LAB_TMP/lma1.log" | tail -n 3
	return 1
}
check "SIGHUP with a broken config: refused (config-reloads-refused = 1)" refused
check "SIGHUP with a broken config: dmmd still runs and answers" \
	eval 'dmmd_alive lma1 && ctl lma1 show node | jq -e ".name == \"lma1\""'
# shellcheck disable=SC2016 # expanded by eval, at check time
check "SIGHUP with a broken config: MN1's binding is still there" \
	eval '[[ $(lma_binding mn1 | jq -r .state) == ACTIVE ]]'
cp "$LAB_TMP/lma1.json.good" "$LAB_TMP/lma1.json"

# --- SIGTERM leaves nothing behind ----------------------------------------------
for n in mag1 mag2 mag3 lma1 lma2; do
	check "SIGTERM $n: dmmd exits with status 0" dmmd_stop "$n"
done
check "after SIGTERM: no proto 0xd3 route, no rule, no TUN device in any namespace" lab_leftovers
[[ $DP == bpf ]] && check "after SIGTERM: no clsact qdisc or BPF filter in any namespace" lab_bpf_leftovers

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
