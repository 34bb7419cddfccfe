#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Interoperability of the eBPF data plane with the other two on the wire:
# the PMIPv6 binding of tests/dp/user.sh with one end on the bpf backend
# (TC program, BPF maps) and the other on the kernel backend (seg6
# encap.red + End.DT6) or the user backend (TUN + raw socket):
#
#   MN ── MAG(bpf) ── LMA(kernel) ── CN
#   MN ── MAG(user) ── LMA(bpf) ── CN
#
# Each end encapsulates one direction and decapsulates the other, so both
# pairs cover bpf <-> kernel and bpf <-> user both ways. Every check of
# user.sh runs (the outer header byte for byte on a user end; a 1500-byte
# packet draws a Packet Too Big from the bpf LMA in the second pair);
# tests/dp/bpf.sh checks the bpf end's own bytes, counters and clean-up.
# user.sh captures the core link at the LMA alone, also the packets the LMA
# sends: DMM_BPF_REDIRECT_PEER=0 keeps the bpf end's packets on the veth's
# transmit path, where that capture sees them (by default the program hands
# them straight to the peer veth's receive path; tests/dp/bpf.sh captures
# at the receiving ends).
# Ends with "mixed-bpf: N passed, M failed".
#
#   tests/dp/mixed-bpf.sh [MAG-BACKEND LMA-BACKEND]...
#
# With backends, those pairs instead of the two above: make check's
# vm-kernel step runs "bpf kernel" alone in its machine
# (tests/dp/mixed-bpf.sh:bpf:kernel), where the kernel backend runs.
set -u
cd "$(dirname "$0")/../.." || exit 1
pairs=()
while [[ $# -ge 2 ]]; do
	pairs+=("$1 $2")
	shift 2
done
if [[ $# -ne 0 ]]; then
	echo "usage: $0 [MAG-BACKEND LMA-BACKEND]..." >&2
	exit 2
fi
[[ ${#pairs[@]} -gt 0 ]] || pairs=("bpf kernel" "user bpf")
DMM_BPF_REDIRECT_PEER=0 exec tests/dp/mixed.sh --label mixed-bpf "${pairs[@]}"
