# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# tests/kfeat.sh: the kernel features some tests need, probed on this
# kernel, never assumed. Sourced by the test scripts (POSIX sh and bash).
#
#   kfeat FEATURE        0 when this kernel has FEATURE, 1 when it lacks it
#                        (the probe was refused as unsupported and the kernel
#                        config, where readable, does not set it). A probe
#                        that fails any other way is not a missing feature:
#                        it prints why and returns 2, and the test fails.
#   kfeat_need FEATURE WHAT
#                        0 when FEATURE is there. Otherwise prints
#                        "WHAT: not run: ..." with the config option and the
#                        kernel release, appends that line to $DMM_NOTRUN
#                        (make check lists them at the end) and returns 1.
#                        DMM_KERNEL_FEATURES=required turns "not run" into a
#                        failure (return 2), for machines that must run all.
#   kfeat_dp             "kernel" when SRv6 is there, else "user": the data
#                        plane for tests whose subject is not the data plane.
#
# FEATURE is one of
#   seg6     SRv6 lightweight tunnels (CONFIG_IPV6_SEG6_LWTUNNEL): the
#            kernel data plane (encap.red, End.DT6)
#   mroute   IPv6 multicast routing (CONFIG_IPV6_MROUTE): the MLD proxies'
#            forwarding (MRT6)
#   clsact   TC clsact (CONFIG_NET_SCH_INGRESS): the bpf data plane

kfeat_option() {
	case $1 in
	seg6) echo CONFIG_IPV6_SEG6_LWTUNNEL ;;
	mroute) echo CONFIG_IPV6_MROUTE ;;
	clsact) echo CONFIG_NET_SCH_INGRESS ;;
	*) return 1 ;;
	esac
}

kfeat_title() {
	case $1 in
	seg6) echo "SRv6 lightweight tunnels" ;;
	mroute) echo "IPv6 multicast routing" ;;
	clsact) echo "TC clsact" ;;
	esac
}

# The probe proper, in a namespace of its own; prints the kernel's error.
kfeat_probe() {
	_kf_ns=dmm-kfeat-$$-$1
	ip netns add "$_kf_ns" 2>&1 || return 2
	ip -n "$_kf_ns" link add k0 type veth peer name k1 2>/dev/null
	ip -n "$_kf_ns" link set k0 up 2>/dev/null
	ip -n "$_kf_ns" link set k1 up 2>/dev/null
	case $1 in
	seg6)
		ip -n "$_kf_ns" -6 route add 2001:db8:ffff::/64 encap seg6 mode encap.red \
			segs 2001:db8::1 dev k0 2>&1
		;;
	mroute)
		ip netns exec "$_kf_ns" test -e /proc/net/ip6_mr_vif ||
			{ echo "no /proc/net/ip6_mr_vif: not supported" && false; }
		;;
	clsact) tc -n "$_kf_ns" qdisc add dev k1 clsact 2>&1 ;;
	esac
	_kf_rc=$?
	ip netns del "$_kf_ns" 2>/dev/null
	return $_kf_rc
}

kfeat() {
	_kf_opt=$(kfeat_option "$1") || {
		echo "kfeat: unknown feature $1" >&2
		return 2
	}
	if [ "$(id -u)" -ne 0 ]; then
		echo "kfeat: $1: not root: cannot probe" >&2
		return 2
	fi
	_kf_err=$(kfeat_probe "$1") && return 0
	# Missing only when the kernel said so, and its config agrees.
	case $_kf_err in
	*"not supported"* | *"Not supported"*) ;;
	*)
		echo "kfeat: $1: the probe failed: $_kf_err" >&2
		return 2
		;;
	esac
	if [ -r /proc/config.gz ] && zcat /proc/config.gz | grep -q "^$_kf_opt=[ym]"; then
		echo "kfeat: $1: $_kf_opt is set but the probe failed: $_kf_err" >&2
		return 2
	fi
	return 1
}

kfeat_need() {
	kfeat "$1"
	_kf_rc=$?
	[ $_kf_rc -eq 0 ] && return 0
	[ $_kf_rc -eq 2 ] && return 2
	_kf_line="$2: not run: this kernel ($(uname -r)) has no $(kfeat_title "$1") ($(kfeat_option "$1"))"
	if [ "${DMM_KERNEL_FEATURES-}" = required ]; then
		echo "$_kf_line, and DMM_KERNEL_FEATURES=required: FAIL"
		return 2
	fi
	echo "$_kf_line"
	[ -n "${DMM_NOTRUN-}" ] && echo "$_kf_line" >>"$DMM_NOTRUN"
	return 1
}

kfeat_dp() {
	kfeat seg6
	if [ $? -eq 1 ]; then echo user; else echo kernel; fi
}

# kfeat_need_or_exit FEATURE WHAT: kfeat_need, then exit 0 ("not run") or
# exit 1 (the probe failed, or DMM_KERNEL_FEATURES=required).
kfeat_need_or_exit() {
	kfeat_need "$1" "$2"
	case $? in
	1) exit 0 ;;
	2) exit 1 ;;
	esac
}

# kfeat_lacks FEATURE WHAT: true only when WHAT is "not run" (kfeat_need
# returned 1); a failed probe or DMM_KERNEL_FEATURES=required lets it run
# and fail.
kfeat_lacks() {
	kfeat_need "$1" "$2"
	[ $? -eq 1 ]
}

# kfeat_need_dp DATAPLANE WHAT: kfeat_need_or_exit for what a data plane
# set-up of the lab needs (kernel and mixed: SRv6).
kfeat_need_dp() {
	case $1 in
	kernel | mixed | kernel:* | mixed:*) kfeat_need_or_exit seg6 "$2" ;;
	esac
}
