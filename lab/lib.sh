# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The functions of the namespace labs, shared by the scenario scripts
# (lab/pmip-fig4.sh, lab/dmm.sh) and the tests and measurements that source
# them (tests/lab/*.sh, lab/measure.sh). A scenario sets LAB_NODES, ADDR[]
# and LAB_DAEMONS (its dmmd nodes), writes $LAB_TMP/NODE.json, and uses:
#
#   lab_init NAME             temp dir, unique names (suffix), cleanup trap,
#                             an empty $LAB_TMP/handovers
#   lab_opt ARGS...           the options every scenario script takes (--keep,
#                             --down DIR, --help); exits on an unknown one
#   lab_need_root NAME        exit 1 with a message unless root
#   lab_need_tools            status 1 with a message unless dmmd, dmmctl and
#                             lab-traffic are built
#   lab_ns_add NODE           a namespace for NODE, lo up, no DAD on routers
#   lab_exec NODE CMD...      run CMD in NODE's namespace
#   lab_bg VAR NODE CMD...    CMD in NODE's namespace in the background, pid in VAR
#   lab_stop_pid PID          SIGTERM, wait (SIGKILL after 5 s)
#   lab_p2p A B PFX MTU       a veth A (named B) <-> B (named A), PFX::1 on A, PFX::2 on B
#   lab_node_json NODE ROLE HB_MS [DP] <BODY   NODE's dmmd config
#   ctl NODE ARGS...          dmmctl ARGS --json against NODE's dmmd
#   dmmd_start NODE / dmmd_stop NODE / dmmd_alive NODE
#   wait_for SECS CMD...      poll CMD every 0.1 s until it succeeds; status 1 on timeout
#   cap_start VAR NODE IF FILE / cap_stop PID   tcpdump, waits until it listens
#                             (snap length CAP_SNAPLEN, default 256; 0: whole packets)
#   check NAME CMD... / info TEXT / summary LABEL   verdicts and figures
#   dump_logs_on_failure      the end of each LAB_DAEMONS log, once a check failed
#   lab_leftovers             no proto 0xd3 route, rule, TUN or tunnel device
#                             in a LAB_DAEMONS namespace (after dmmd_stop)
#
# Attach and move (fast attach, docs/dmmd.md): dmmd logs an access link's
# carrier-up and each attach with the monotonic clock in microseconds.
#   LAB_CFG_JQ                a jq filter dmmd_start applies to every node's
#                             config (e.g. '.["dmm:node"].mag["attach-probe"] = false'
#                             guarded by "if ... then ... else . end")
#   lab_log_mark NODE         the current length of NODE's log (for lab_attach_us)
#   lab_attach_us NODE IF [MARK]  one line per attach on IF in NODE's log after
#                             MARK: "CARRIER_UP_US ATTACH_US DETECTION_US PROBES"
#                             (monotonic us; detection = attach - carrier-up)
#   lab_move_link IF FROM TO  move access link IF from node FROM's namespace to
#                             TO's (the MN's carrier flaps), appended to
#                             $LAB_TMP/handovers with the wall-clock time
#
# Mobility security associations (RFC 4285 option 9 between signalling
# peers; off with LAB_AUTH=0): one per pair of nodes, the same on both ends.
#   lab_sa A B [ALGO]         a fresh key for the pair A-B (hmac-sha1-96 by
#                             default, or hmac-sha256-128), its own SPI
#   lab_sa_key A B ALGO TAG   one more key for the pair (for a rollover), in
#                             SA_SPI and SA_FILE; LAB_SA[PAIR] lists the
#                             pair's keys "SPI:ALGO:FILE ...", the first sends
#   lab_pair A B              the pair's name (the two nodes, sorted)
#   lab_security NODE PEER... NODE's "security" leaf, with a trailing comma
#                             (nothing with LAB_AUTH=0)
#   lab_sa_all                every key of every association, one a line
#   lab_auth_stats NODE PEER  NODE's authentication counters for PEER (JSON)
#
# Everything created is written to $LAB_TMP/state, so that the EXIT trap (or
# "--down DIR" for a lab kept with --keep) removes it: dmmd processes first
# (each removes its own routes, rules and devices), then the namespaces.
set -u

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DMMD=${DMMD:-$LAB_ROOT/build/dmmd}
DMMCTL=${DMMCTL:-$LAB_ROOT/build/dmmctl}
TRAFFIC=${TRAFFIC:-$LAB_ROOT/build/lab-traffic}

# shellcheck disable=SC2034 # ADDR: each node's address, filled and read by the scripts
declare -A NS=() DPID=() ADDR=()
LAB_DAEMONS=()
LAB_TMP=""
LAB_KEEP=0
LAB_SUFFIX=""
PASSED=0
FAILED=0
LAB_AUTH=${LAB_AUTH:-1}
LAB_REPLAY_WINDOW=${LAB_REPLAY_WINDOW:-7}
declare -A LAB_SA=()
LAB_SPI_NEXT=4096

lab_log() {
	printf '[%s] %s\n' "$(date +%T.%3N)" "$*" >&2
}

lab_state() {
	[[ -n $LAB_TMP ]] && echo "$*" >>"$LAB_TMP/state"
}

lab_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Tear down everything listed in a state file (this run's or a kept one's).
lab_down_dir() {
	local dir=$1 kind val
	[[ -f $dir/state ]] || return 0
	while read -r kind val; do
		[[ $kind == dmmd || $kind == pid ]] && lab_stop_pid "$val"
	done <"$dir/state"
	while read -r kind val; do
		if [[ $kind == ns ]]; then
			ip netns pids "$val" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
			ip netns del "$val" 2>/dev/null
		fi
	done <"$dir/state"
	rm -rf -- "$dir"
}

# A script may define lab_keep_hint to print how to inspect a kept lab.
lab_cleanup() {
	local rc=$?
	set +e
	trap - EXIT
	if [[ $LAB_KEEP -eq 1 && -n $LAB_TMP ]]; then
		echo "lab left up (suffix $LAB_SUFFIX): logs and configs in $LAB_TMP"
		echo "  namespaces: ${NS[*]}"
		declare -F lab_keep_hint >/dev/null && lab_keep_hint
		exit "$rc"
	fi
	# LAB_SAVE_LOGS=DIR: the daemons' logs and the lab's records are copied there first.
	if [[ -n ${LAB_SAVE_LOGS:-} && -n $LAB_TMP ]]; then
		mkdir -p "$LAB_SAVE_LOGS" && cp -p "$LAB_TMP"/*.log "$LAB_TMP"/*.json "$LAB_TMP"/*.rows "$LAB_SAVE_LOGS"/ 2>/dev/null
	fi
	[[ -n $LAB_TMP ]] && lab_down_dir "$LAB_TMP"
	exit "$rc"
}

lab_init() {
	LAB_SUFFIX=$(printf '%04x%04x' $RANDOM $RANDOM)
	LAB_TMP=$(mktemp -d "/tmp/dmm-$1.XXXXXX") || exit 1
	: >"$LAB_TMP/state"
	: >"$LAB_TMP/handovers"
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# lab_opt ARGS...: one of the options every scenario script takes, in $1
# (the script's own options come first in its case); help is the script's
# comment block from "# Run it" on.
lab_opt() {
	case $1 in
	--keep) LAB_KEEP=1 ;;
	--down)
		lab_down_dir "${2:?--down needs the lab directory}"
		exit 0
		;;
	-h | --help)
		sed -n '/^# Run it/,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
		exit 0
		;;
	*)
		echo "unknown option $1" >&2
		exit 2
		;;
	esac
}

lab_need_root() {
	[[ $(id -u) -eq 0 ]] && return 0
	echo "$1: needs root (network namespaces)" >&2
	exit 1
}

# lab_need_root_scapy NAME PY: exit 1, with the reason, unless root and PY has scapy.
lab_need_root_scapy() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "$1: needs root (network namespaces): run make check as root" >&2
		exit 1
	fi
	if ! "$2" -c 'import scapy.all' 2>/dev/null; then
		echo "$1: $2 has no scapy: apt-get install python3-scapy (make deps as root)" >&2
		exit 1
	fi
}

lab_need_tools() {
	local n
	for n in "$DMMD" "$DMMCTL" "$TRAFFIC"; do
		[[ -x $n ]] || {
			echo "$n missing: make all" >&2
			return 1
		}
	done
}

lab_exec() {
	local node=$1
	shift
	ip netns exec "${NS[$node]}" "$@"
}

lab_bg() {
	local var=$1 node=$2
	shift 2
	ip netns exec "${NS[$node]}" "$@" &
	lab_state pid "$!"
	printf -v "$var" '%s' "$!"
}

lab_ns_add() {
	local node=$1 name="dmm-$LAB_SUFFIX-$1"
	ip netns add "$name" || exit 1
	NS[$node]=$name
	lab_state ns "$name"
	ip -n "$name" link set lo up
	lab_exec "$node" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# lab_p2p A B PFX MTU [route]: veth between A (device named B) and B (device
# named A); with "route", B's default route goes via A (PFX::1).
lab_p2p() {
	local a=$1 b=$2 pfx=$3 mtu=$4 route=${5:-}
	ip -n "${NS[$a]}" link add "$b" mtu "$mtu" type veth peer name "$a" mtu "$mtu" netns "${NS[$b]}" || exit 1
	ip -n "${NS[$a]}" addr add "$pfx::1/64" dev "$b" nodad
	ip -n "${NS[$b]}" addr add "$pfx::2/64" dev "$a" nodad
	ip -n "${NS[$a]}" link set "$b" up
	ip -n "${NS[$b]}" link set "$a" up
	if [[ $route == route ]]; then
		ip -n "${NS[$b]}" -6 route add default via "$pfx::1" dev "$a"
	fi
}

# lab_node_json NODE ROLE HB_MS [DATAPLANE] <BODY: NODE's dmmd config, the
# JSON encoding of the dmm YANG model (docs/dmmd.md, daemon/config.c): the
# leaves every node has (with a data plane: its TUN device dmmN, N the last
# character of NODE), then BODY from stdin (the role's container and what
# follows it, inside the node).
lab_node_json() {
	local node=$1 role=$2 hb=$3 dp=${4:-} dpl=""
	[[ -n $dp ]] && dpl="\"dataplane\": \"$dp\", \"tun-name\": \"dmm${node: -1}\", "
	cat <<EOF
{"dmm:node": {
  "name": "$node", "role": "$role", "address": "${ADDR[$node]}", "transport": "ip6",
  $dpl"control-socket": "$LAB_TMP/$node.sock", "state-file": "$LAB_TMP/$node.state", "log-level": "${LAB_LOG_LEVEL:-info}",
  "heartbeat": {"interval": $hb, "missing-allowed": 3},
EOF
	cat
	echo "}}"
}

ctl() {
	local node=$1
	shift
	"$DMMCTL" "$@" -s "$LAB_TMP/$node.sock" --json
}

dmmd_alive() {
	[[ -n ${DPID[$1]:-} ]] && kill -0 "${DPID[$1]}" 2>/dev/null
}

# dmmd_start NODE: dmmd with $LAB_TMP/NODE.json, log in NODE.log; waits until it answers.
dmmd_start() {
	local node=$1 i
	if [[ -n ${LAB_CFG_JQ:-} ]]; then
		jq "$LAB_CFG_JQ" "$LAB_TMP/$node.json" >"$LAB_TMP/$node.json.jq" &&
			mv "$LAB_TMP/$node.json.jq" "$LAB_TMP/$node.json" || return 1
	fi
	ip netns exec "${NS[$node]}" "$DMMD" -c "$LAB_TMP/$node.json" 2>>"$LAB_TMP/$node.log" &
	DPID[$node]=$!
	lab_state dmmd "$!"
	for ((i = 0; i < 200; i++)); do
		if ! dmmd_alive "$node"; then
			lab_log "dmmd on $node exited; its log:"
			sed 's/^/    /' "$LAB_TMP/$node.log" >&2
			return 1
		fi
		ctl "$node" show node >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	lab_log "dmmd on $node does not answer on $LAB_TMP/$node.sock"
	return 1
}

# dmmd_stop NODE: SIGTERM, wait for the exit (SIGKILL after 10 s); dmmd's status.
dmmd_stop() {
	local node=$1 pid=${DPID[$1]:-} i rc
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	DPID[$node]=""
	return "$rc"
}

wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# cap_start VAR NODE IFNAME FILE [FILTER...]: tcpdump in the background, once it listens.
cap_start() {
	local var=$1 node=$2 dev=$3 file=$4 i
	shift 4
	lab_bg "$var" "$node" tcpdump -i "$dev" -n -U -s "${CAP_SNAPLEN:-256}" -w "$file" "$@" 2>"$file.err"
	for ((i = 0; i < 100; i++)); do
		grep -q listening "$file.err" && return 0
		sleep 0.05
	done
	lab_log "tcpdump on $node/$dev does not listen: $(cat "$file.err")"
	return 1
}

cap_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# check NAME CMD...: run CMD, count and print pass or FAIL (with the end of its output).
check() {
	local name=$1 out
	shift
	out=$(mktemp "$LAB_TMP/check.XXXXXX")
	if "$@" >"$out" 2>&1; then
		PASSED=$((PASSED + 1))
		printf '  pass  %s\n' "$name"
	else
		FAILED=$((FAILED + 1))
		printf '  FAIL  %s\n' "$name"
		tail -n 20 "$out" | sed 's/^/        /'
	fi
	rm -f "$out"
}

info() {
	printf '  info  %s\n' "$*"
}

summary() {
	echo "$1: $PASSED passed, $FAILED failed"
	[[ $FAILED -eq 0 ]]
}

# Show the daemons' logs when something failed (to the test's output).
# It returns the status it was called with, so that in an EXIT trap before
# lab_cleanup the script still exits with its own status.
dump_logs_on_failure() {
	local rc=$? n
	[[ $FAILED -gt 0 && -n $LAB_TMP ]] || return "$rc"
	for n in "${LAB_DAEMONS[@]}"; do
		[[ -s $LAB_TMP/$n.log ]] || continue
		echo "  --- $n.log (last 25 lines)"
		tail -n 25 "$LAB_TMP/$n.log" | sed 's/^/      /'
	done
	return "$rc"
}

# The bpf data plane: what it added (filters, clsact qdiscs) gone from every namespace; lists what it finds.
lab_bpf_leftovers() {
	local n d bad=0
	for n in "${!NS[@]}"; do
		for d in $(ip -n "${NS[$n]}" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
			if tc -n "${NS[$n]}" qdisc show dev "$d" | grep -q clsact; then
				echo "$n $d: clsact qdisc left"
				tc -n "${NS[$n]}" filter show dev "$d" ingress
				bad=1
			fi
		done
	done
	return $bad
}

# What a stopped dmmd must not leave in its namespace; lists what it finds.
lab_leftovers() {
	local n out=0
	for n in "${LAB_DAEMONS[@]}"; do
		if [[ -n $(ip -n "${NS[$n]}" -6 route show table all proto 0xd3) ]]; then
			echo "$n: routes left:"
			ip -n "${NS[$n]}" -6 route show table all proto 0xd3
			out=1
		fi
		# Only the kernel's own rules (local, main) may remain.
		if [[ $(ip -n "${NS[$n]}" -6 rule show | grep -cv -e '^0:.*lookup local' -e '^32766:.*lookup main') -ne 0 ]]; then
			echo "$n: rules left:"
			ip -n "${NS[$n]}" -6 rule show
			out=1
		fi
		if [[ -n $(ip -n "${NS[$n]}" -d link show type tun) ]]; then
			echo "$n: TUN device left:"
			ip -n "${NS[$n]}" -d link show type tun
			out=1
		fi
		if ip -n "${NS[$n]}" -d link show | grep -qE 'tun |seg6|ip6tnl|dmm[0-9]'; then
			echo "$n: tunnel device left:"
			ip -n "${NS[$n]}" -d link show | grep -E 'tun |seg6|ip6tnl|dmm[0-9]'
			out=1
		fi
	done
	return $out
}

# ---- mobility security associations (RFC 4285 §5.1) ----

lab_pair() {
	if [[ $1 < $2 ]]; then echo "$1-$2"; else echo "$2-$1"; fi
}

# lab_sa_key A B ALGO TAG: a new random key for the pair A-B in
# $LAB_TMP/keys/PAIR.TAG (hex, mode 0600 from its creation) and the next
# SPI (values 0-255 are reserved); sets SA_SPI and SA_FILE.
lab_sa_key() {
	local pair n
	pair=$(lab_pair "$1" "$2")
	case $3 in
	hmac-sha1-96) n=16 ;;
	hmac-sha256-128) n=32 ;;
	*)
		echo "lab_sa_key: unknown algorithm $3" >&2
		return 1
		;;
	esac
	SA_SPI=$LAB_SPI_NEXT
	LAB_SPI_NEXT=$((LAB_SPI_NEXT + 1))
	SA_FILE=$LAB_TMP/keys/$pair.$4
	[[ -d $LAB_TMP/keys ]] || mkdir -m 700 "$LAB_TMP/keys"
	(
		umask 077
		od -An -tx1 -N"$n" /dev/urandom | tr -d ' \n' >"$SA_FILE"
		echo >>"$SA_FILE"
	)
}

# lab_sa A B [ALGO]: the pair's association, with one key.
lab_sa() {
	local algo=${3:-hmac-sha1-96}
	lab_sa_key "$1" "$2" "$algo" key || return 1
	LAB_SA[$(lab_pair "$1" "$2")]="$SA_SPI:$algo:$SA_FILE"
}

# lab_security NODE PEER...: the "security" leaf of NODE's config, one
# association per PEER (whose address is ADDR[PEER]), then a comma.
lab_security() {
	local node=$1 peer pair k spi algo file sep="" ksep
	shift
	[[ $LAB_AUTH == 1 ]] || return 0
	printf '  "security": {"associations": ['
	for peer in "$@"; do
		pair=$(lab_pair "$node" "$peer")
		[[ -n ${LAB_SA[$pair]:-} ]] || continue
		printf '%s\n    {"peer": "%s", "replay-window": %s, "keys": [' "$sep" "${ADDR[$peer]}" "$LAB_REPLAY_WINDOW"
		ksep=""
		for k in ${LAB_SA[$pair]}; do
			IFS=: read -r spi algo file <<<"$k"
			printf '%s{"spi": %s, "algorithm": "%s", "key-file": "%s"}' "$ksep" "$spi" "$algo" "$file"
			ksep=", "
		done
		printf ']}'
		sep=,
	done
	printf ']},\n'
}

# lab_sa_all: every key of every association, "SPI:ALGO:FILE" one a line
# (for tests/lab/mhauth.py).
lab_sa_all() {
	local p
	for p in "${!LAB_SA[@]}"; do
		tr ' ' '\n' <<<"${LAB_SA[$p]}"
	done
}

# lab_auth_stats NODE PEER: NODE's authentication counters for PEER (dmmctl
# show stats: verified, signed, auth-missing, auth-bad-spi, auth-fail,
# replay) as one JSON object, with "ok" (verified) and "failed" (the sum of
# the refusals); empty if NODE has no association with PEER.
lab_auth_stats() {
	ctl "$1" show stats | jq -c --arg p "${ADDR[$2]}" '.auth.peers[$p] // empty
		| . + {ok: .verified, failed: (."auth-missing" + ."auth-bad-spi" + ."auth-fail" + .replay)}'
}

lab_log_mark() {
	wc -l <"$LAB_TMP/$1.log" 2>/dev/null || echo 0
}

lab_attach_us() {
	local node=$1 ifn=$2 mark=${3:-0}
	tail -n +"$((mark + 1))" "$LAB_TMP/$node.log" 2>/dev/null |
		sed -n "s/.* attached on $ifn (mono \([0-9]*\) us, \([0-9]*\) us after carrier-up, \([0-9]*\) probes).*/\1 \2 \3/p" |
		awk '{ printf "%d %d %d %d\n", $1 - $2, $1, $2, $3 }'
}

lab_move_link() {
	local ifn=$1 from=$2 to=$3
	echo "$(date +%s.%N) $ifn $from $to" >>"$LAB_TMP/handovers"
	ip -n "${NS[$from]}" link set "$ifn" netns "${NS[$to]}"
}

# ---- BIRD 2 (docs/dmm-protocol.md §11: anchored prefixes in the routing system) ----
#   lab_bird_maar_conf RID LOCAL ROUTER ATABLE RTABLE   lab/bird/maar.conf filled in (stdout)
#   lab_bird_router_conf RID LOCAL=NEIGHBOR...           lab/bird/router.conf with one iBGP
#                                                        client per pair (stdout)
#   lab_bird_start NODE FILE   bird in NODE's namespace with config FILE, control
#                              socket $LAB_TMP/NODE.bird, log NODE.bird.log; waits
#                              until it answers; pid in BIRD_PID[NODE]
#   lab_birdc NODE ARGS...     birdc against NODE's bird
#   lab_bird_kill NODE         SIGKILL NODE's bird
declare -A BIRD_PID=()

lab_bird_maar_conf() {
	sed -e "s/@RID@/$1/g" -e "s/@LOCAL@/$2/g" -e "s/@IR@/$3/g" -e "s/@ATABLE@/$4/g" -e "s/@RTABLE@/$5/g" \
		"$LAB_ROOT/lab/bird/maar.conf"
}

lab_bird_router_conf() {
	local rid=$1 pair n=0
	shift
	sed -e "s/@RID@/$rid/g" "$LAB_ROOT/lab/bird/router.conf"
	for pair in "$@"; do
		n=$((n + 1))
		printf 'protocol bgp maar%s from maar {\n\tlocal %s;\n\tneighbor %s as 65000;\n}\n' \
			"$n" "${pair%%=*}" "${pair#*=}"
	done
}

lab_bird_start() {
	local node=$1 conf=$2 pid i
	lab_bg pid "$node" bird -f -c "$conf" -s "$LAB_TMP/$node.bird" 2>>"$LAB_TMP/$node.bird.log"
	BIRD_PID[$node]=$pid
	for ((i = 0; i < 100; i++)); do
		lab_birdc "$node" show status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	lab_log "bird on $node does not answer; its log:"
	sed 's/^/    /' "$LAB_TMP/$node.bird.log" >&2
	return 1
}

lab_birdc() {
	local node=$1
	shift
	birdc -s "$LAB_TMP/$node.bird" "$@"
}

lab_bird_kill() {
	[[ -n ${BIRD_PID[$1]:-} ]] && kill -KILL "${BIRD_PID[$1]}" 2>/dev/null
	BIRD_PID[$1]=""
}
