#!/bin/sh
# Installs the Debian packages that building and testing dmm need. As
# root it runs apt-get update once and apt-get install for what is
# missing; otherwise it names the missing packages and stops.
set -u
pkgs="build-essential clang clang-format libclang-rt-14-dev libjansson-dev libpcap-dev libmnl-dev
libnftables-dev libnftables1 nftables
tshark python3-scapy tcpdump iproute2 iputils-ping iperf3 procps jq
libyang2-tools"
missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make check' as root, or: apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null
apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
echo "deps: installed$missing"
