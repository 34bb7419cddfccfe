#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs a command as root in a qemu virtual machine on Debian's stock kernel
# (package linux-image-amd64), for the tests that need kernel features the
# host's kernel may lack (SRv6 lightweight tunnels, IPv6 multicast routing,
# ip6tnl: tests/kfeat.sh). Software emulation (TCG): no /dev/kvm needed.
#
#   tests/vm/run.sh [-t SECONDS] [-m MEMORY] [-k VMLINUZ] [-e VAR=VALUE]... [-v] -- COMMAND...
#
#   -t  kill the machine and fail after SECONDS (default 900)
#   -m  the machine's memory (default 3G)
#   -k  the kernel (default: the newest /boot/vmlinuz-*-amd64 whose
#       modules are in /lib/modules: Debian's, not the running one)
#   -e  set VAR=VALUE in the command's environment (DMM_KERNEL_FEATURES=
#       required is set unless given: a missing feature fails, never
#       "not run")
#   -v  copy the machine's console (kernel messages) to stderr
#
# The machine's root file system is the host's, read-only over virtio-9p,
# with tmpfs on /tmp, /run, /var/tmp and /dev/shm, so it runs the programs
# built on the host (make -j2 all first) with the host's libraries, and
# modprobe finds the stock kernel's modules in /lib/modules. This checkout
# is shared read-write at its own path: the command runs there and writes
# build/ and logs. The machine has no network device: the tests' traffic
# stays in its namespaces. A small initramfs (busybox-static, the virtio
# and 9p modules; tests/vm/initrd-init.sh) is built at each run, since the
# stock initrd cannot mount a 9p root; tests/vm/init.sh is PID 1 after it.
#
# Prints the command's output as it comes and exits with its status,
# passed out through a shared control directory (not read from the
# console); 124 when the machine timed out, 125 when it stopped without
# a status (boot failure: the console is shown).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd -P) || exit 1
TIMEOUT=900
MEM=3G
KERNEL=
VERBOSE=0
ENVS=()

usage() {
	sed -n '/^#   tests\/vm/,/^#   -v/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while getopts t:m:k:e:vh o; do
	case $o in
	t) TIMEOUT=$OPTARG ;;
	m) MEM=$OPTARG ;;
	k) KERNEL=$OPTARG ;;
	e) ENVS+=("$OPTARG") ;;
	v) VERBOSE=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ ${1-} == -- ]] && shift
[[ $# -gt 0 ]] || usage

if [[ $(id -u) -ne 0 ]]; then
	echo "vm: needs root (qemu exports the root file system as root)" >&2
	exit 1
fi
QEMU=$(command -v qemu-system-x86_64) || {
	echo "vm: no qemu-system-x86_64 (apt-get install qemu-system-x86; tests/deps.sh vm)" >&2
	exit 1
}
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || {
	echo "vm: no $BUSYBOX (apt-get install busybox-static)" >&2
	exit 1
}

# The newest Debian kernel with its modules installed.
if [[ -z $KERNEL ]]; then
	while read -r k; do
		[[ -d /lib/modules/${k#/boot/vmlinuz-} ]] && KERNEL=$k
	done < <(printf '%s\n' /boot/vmlinuz-*-amd64 | sort -V)
fi
[[ -n $KERNEL && -r $KERNEL ]] || {
	echo "vm: no Debian kernel in /boot (apt-get install linux-image-amd64)" >&2
	exit 1
}
KVER=${KERNEL#/boot/vmlinuz-}
MODDIR=/lib/modules/$KVER
[[ -r $MODDIR/modules.dep ]] || {
	echo "vm: $MODDIR/modules.dep missing for $KERNEL" >&2
	exit 1
}

TMP=$(mktemp -d /tmp/dmm-vm.XXXXXX) || exit 1
QPID=
TPID=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[[ -n $TPID ]] && kill "$TPID" 2>/dev/null
	# timeout(1) passes TERM on to qemu
	[[ -n $QPID ]] && kill "$QPID" 2>/dev/null
	[[ -n $QPID ]] && wait "$QPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the initramfs: busybox, the modules for virtio-pci and 9p, /init ---
IRD=$TMP/initrd
mkdir -p "$IRD/bin" "$IRD/modules" "$TMP/ctl"
cp "$BUSYBOX" "$IRD/bin/busybox"
ln -s busybox "$IRD/bin/sh"
cp "$REPO/tests/vm/initrd-init.sh" "$IRD/init"
chmod 755 "$IRD/init"
printf 'VM_REPO=%q\n' "$REPO" >"$IRD/vm.conf"

# Appends MODULE (a path relative to MODDIR, as in modules.dep) and, first,
# what it depends on, to modules.order, each once. Compressed modules are
# uncompressed: busybox insmod takes plain ELF.
declare -A LOADED
add_module() {
	local m=$1 dep name
	[[ -n ${LOADED[$m]-} ]] && return 0
	LOADED[$m]=1
	# shellcheck disable=SC2013 # module paths have no spaces
	for dep in $(awk -v m="$m:" '$1 == m { $1 = ""; print }' "$MODDIR/modules.dep"); do
		add_module "$dep" || return 1
	done
	name=$(basename "$m")
	case $m in
	*.ko) cp "$MODDIR/$m" "$IRD/modules/$name" ;;
	*.ko.xz) name=${name%.xz} && xz -dc "$MODDIR/$m" >"$IRD/modules/$name" ;;
	*.ko.zst) name=${name%.zst} && zstd -qdc "$MODDIR/$m" >"$IRD/modules/$name" ;;
	*.ko.gz) name=${name%.gz} && gzip -dc "$MODDIR/$m" >"$IRD/modules/$name" ;;
	*) return 1 ;;
	esac || return 1
	echo "$name" >>"$IRD/modules.order"
}
# A module that is built in has no line in modules.dep: nothing to load.
for mod in virtio_pci 9pnet_virtio 9p; do
	path=$(awk -v m="$mod" '{ f = $1; sub(":$", "", f); n = f; sub(".*/", "", n); sub("\\.ko.*", "", n);
		gsub("-", "_", n); if (n == m) { print f; exit } }' "$MODDIR/modules.dep")
	[[ -z $path ]] && continue
	add_module "$path" || {
		echo "vm: cannot copy $mod ($path) from $MODDIR" >&2
		exit 1
	}
done
touch "$IRD/modules.order"
(cd "$IRD" && find . | cpio -o -H newc --quiet | gzip -1) >"$TMP/initrd.gz" || exit 1

# --- the command, with its environment, for tests/vm/init.sh ---
{
	echo "cd $(printf %q "$REPO") || exit 1"
	has_kf=0
	for e in "${ENVS[@]}"; do
		[[ $e == DMM_KERNEL_FEATURES=* ]] && has_kf=1
		printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
	done
	[[ $has_kf -eq 1 ]] || echo "export DMM_KERNEL_FEATURES=required"
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$TMP/ctl/cmd"
: >"$TMP/ctl/out"

# --- the machine ---
# -nic none and -nodefaults: no network device; the only devices are the
# three 9p shares (the root read-only, the control directory and the
# checkout read-write) and the serial console.
t0=$(date +%s%N)
fs=local,security_model=none,multidevs=remap
timeout -k 5 "$TIMEOUT" "$QEMU" \
	-accel tcg,thread=multi -smp 2 -m "$MEM" -cpu max \
	-nodefaults -nographic -no-reboot -nic none \
	-serial "file:$TMP/console" -monitor none \
	-kernel "$KERNEL" -initrd "$TMP/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic" \
	-fsdev "$fs,id=root,path=/,readonly=on" -device virtio-9p-pci,fsdev=root,mount_tag=root \
	-fsdev "$fs,id=ctl,path=$TMP/ctl" -device virtio-9p-pci,fsdev=ctl,mount_tag=ctl \
	-fsdev "$fs,id=repo,path=$REPO" -device virtio-9p-pci,fsdev=repo,mount_tag=repo \
	</dev/null >"$TMP/qemu.log" 2>&1 &
QPID=$!
if [[ $VERBOSE -eq 1 ]]; then
	tail -n +1 -F --pid="$QPID" "$TMP/console" >&2 2>/dev/null &
fi
# The command's output, as it comes, until the machine stops.
tail -n +1 -f --pid="$QPID" "$TMP/ctl/out" &
TPID=$!
wait "$QPID"
qrc=$?
QPID=
wait "$TPID"
TPID=
secs=$((($(date +%s%N) - t0) / 1000000000))

if [[ -s $TMP/ctl/status ]]; then
	rc=$(cat "$TMP/ctl/status")
	echo "vm: $KVER: exit status $rc after ${secs} s (boot, run, power off)" >&2
	exit "$rc"
fi
if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
	echo "vm: $KVER: timed out after $TIMEOUT s: qemu killed" >&2
	rc=124
else
	echo "vm: $KVER: the machine stopped without a status (qemu exit $qrc)" >&2
	rc=125
fi
echo "vm: the console's last lines:" >&2
tail -n 30 "$TMP/console" >&2 2>/dev/null
[[ -s $TMP/qemu.log ]] && sed 's/^/vm: qemu: /' "$TMP/qemu.log" >&2
exit "$rc"
