# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Shared by tests/daemon/{restart,nai,heartbeat}.sh: one LMA, one MAG and
# hosts, each in an anonymous network namespace (unshare -n: no names, so
# nothing collides with other runs), removed by the EXIT trap:
#
#   [ host ns h<i> ]       [ the script's ns ]                      [ LMA ns ]
#    h<i> (veth) ----- mn<i>  MAG 2001:db8:b:1::2 (lo)  t0 ----- t1  LMA 2001:db8:a:1::2 (lo)
#
# The script re-executes itself in a namespace of its own (pl_enter); the
# LMA's and each host's namespace is held by a sleeping process. dmmd's
# Mobility Header socket takes every MH that reaches its namespace, so the
# two daemons need two namespaces. The configs name "dataplane": "$PL_DP":
# kernel, or user on a kernel without SRv6 (tests/kfeat.sh).
#
# Before sourcing: NAME (for messages). Functions:
#   pl_enter "$@"          root check, then re-exec inside unshare -n
#   pl_setup               namespaces, links, addresses, routes; $T temp dir
#   pl_start lma|mag       dmmd with $T/<node>.json, log $T/<node>.log; waits for its socket
#   pl_stop lma|mag        SIGTERM and wait; sets $rc to dmmd's exit status
#   pl_host i MAC          host i (veth mn<i> <-> h<i>) with that MAC, link up
#   pl_flap i              host i's link down and up (detach, then attach again)
#   ctl node WHAT          dmmctl show WHAT --json
#   wait_for SECS 'cmd'    until cmd succeeds (0) or SECS pass (1)
#   check 'name' 'cmd'     count a pass or print FAIL
#   pl_done                print the summary; exit status 1 on any failure
set -u
DMMD=${DMMD:-$PWD/build/dmmd}
DMMCTL=${DMMCTL:-$PWD/build/dmmctl}
LMA_A=2001:db8:a:1::2
MAG_A=2001:db8:b:1::2

pl_enter() {
	# A test that cannot run fails: it must never look like a pass.
	if [ "$(id -u)" -ne 0 ]; then
		echo "$NAME: FAIL needs root (private network namespaces)"
		exit 1
	fi
	for t in jq unshare nsenter ip; do
		command -v "$t" >/dev/null || { echo "$NAME: FAIL $t missing"; exit 1; }
	done
	[ -x "$DMMD" ] && [ -x "$DMMCTL" ] || { echo "$NAME: FAIL $DMMD or $DMMCTL not built (make all)"; exit 1; }
	if [ "${1:-}" != "--inside" ]; then
		# The daemons' data plane: kernel, or user on a kernel without SRv6.
		# shellcheck source=tests/kfeat.sh
		. tests/kfeat.sh
		PL_DP=$(kfeat_dp)
		export PL_DP
		exec unshare -n "$0" --inside
	fi
	PL_DP=${PL_DP:-kernel}
}

T=
LMANS=
HOSTS=
LMAPID=
MAGPID=
pass=0
fail=0

pl_cleanup() {
	for p in $MAGPID $LMAPID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	for p in $HOSTS $LMANS; do kill "$p" 2>/dev/null; done
	[ -n "$T" ] && rm -rf "$T"
}

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "$NAME: FAIL $*"
}
# The condition runs in a subshell of this one, so it may call ctl and the other functions.
check() { if (eval "$2") >/dev/null 2>&1; then ok; else bad "$1"; fi; }
wait_for() {
	n=$(($1 * 10))
	while [ "$n" -gt 0 ]; do
		(eval "$2") >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
lns() { nsenter -t "$LMANS" -n "$@"; }
ctl() { "$DMMCTL" show "$2" -s "$T/$1.sock" --json; }

pl_setup() {
	T=$(mktemp -d)
	trap pl_cleanup EXIT
	unshare -n sleep 300 &
	LMANS=$!
	sleep 0.2
	ip link set lo up
	ip -6 addr add $MAG_A/128 dev lo nodad
	sysctl -qw net.ipv6.conf.all.forwarding=1
	ip link add t0 type veth peer name t1
	ip link set t1 netns "$LMANS"
	ip -6 addr add fe80::b/64 dev t0 nodad
	ip link set t0 up
	ip -6 route add $LMA_A/128 via fe80::a dev t0
	lns ip link set lo up
	lns ip -6 addr add $LMA_A/128 dev lo nodad
	lns ip -6 addr add fe80::a/64 dev t1 nodad
	lns ip link set t1 up
	lns ip -6 route add $MAG_A/128 via fe80::b dev t1
	lns sysctl -qw net.ipv6.conf.all.forwarding=1
}

pl_start() {
	rm -f "$T/$1.sock"
	if [ "$1" = lma ]; then
		# nsenter execs dmmd: $! is dmmd itself (a shell function here would be a subshell).
		nsenter -t "$LMANS" -n "$DMMD" -c "$T/lma.json" 2>>"$T/lma.log" &
		LMAPID=$!
	else
		"$DMMD" -c "$T/mag.json" 2>>"$T/mag.log" &
		MAGPID=$!
	fi
	wait_for 5 "[ -S '$T/$1.sock' ]"
}

pl_stop() {
	if [ "$1" = lma ]; then p=$LMAPID; LMAPID=; else p=$MAGPID; MAGPID=; fi
	kill -TERM "$p" && wait "$p"
	rc=$?
}

pl_host() {
	unshare -n sleep 300 &
	hp=$!
	HOSTS="$HOSTS $hp"
	sleep 0.1
	eval "HOST$1=$hp"
	ip link add "mn$1" type veth peer name "h$1"
	ip link set "h$1" address "$2" netns "$hp"
	nsenter -t "$hp" -n ip link set lo up
	nsenter -t "$hp" -n ip link set "h$1" up
}

pl_flap() {
	hp=$(eval echo "\$HOST$1")
	nsenter -t "$hp" -n ip link set "h$1" down
	sleep 0.5
	nsenter -t "$hp" -n ip link set "h$1" up
}

pl_done() {
	echo "$NAME: $pass passed, $fail failed"
	if [ "$fail" -ne 0 ]; then
		for n in lma mag; do
			[ -f "$T/$n.log" ] && { echo "--- $n.log (last 30 lines)"; tail -n 30 "$T/$n.log"; }
		done
	fi
	[ "$fail" -eq 0 ]
}
