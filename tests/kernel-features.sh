#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/kernel-features.sh: what this kernel offers the suites of make check
# (tests/kfeat.sh probes it), printed once at the start. A test whose
# subject needs a feature this kernel lacks says "not run" with the reason,
# and make check lists those at the end; a test that only uses the kernel
# data plane on the way to its subject runs on the user data plane instead.
#   SRv6 lightweight tunnels  the kernel data plane (encap.red, End.DT6)
#   IPv6 multicast routing    the MLD proxies' forwarding (MRT6)
#   TC clsact                 the bpf data plane
cd "$(dirname "$0")/.." || exit 1
. tests/kfeat.sh
echo "kernel: $(uname -r)"
if [ "$(id -u)" -ne 0 ]; then
	echo "kernel: not root: features not probed"
	exit 0
fi
for f in seg6 mroute clsact; do
	kfeat $f
	case $? in
	0) echo "kernel: $(kfeat_title $f): yes" ;;
	1) echo "kernel: $(kfeat_title $f): NO ($(kfeat_option $f) not set): the tests that need it do not run" ;;
	*) echo "kernel: $(kfeat_title $f): the probe failed: the tests that need it fail" ;;
	esac
done
exit 0
