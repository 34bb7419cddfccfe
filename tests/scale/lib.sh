# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# (SC2034: the variables are for the scripts that source this file)
#
# Shared by tests/scale/{scale-test,soak}.sh and bench/scale.sh: one dmmd
# LMA and the MAGs mh-load plays, in three network namespaces of their own
# (unique names, removed by the EXIT trap):
#
#   [ CN ns ]                 [ LMA ns ]                          [ MAG ns ]
#   2001:db8:c::2 cl ---- lc 2001:db8:c::1     lm fe80::1 ---- ml fe80::2
#                             LMA 2001:db8:ffff::1 (lo)          MAGs 2001:db8:aaaa::/64 and
#                             pool 2001:db8:1000::/44            2001:db8:aaab::/64 (local routes:
#                                                                mh-load sends from any of them)
#
# mh-load (MAG ns) registers MNs; the CN sends to their prefixes, dmmd's
# data plane tunnels the packets (IPv6-in-IPv6) to the MAG address, where
# "mh-load catch" sees them.
#
#   sc_init NAME             root and tools or FAIL; temp dir $SC_T; trap
#   sc_setup                 the namespaces, links, addresses and routes
#   sc_start DP TRANSPORT MAXB   dmmd LMA with the data plane, wait for its socket
#   sc_stop                  SIGTERM, wait; $SC_RC holds dmmd's exit status
#   sc_stop_within SECS      the same, SIGKILL after SECS seconds
#   sc_state                 routes, rules, nft tables and links of the LMA ns (for a diff)
#   sc_rss                   dmmd's resident set in kB
#   sc_bindings              binding count: the sum of show peers' "bindings"
#   lns / mns / cns CMD...   run CMD in the LMA / MAG / CN namespace
#   check NAME CMD...        count a pass, or print FAIL with the output
#   sc_done                  summary; exit 1 on any failure
set -u
B=${BUILD:-build}
LMA_A=2001:db8:ffff::1
MAG_BASE=2001:db8:aaaa::1
MAG_BASE2=2001:db8:aaab::1
POOL=2001:db8:1000::/44
SC_T=
SC_NS=()
SC_PIDS=()
SC_PASS=0
SC_FAIL=0
D_PID=
SC_RC=0

# A test that cannot run fails: it must never look like a pass.
sc_init() {
	SC_NAME=$1
	if [[ $(id -u) -ne 0 ]]; then
		echo "$SC_NAME: FAIL needs root (network namespaces)"
		exit 1
	fi
	for t in ip jq nft awk shuf; do
		command -v "$t" >/dev/null || { echo "$SC_NAME: FAIL $t missing"; exit 1; }
	done
	make -s "$B/dmmd" "$B/dmmctl" "$B/mh-load" >/dev/null || { echo "$SC_NAME: FAIL build"; exit 1; }
	SC_T=$(mktemp -d "/tmp/dmm-$SC_NAME.XXXXXX")
	SC_SUFFIX=$(printf '%04x%04x' $RANDOM $RANDOM)
	trap sc_cleanup EXIT
	trap 'exit 130' INT TERM
}

sc_cleanup() {
	set +e
	[[ -n $D_PID ]] && kill -TERM "$D_PID" 2>/dev/null && wait "$D_PID" 2>/dev/null
	for p in "${SC_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "${SC_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[[ -n $SC_T && -z ${SC_KEEP:-} ]] && rm -rf "$SC_T"
}

lns() { ip netns exec "$SC_LMA" "$@"; }
mns() { ip netns exec "$SC_MAG" "$@"; }
cns() { ip netns exec "$SC_CN" "$@"; }

sc_ns() {
	local name="dmm-sc-$1-$SC_SUFFIX"
	ip netns add "$name" || { echo "$SC_NAME: FAIL ip netns add"; exit 1; }
	SC_NS+=("$name")
	ip -n "$name" link set lo up
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	printf -v "$2" '%s' "$name"
}

sc_setup() {
	sc_ns lma SC_LMA
	sc_ns mag SC_MAG
	sc_ns cn SC_CN
	lns sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$SC_LMA" link add lm type veth peer name ml netns "$SC_MAG"
	ip -n "$SC_LMA" link add lc type veth peer name cl netns "$SC_CN"
	ip -n "$SC_LMA" addr add $LMA_A/128 dev lo nodad
	ip -n "$SC_LMA" addr add fe80::1/64 dev lm nodad
	ip -n "$SC_LMA" addr add 2001:db8:c::1/64 dev lc nodad
	ip -n "$SC_MAG" addr add fe80::2/64 dev ml nodad
	ip -n "$SC_CN" addr add 2001:db8:c::2/64 dev cl nodad
	for l in "$SC_LMA lm" "$SC_LMA lc" "$SC_MAG ml" "$SC_CN cl"; do
		# shellcheck disable=SC2086
		ip -n ${l% *} link set ${l#* } up
	done
	ip -n "$SC_LMA" -6 route add 2001:db8:aaaa::/47 via fe80::2 dev lm
	ip -n "$SC_MAG" -6 route add local 2001:db8:aaaa::/64 dev lo
	ip -n "$SC_MAG" -6 route add local 2001:db8:aaab::/64 dev lo
	ip -n "$SC_MAG" -6 route add $LMA_A/128 via fe80::1 dev ml
	# The MAG host's own address: the source of the UDP echo (the baseline).
	ip -n "$SC_MAG" addr add 2001:db8:aaaa:ffff::1/128 dev lo nodad
	ip -n "$SC_CN" -6 route add default via 2001:db8:c::1 dev cl
	# Many bindings: room for the routes and neighbours of a large table.
	lns sysctl -qw net.ipv6.route.max_size=4194304 2>/dev/null
	return 0
}

sc_start() {
	local dp=$1 tr=$2 maxb=$3 i
	cat >"$SC_T/lma.json" <<JSON
{"dmm:node": {"name": "scale", "role": "lma", "address": "$LMA_A", "transport": "$tr",
  "dataplane": "$dp", "control-socket": "$SC_T/lma.sock", "state-file": "$SC_T/lma.state",
  "log-level": "${LOGLEVEL:-err}", "tun-name": "dmmsc0",
  "heartbeat": {"interval": ${SC_HEARTBEAT:-0}},
  "lma": {"pools": ["$POOL"], "max-bindings": $maxb, "max-lifetime": 262140,
          "timestamp-validity-window": 5000},
  "default-profile": {"mn-id-type": "eui48"}}}
JSON
	rm -f "$SC_T/lma.sock"
	ip netns exec "$SC_LMA" "$B/dmmd" -c "$SC_T/lma.json" 2>>"$SC_T/dmmd.log" &
	D_PID=$!
	# Start-up allocates for max-bindings: seconds at 10^6 (SC_START_LIMIT, default 120 s).
	for ((i = 0; i < ${SC_START_LIMIT:-120} * 10; i++)); do
		[[ -S $SC_T/lma.sock ]] || ! kill -0 "$D_PID" 2>/dev/null && break
		sleep 0.1
	done
	if ! kill -0 "$D_PID" 2>/dev/null || [[ ! -S $SC_T/lma.sock ]]; then
		echo "$SC_NAME: FAIL dmmd ($dp) did not start:"
		tail -n 20 "$SC_T/dmmd.log"
		return 1
	fi
}

sc_stop() {
	SC_RC=0
	[[ -n $D_PID ]] || return 0
	kill -TERM "$D_PID"
	wait "$D_PID"
	SC_RC=$?
	D_PID=
}

# SIGTERM; after SECS seconds SIGKILL (a bench must not hang). $SC_RC, $SC_STOP_S (seconds taken).
sc_stop_within() {
	local t0 i
	SC_RC=0
	[[ -n $D_PID ]] || return 0
	t0=$(date +%s.%N)
	kill -TERM "$D_PID"
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$D_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$D_PID" 2>/dev/null && kill -9 "$D_PID"
	wait "$D_PID"
	SC_RC=$?
	D_PID=
	SC_STOP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
}

sc_state() {
	lns ip -6 route show table all | grep -v -E '^(local|multicast|anycast) ' | sort
	lns ip -6 rule show
	lns nft list tables
	lns ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
}

sc_rss() { awk '/^VmRSS:/ {print $2}' "/proc/$D_PID/status"; }

sc_bindings() {
	"$B/dmmctl" show peers -s "$SC_T/lma.sock" --json | jq '[.[] | .bindings] | add // 0'
}

# mh-load in the MAG namespace; the JSON line is kept in $SC_T/last.json.
sc_load() {
	mns "$B/mh-load" "$@" --to $LMA_A >"$SC_T/last.json"
	local rc=$?
	cat "$SC_T/last.json"
	return $rc
}

check() {
	local name=$1
	shift
	if "$@" >"$SC_T/check.out" 2>&1; then
		SC_PASS=$((SC_PASS + 1))
		printf '  pass  %s\n' "$name"
	else
		SC_FAIL=$((SC_FAIL + 1))
		printf '  FAIL  %s\n' "$name"
		sed 's/^/        /' "$SC_T/check.out" | tail -n 15
	fi
}

# jq test on the last mh-load JSON: sc_json '.accepted == 10000'
sc_json() { jq -e "$1" "$SC_T/last.json" >/dev/null || { cat "$SC_T/last.json"; return 1; }; }

sc_done() {
	echo "$SC_NAME: $SC_PASS passed, $SC_FAIL failed"
	if [[ $SC_FAIL -ne 0 && -f $SC_T/dmmd.log ]]; then
		echo "--- dmmd.log (last 20 lines)"
		tail -n 20 "$SC_T/dmmd.log"
	fi
	[[ $SC_FAIL -eq 0 ]]
}
