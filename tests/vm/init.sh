#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# PID 1 of the virtual machine of tests/vm/run.sh, after the initramfs
# switched to the host's root file system (read-only over 9p). Mounts what
# a Debian system has at boot (proc, sys, devtmpfs, devpts, tmpfs for the
# writable directories, cgroup2, bpffs), brings up lo, runs the command in
# the checkout as root, writes its exit status to /run/dmm-vm/status and
# powers off. The command and its environment come from /run/dmm-vm/cmd
# (written by run.sh); its output goes to /run/dmm-vm/out, which run.sh
# prints while it grows.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
CTL=/run/dmm-vm

off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=1777 vartmp /var/tmp
# /var/run is a link to /run on Debian; a directory only elsewhere.
[ -L /var/run ] || mount -t tmpfs -o mode=755 varrun /var/run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /run/lock /run/netns
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# Only warnings and worse from the kernel on the console.
echo 4 >/proc/sys/kernel/printk
hostname dmm-vm
ip link set lo up
# /dev/net/tun appears when tun is loaded; the user data plane opens it.
modprobe tun 2>/dev/null

# The command runs in the checkout, with the environment run.sh gave it.
cd "$(dirname "$0")/../.." || off
bash "$CTL/cmd" </dev/null >"$CTL/out" 2>&1
echo $? >"$CTL/status.tmp" && mv "$CTL/status.tmp" "$CTL/status"
off
