# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared helpers for the data plane namespace tests (tests/dp/*.sh), in the
# manner of WireGuard's netns.sh: unique namespace names, one cleanup trap,
# pass/fail counting. Source it, then call dp_init NAME.
#
#   dp_init NAME        per-run suffix, temp dir, "trap dp_cleanup EXIT"
#   dp_ns VAR           create a namespace, store its name in VAR
#   dp_link NS1 IF1 NS2 IF2   a veth pair between two namespaces, both up
#   dp_bg VAR CMD...    start CMD in the background, remember its pid
#   dp_check NAME CMD...      run CMD, count and print pass or fail
#   dp_wait_line FILE REGEX [SECONDS]   wait until FILE has a matching line
#   dp_summary LABEL    print "LABEL: N passed, M failed"; exit 1 on failure
#
# DP_VERBOSE=1 shows the output of passing checks too.

DP_NS=()
DP_PIDS=()
DP_PASSED=0
DP_FAILED=0
DP_TMP=""
DP_SUFFIX=""

dp_cleanup() {
	local pid ns
	set +e
	for pid in "${DP_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${DP_PIDS[@]}"; do
		# Give a backend its chance to remove its routes, then insist.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${DP_NS[@]}"; do
		# Deleting the namespace takes its routes, rules and veths with it.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[[ -n $DP_TMP && -z ${DP_KEEP:-} ]] && rm -rf "$DP_TMP"
}

dp_init() {
	DP_SUFFIX="$(printf '%04x%04x' $RANDOM $RANDOM)"
	DP_TMP="$(mktemp -d "/tmp/dmm-$1.XXXXXX")"
	trap dp_cleanup EXIT
	trap 'exit 130' INT TERM
}

dp_ns() {
	local name="dmm-$1-$DP_SUFFIX"
	ip netns add "$name" || exit 1
	DP_NS+=("$name")
	ip -n "$name" link set lo up
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ip netns exec "$name" sysctl -qw net.ipv6.conf.default.accept_dad=0
	printf -v "$1" '%s' "$name"
}

dp_link() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || exit 1
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

dp_bg() {
	local var=$1
	shift
	"$@" &
	DP_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}

dp_check() {
	local name=$1
	shift
	if "$@" >"$DP_TMP/check.out" 2>&1; then
		DP_PASSED=$((DP_PASSED + 1))
		printf '  pass  %s\n' "$name"
		[[ ${DP_VERBOSE:-0} == 1 ]] && sed 's/^/        /' "$DP_TMP/check.out" | tail -n 15
	else
		DP_FAILED=$((DP_FAILED + 1))
		printf '  FAIL  %s\n' "$name"
		sed 's/^/        /' "$DP_TMP/check.out" | tail -n 15
	fi
}

dp_wait_line() {
	local file=$1 re=$2 secs=${3:-5} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timeout waiting for /$re/ in $file:"
	cat "$file" 2>/dev/null
	return 1
}

dp_summary() {
	echo "$1: $DP_PASSED passed, $DP_FAILED failed"
	[[ $DP_FAILED -eq 0 ]]
}

# The batch tests' set-up: GW (the data plane, LOCAL on tr, access link
# acc, and a link "gone" a test deletes to make the kernel refuse) and PE
# (PEER on tr); a fifo DP_TMP/in for dp-tool's commands, its output in DP_TMP/out.
dp_batch_topology() {
	dp_ns GW
	dp_ns PE
	dp_link "$GW" tr "$PE" tr
	dp_link "$GW" acc "$PE" acc
	ip -n "$GW" link add gone type veth peer name gone-p
	ip -n "$GW" link set gone up
	ip -n "$GW" addr add "$LOCAL/64" dev tr
	ip -n "$PE" addr add "$PEER/64" dev tr
	mkfifo "$DP_TMP/in"
	: >"$DP_TMP/out"
}

# dp-tool sessions over fifos (tests/dp/kernel.sh, bpf.sh): DP_BACKEND
# names the backend.
#   start_dp NAME NS ARGS...  dp-tool DP_BACKEND in NS, reading the
#                             commands of NAME from a fifo; waits for open
#   dp_cmd NAME LINE          one command
#   close_in NAME             end of input for that dp-tool
#   stop_dp NAME              close through the command, wait for the exit
#   ping_ok NS DST / ping_fails NS DST
declare -A DPFD DPPID
start_dp() {
	local name=$1 ns=$2 fd pid
	shift 2
	rm -f "$DP_TMP/$name.in"
	mkfifo "$DP_TMP/$name.in"
	: >"$DP_TMP/$name.out"
	ip netns exec "$ns" "$DPTOOL" "$DP_BACKEND" "$@" <"$DP_TMP/$name.in" >>"$DP_TMP/$name.out" 2>&1 &
	pid=$!
	DP_PIDS+=("$pid")
	exec {fd}>"$DP_TMP/$name.in"
	DPFD[$name]=$fd
	DPPID[$name]=$pid
	dp_wait_line "$DP_TMP/$name.out" '^(ok|error) open'
}
close_in() {
	local fd=${DPFD[$1]}
	exec {fd}>&-
}
dp_cmd() { echo "$2" >&"${DPFD[$1]}"; }
stop_dp() {
	dp_cmd "$1" close
	close_in "$1"
	wait "${DPPID[$1]}" 2>/dev/null
}
ping_ok() { ip netns exec "$1" ping -6 -c 3 -i 0.2 -W 1 "$2"; }
ping_fails() { ! ip netns exec "$1" ping -6 -c 2 -i 0.2 -W 1 "$2"; }
