#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The namespace lab: tests/lab/pmip.sh with the four data plane set-ups
# (kernel, user, mixed: MAGs kernel, LMAs user, bpf), tests/lab/malformed.sh,
# tests/lab/dmm.sh (RFC 8885: kernel data plane with a proxy CMD, user data
# plane with a relay CMD, bpf data plane with a proxy CMD;
# LAB_DMM="kernel:relay ..." picks others), and the RFC 4285 authentication
# tests tests/lab/auth-attack.sh (forged and replayed PBUs) and
# tests/lab/auth-rollover.sh (key rollover by SIGHUP), and tests/lab/prom.sh
# (a Prometheus server scrapes LMA1, MAG1 and MAG2 through a handover),
# tests/lab/sess.sh (session-based release, prefix policy, PvD; kernel, user).
# Every lab signs its signalling (lab/lib.sh, lab_security).
# Prints "lab: N passed, M failed" over all of them; exits 1 on a failure,
# and at once, with the reason, when not root or a tool is missing. A
# set-up that needs a kernel feature this kernel lacks (tests/kfeat.sh: the
# kernel and mixed data planes need SRv6, the multicast labs MRT6) says
# "not run" with the reason, and make check lists it at the end.
set -u
cd "$(dirname "$0")/../.." || exit 1

# A lab that cannot run fails, with the reason: a skipped suite must not
# let "make check" say that every suite passed.
if [[ $(id -u) -ne 0 ]]; then
	echo "lab: needs root (network namespaces): run make check as root" >&2
	exit 1
fi
# The tools the lab scripts use (tests/lab/*.sh, lab/*.sh), with their Debian packages.
missing=
for t in ip:iproute2 tcpdump:tcpdump tshark:tshark jq:jq ss:iproute2 ping:iputils-ping; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t%%:*} (${t##*:})"
done
/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || missing="$missing scapy (python3-scapy)"
if [[ -n $missing ]]; then
	echo "lab: missing tools:$missing: run make deps as root" >&2
	exit 1
fi

passed=0
failed=0
notrun=0
run() {
	local out line start
	out=$(mktemp /tmp/dmm-lab-run.XXXXXX)
	start=$(date +%s)
	"$@" 2>&1 | tee "$out"
	echo "lab: $* took $(($(date +%s) - start)) s"
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if grep -qiE '^[a-z-]+: skipped' "$out"; then
		echo "  FAIL  $* was skipped: $(grep -iE '^[a-z-]+: skipped' "$out" | head -n 1)"
		failed=$((failed + 1))
	elif [[ -z $line ]] && grep -qE '^[a-z-]+( [^:]*)?: not run: ' "$out"; then
		notrun=$((notrun + 1))
	elif [[ -z $line ]]; then
		echo "  FAIL  $* ended without a summary"
		failed=$((failed + 1))
	else
		read -r _ p _ f _ <<<"$line"
		passed=$((passed + p))
		failed=$((failed + f))
	fi
	rm -f "$out"
}

for dp in ${LAB_DATAPLANES:-kernel user mixed bpf}; do
	run tests/lab/pmip.sh "$dp"
done
run tests/lab/malformed.sh
for dm in ${LAB_DMM:-kernel:proxy user:relay bpf:proxy}; do
	run tests/lab/dmm.sh "${dm%%:*}" "${dm##*:}"
done
for dp in ${LAB_RELOC:-kernel user}; do
	run tests/lab/reloc.sh "$dp"
done
# RFC 5949 fast handover (tests/lab/fho.sh: predictive and reactive, 20
# handovers each: loss, reordering, the TCP stall against the link's down
# time + 1 RTT + 5 ms (+ the session's longest stall outside handovers, what
# the machine itself costs), the buffer bound), kernel, user, mixed (MAGs
# kernel, LMAs user), bpf and mixed-bpf (MAGs bpf, LMAs user)
# (docs/dmm-protocol.md §12); LAB_FHO="user ..." picks set-ups.
for dp in ${LAB_FHO:-kernel user mixed bpf mixed-bpf}; do
	run tests/lab/fho.sh "$dp"
done
# The same between MAARs (RFC 8885; tests/lab/fho-dmm.sh, both modes, 10 handovers each: loss and
# reordering of probes to a prefix anchored at MAAR1), kernel, user and bpf data planes.
for dp in ${LAB_FHO_DMM:-kernel user bpf}; do
	run tests/lab/fho-dmm.sh "$dp" both
done
# RFC 6705 localized routing (tests/lab/lr.sh), kernel and user data planes:
# scenario A12 (MAG-initiated, §7) and A11 (LMA-initiated, §5).
for dp in ${LAB_LR:-kernel user}; do
	run tests/lab/lr.sh "$dp"
	run tests/lab/lr.sh "$dp" a11
done
# RFC 6463 runtime LMA assignment (tests/lab/redirect.sh).
run tests/lab/redirect.sh
# RFC 6097 LMA discovery by DNS, against dnsmasq (tests/lab/discovery.sh).
run tests/lab/discovery.sh user
# Multicast without tunnel convergence (RFC 7429 REQ8): MLD proxies in direct
# mode on both data planes, and via the anchor (RFC 6224 base) for comparison
# (LAB_MCAST="user:via-anchor ..." picks others).
for dm in ${LAB_MCAST:-kernel:direct user:direct kernel:via-anchor}; do
	run tests/lab/mcast.sh "${dm%%:*}" "${dm##*:}"
done
# GAP2-1/2-2/2-3: release by sessions, per-prefix policy, PvD (kernel and user:
# the bpf data plane bypasses connection tracking).
for dp in ${LAB_SESS:-kernel user}; do
	run tests/lab/sess.sh "$dp"
done
run tests/lab/auth-attack.sh
run tests/lab/auth-rollover.sh
run tests/lab/prom.sh

[[ $notrun -eq 0 ]] || echo "lab: $notrun not run: this kernel lacks a feature they need (their lines above)"
echo "lab: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
