#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/kernel-features.sh: what this kernel offers the suites of make check,
# printed once at the start so that a suite that then fails for want of a
# kernel feature is explained at the top of the log. It decides nothing:
# the suites that need a missing feature run and fail, each with the reason.
#   SRv6 lightweight tunnels  the kernel data plane (encap.red, End.DT6)
#   IPv6 multicast routing    the MLD proxies' forwarding (MRT6)
#   TC eBPF (clsact)          the bpf data plane
ns=dmm-kfeat-$$
echo "kernel: $(uname -r)"
if [ "$(id -u)" -ne 0 ]; then
	echo "kernel: not root: features not probed"
	exit 0
fi
ip netns add "$ns" 2>/dev/null || { echo "kernel: no network namespaces"; exit 0; }
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip -n "$ns" link add k0 type veth peer name k1 2>/dev/null
ip -n "$ns" link set k0 up 2>/dev/null
say() {
	if [ "$2" -eq 0 ]; then
		echo "kernel: $1: yes"
	else
		echo "kernel: $1: NO, the suites that need it fail ($3)"
	fi
}
ip -n "$ns" -6 route add 2001:db8:ffff::/64 encap seg6 mode encap.red segs 2001:db8::1 dev k0 2>/dev/null
say "SRv6 lightweight tunnels" $? "kernel data plane: CONFIG_IPV6_SEG6_LWTUNNEL"
ip netns exec "$ns" test -e /proc/net/ip6_mr_vif
say "IPv6 multicast routing" $? "multicast labs: CONFIG_IPV6_MROUTE"
ip -n "$ns" link set k1 up 2>/dev/null
tc -n "$ns" qdisc add dev k1 clsact 2>/dev/null
say "TC clsact" $? "bpf data plane: CONFIG_NET_SCH_INGRESS"
exit 0
