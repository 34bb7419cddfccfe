#!/bin/sh
# Installs the Debian packages that building and testing dmm need.
#
#   tests/deps.sh [demo|check|vm]
#
# demo:  what `make demo` needs (a C compiler, make, libjansson-dev);
# check: everything `make check` needs (the default), with vm's;
# vm:    what tests/vm/run.sh needs (make vm-check): Debian's stock kernel
#        and qemu, to run the kernel-feature tests on a kernel lacking them.
# As root it runs apt-get update once and apt-get install for what is
# missing; otherwise it names the missing packages and the command that
# installs them, and exits 1.
set -u
set_name=${1:-check}
case $set_name in
demo)
	pkgs="gcc make libc6-dev libjansson-dev"
	;;
vm)
	pkgs="linux-image-amd64 qemu-system-x86 busybox-static cpio"
	;;
check)
	pkgs="linux-image-amd64 qemu-system-x86 busybox-static cpio
build-essential clang clang-format libclang-rt-14-dev libjansson-dev libpcap-dev libmnl-dev
libnftables-dev libnftables1 nftables
tshark python3-scapy tcpdump iproute2 iputils-ping iperf3 procps jq xxd
libyang2-tools libyang2-dev libnetconf2-dev libssh-dev libyuma-base python3-ncclient openssh-client libssl-dev libbpf-dev bpftool bird2 libmicrohttpd-dev prometheus curl
libxml2-utils chromium smcroute libc-ares-dev dnsmasq-base"
	;;
*)
	echo "usage: $0 [demo|check|vm]" >&2
	exit 2
	;;
esac
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system (no dpkg-query); install the equivalents of: $pkgs" >&2
	exit 1
fi
missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "deps ($set_name): all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps ($set_name): missing Debian packages:$missing" >&2
	echo "deps ($set_name): install them as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps ($set_name): installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null
apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
echo "deps ($set_name): installed$missing"
