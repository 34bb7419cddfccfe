#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench-scale-vm (root): bench/scale.sh in the qemu machine of
# tests/vm/run.sh (Debian's stock kernel, which has SRv6), for the kernel
# data plane's rows on a kernel that lacks SRv6 (tests/kfeat.sh). By
# default the user data plane runs too, in the same machine: its rows are
# the in-machine baseline. The machine is software emulation (TCG, no
# KVM), so rates and latencies are far below native; the ratios against
# the UDP echo of the same run and the memory per binding are the figures
# that compare (docs/scale.md, "make bench-scale-vm").
#
#   [SIZES="1000 10000 100000 1000000"] [DATAPLANES="kernel user"] [VM_MEM=6G]
#   [VM_NICE=10] [PHASE_LIMIT=1800] [SC_START_LIMIT=900] [BENCH_SECONDS=3]
#   [WINDOW=32] [BENCH_HANDOFFS=10000] [BENCH_INSTALLS=2000]
#   [BENCH_TRANSPORT=udp] bench/scale-vm.sh
#
# PHASE_LIMIT and SC_START_LIMIT are higher than bench/scale.sh's own
# defaults: the emulated machine is several times slower. The machine is
# killed after a bound that every phase at its limit fits in (the
# benchmark then fails with 124, tests/vm/run.sh). qemu runs at nice
# VM_NICE, since it takes both cores.
#
# In the machine (DMM_VM_BENCH=1), the same script samples the machine's
# memory every 5 s while bench/scale.sh runs and prints the most it saw
# in use (MemTotal - MemAvailable), to size VM_MEM; then it copies dmmd's
# log to build/vm/bench-scale/dmmd.log and prints its most frequent lines,
# and the kernel's warnings and errors (build/vm/bench-scale/dmesg.txt).
set -u
cd "$(dirname "$0")/.." || exit 1
SIZES=${SIZES:-1000 10000 100000 1000000}
DATAPLANES=${DATAPLANES:-kernel user}
LIMIT=${PHASE_LIMIT:-1800}
START=${SC_START_LIMIT:-900}

if [[ ${DMM_VM_BENCH-} == 1 ]]; then
	mem_used_kb() { awk '/^MemTotal:/ {t = $2} /^MemAvailable:/ {a = $2} END {print t - a}' /proc/meminfo; }
	peak=$(mktemp /tmp/dmm-vm-mem.XXXXXX) || exit 1
	mem_used_kb >"$peak"
	(
		while sleep 5; do
			u=$(mem_used_kb)
			[[ $u -gt $(cat "$peak") ]] && echo "$u" >"$peak"
		done
	) &
	sampler=$!
	echo "bench-scale-vm: kernel $(uname -r), $(nproc) CPUs, $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) (software emulation)"
	SC_KEEP=1 bench/scale.sh
	rc=$?
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	# dmmd's log (LOGLEVEL, err by default) outlives the machine in the
	# checkout; its most frequent lines, numbers and addresses masked.
	mkdir -p build/vm/bench-scale
	rm -f build/vm/bench-scale/dmmd.log
	for d in /tmp/dmm-bench-scale.*; do
		[[ -f $d/dmmd.log ]] && cp "$d/dmmd.log" build/vm/bench-scale/dmmd.log
	done
	if [[ -s build/vm/bench-scale/dmmd.log ]]; then
		echo "bench-scale-vm: dmmd's log, $(wc -l <build/vm/bench-scale/dmmd.log) lines, in build/vm/bench-scale/dmmd.log; the most frequent:"
		sed -E 's/[0-9a-f]*:[0-9a-f:]+(\/[0-9]+)?/ADDR/g; s/[0-9]+/N/g' build/vm/bench-scale/dmmd.log |
			sort | uniq -c | sort -rn | head -n 8
	fi
	# The kernel's warnings (an allocation failure, say), which the machine's console does not keep.
	dmesg --level=emerg,alert,crit,err,warn >build/vm/bench-scale/dmesg.txt 2>&1
	echo "bench-scale-vm: the kernel's warnings and errors: $(wc -l <build/vm/bench-scale/dmesg.txt) lines, in build/vm/bench-scale/dmesg.txt"
	head -n 20 build/vm/bench-scale/dmesg.txt
	awk -v u="$(cat "$peak")" '/^MemTotal:/ {printf "bench-scale-vm: machine memory in use at most %.2f GiB of %.2f GiB (MemTotal - MemAvailable, every 5 s)\n", u / 1048576, $2 / 1048576}' /proc/meminfo
	exit $rc
fi

# Every size and data plane: start-up, registration, handoffs and the
# stop at their limits, 3 rate phases, the echoes; then boot and power-off.
read -r -a sz <<<"$SIZES"
read -r -a dps <<<"$DATAPLANES"
n=$((${#sz[@]} * ${#dps[@]}))
secs=${BENCH_SECONDS:-3}
TIMEOUT=$((n * (START + 3 * LIMIT + 4 * secs + 120) + 600))
args=(-t "$TIMEOUT" -m "${VM_MEM:-6G}" -e DMM_VM_BENCH=1 -e "SIZES=$SIZES" -e "DATAPLANES=$DATAPLANES"
	-e "PHASE_LIMIT=$LIMIT" -e "SC_START_LIMIT=$START")
for v in BENCH_SECONDS WINDOW BENCH_HANDOFFS BENCH_INSTALLS BENCH_TRANSPORT LOGLEVEL; do
	[[ -n ${!v-} ]] && args+=(-e "$v=${!v}")
done
echo "bench-scale-vm: SIZES=\"$SIZES\" DATAPLANES=\"$DATAPLANES\" in a qemu machine (${VM_MEM:-6G}," \
	"phase limit $LIMIT s, killed after $TIMEOUT s)"
exec nice -n "${VM_NICE:-10}" tests/vm/run.sh "${args[@]}" -- bench/scale-vm.sh
