#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/vm/check.sh TEST...: make check's run of the kernel-feature tests in
# the machine of tests/vm/run.sh (Debian's stock kernel under qemu), when
# this kernel lacks SRv6 or IPv6 multicast routing (tests/kfeat.sh). On a
# kernel that has both, the same tests ran on it and this says so. The
# list is the part of make vm-check that has no time bound an emulated
# machine can miss (README, "Kernel requirements").
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
kfeat seg6
s=$?
kfeat mroute
m=$?
if [ $s -eq 0 ] && [ $m -eq 0 ]; then
	echo "vm: this kernel has SRv6 and MRT6: the kernel tests ran on it, not in a machine"
	exit 0
fi
tests/deps.sh vm || exit 1
exec tests/vm/run.sh -t 1500 -- tests/vm/suite.sh "$@"
