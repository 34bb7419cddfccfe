#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the small initramfs that tests/vm/run.sh builds: busybox only.
# Loads the virtio and 9p modules (copied in, in dependency order, with
# /modules.order), mounts the host's root file system read-only over
# virtio-9p (tag "root") as the new root, the repository checkout
# read-write (tag "repo") at its own path and the run's control directory
# (tag "ctl": the command, its output, its status) at /run/dmm-vm, then
# hands over to tests/vm/init.sh of the checkout. Any failure powers off
# without a status file: run.sh then fails and shows the console.
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
# shellcheck source=/dev/null
. /vm.conf # VM_REPO: the checkout's path on the host and in the VM

fail() {
	echo "vm initramfs: $*" >/dev/console
	/bin/busybox sleep 1
	echo o >/proc/sysrq-trigger
	/bin/busybox sleep 10
}

while read -r m; do
	/bin/busybox insmod "/modules/$m" || fail "insmod $m failed"
done </modules.order

opts=trans=virtio,version=9p2000.L,msize=262144
/bin/busybox mount -t 9p -o "$opts,cache=loose,ro" root /newroot || fail "mounting the 9p root failed"
/bin/busybox mount -t tmpfs -o mode=755 run /newroot/run || fail "no tmpfs on /run"
/bin/busybox mkdir -p /newroot/run/dmm-vm
/bin/busybox mount -t 9p -o "$opts,cache=mmap" ctl /newroot/run/dmm-vm || fail "mounting the control share failed"
/bin/busybox mount -t 9p -o "$opts,cache=mmap" repo "/newroot$VM_REPO" || fail "mounting the checkout ($VM_REPO) failed"
/bin/busybox umount /proc
/bin/busybox umount /dev
exec /bin/busybox switch_root /newroot /bin/sh "$VM_REPO/tests/vm/init.sh"
