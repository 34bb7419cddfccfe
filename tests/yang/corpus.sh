#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every dmmd config of docs/ and tests/ through `dmmd --check`, that is
# through libyang and yang/dmm.yang (daemon/yangcfg.c), then the daemon's
# own rules. The configs:
#   - each ```json block of docs/*.md and README.md holding "dmm:node";
#   - the lab's, as lab/pmip-fig4.sh (lab_config) and lab/dmm.sh
#     (dmm_config) write them for the kernel and user data planes and both
#     CMD modes, with their security associations (key files made here,
#     as the lab makes them), and each of them changed by the LAB_CFG_JQ
#     filter of every lab script that sets one (the lab's dmmd_start
#     applies it);
#   - each here-document of the scripts in tests/, lab/ and bench/ that is
#     a whole config ({"dmm:node": ...}), its shell variables given the
#     values below (addresses of the scripts' own topologies, paths in a
#     temporary directory). A here-document that does not expand to JSON
#     fails: name its variables here.
# No config found at all is a failure too. No root, no network.
# Usage: tests/yang/corpus.sh [DMMD]
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
DMMD=${1:-${DMMD:-build/dmmd}}
case $DMMD in /*) ;; *) DMMD=$ROOT/$DMMD ;; esac
pass=0
fail=0
W=$(mktemp -d) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
mkdir -p "$W/cfg"

# check FILE LABEL: dmmd accepts FILE.
check() {
	local err
	if err=$("$DMMD" -c "$1" --check 2>&1 >/dev/null); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "corpus: FAIL $2: ${err#dmmd: config refused: }"
	fi
}

# 1. The docs' json blocks (as tests/docs/run.sh splits them).
for md in docs/*.md README.md; do
	[ -f "$md" ] || continue
	awk -v out="$W/cfg" -v base="$(basename "$md" .md)" '
		/^```json[ \t]*$/ { f = sprintf("%s/%s-%d.json", out, base, NR); inb = 1; next }
		inb && /^```[ \t]*$/ { close(f); inb = 0; next }
		inb { print > f }
	' "$md"
done
for f in "$W"/cfg/*.json; do
	[ -e "$f" ] || continue
	grep -q '"dmm:node"' "$f" || continue
	b=$(basename "$f" .json)
	check "$f" "${b%-*}.md, the json block at line ${b##*-}"
done

# 2. The lab's configs, written by the lab's own functions, into $W/lab/SCRIPT-NAME/DP/.
lab_configs() { # SCRIPT FUNCTION [ARGS AFTER NODE AND DP]
	local script=$1 fn=$2 dp d
	shift 2
	for dp in kernel user; do # bpf differs from kernel in the dataplane name only
		d=$W/lab/$(basename "$script" .sh)${1:+-$1}/$dp
		mkdir -p "$d"
		(
			# shellcheck disable=SC1090
			. "$ROOT/$script" || exit 1
			LAB_TMP=$d
			if [[ $fn == lab_config ]]; then
				lab_associations || exit 1
			else
				{ lab_sa cmd maar1 && lab_sa cmd maar2 hmac-sha256-128 && lab_sa cmd maar3; } || exit 1
			fi
			for n in "${LAB_DAEMONS[@]}"; do
				"$fn" "$n" "$dp" "$@" >"$LAB_TMP/$n.json" || exit 1
			done
		) || {
			echo "corpus: FAIL $script: $fn did not write the configs"
			return 1
		}
		for f in "$d"/*.json; do
			check "$f" "$script $fn $(basename "$f" .json) $dp $*"
		done
	done
}
lab_configs lab/pmip-fig4.sh lab_config || fail=$((fail + 1))
lab_configs lab/dmm.sh dmm_config proxy || fail=$((fail + 1))
lab_configs lab/dmm.sh dmm_config relay || fail=$((fail + 1))

# 2b. The labs that change those configs with LAB_CFG_JQ (lab/lib.sh's
# dmmd_start applies it to every node): each filter on the configs of the
# lab it sources, its shell variables given the values below.
export DOMAIN=dmm.example.org QI=125000 QRI=10000 LLQI=1000 MODE=via-anchor
declare -A ADDR=([maar1]=2001:db8:10::1) # tests/lab/mcast.sh: the anchor of via-anchor mode
for sh in $(grep -rl '^[[:space:]]*LAB_CFG_JQ=' --include='*.sh' tests lab | grep -v '^lab/lib.sh$' | sort); do
	case $(grep -o 'lab/dmm\.sh\|lab/pmip-fig4\.sh' "$sh" | head -n1) in
	lab/dmm.sh) base=$W/lab/dmm-proxy ;;
	*) base=$W/lab/pmip-fig4 ;;
	esac
	# The assignment: from LAB_CFG_JQ= on, as many lines as make a whole shell word.
	start=$(grep -n '^[[:space:]]*LAB_CFG_JQ=' "$sh" | head -n1 | cut -d: -f1)
	text=
	for ((k = start; k < start + 20; k++)); do
		text+=$(sed -n "${k}p" "$sh")$'\n'
		bash -n <<<"$text" 2>/dev/null && break
	done
	if ! filter=$(eval "$text" && printf '%s' "$LAB_CFG_JQ") 2>"$W/jqerr" || [ -z "$filter" ]; then
		fail=$((fail + 1))
		echo "corpus: FAIL $sh:$start: LAB_CFG_JQ does not expand: $(head -n1 "$W/jqerr")"
		continue
	fi
	for f in "$base"/*/*.json; do
		if ! jq "$filter" "$f" >"$f.jq" 2>"$W/jqerr"; then
			fail=$((fail + 1))
			echo "corpus: FAIL $sh:$start: jq: $(head -n1 "$W/jqerr")"
			continue
		fi
		check "$f.jq" "$sh's LAB_CFG_JQ on $(basename "$f" .json) ($(basename "$(dirname "$f")"))"
		rm -f "$f.jq"
	done
done

# 3. Whole configs in here-documents. The values of their variables:
export T=$W/t OUT=$W/t TMP=$W/t SC_T=$W/t LAB_TMP=$W/t
export LMA_A=2001:db8:a::2 MAG_A=2001:db8:b::2 NAI=example.org DP=kernel PL_DP=kernel dp=kernel tr=ip6 maxb=1024
export PORT=9437 sec= POOL=2001:db8:1000::/44 NAI=nai:02-00-00-00-01-01@example.org
export LMA=2001:db8:ffff::1 MNS=1000 N=1000
# The arguments of the shell function a here-document is in, where it uses them.
declare -A ARGS=([tests/daemon/heartbeat.sh]=false [tests/daemon/nai.sh]=nai)
mkdir -p "$W/t" "$W/doc"
# tests/daemon/auth.sh's keys(): one association key, in a file as dmmd wants it (hex, mode 600).
(umask 077 && printf '00112233445566778899aabbccddeeff\n' >"$W/t/k1")
keys() { printf '[{"spi": 4096, "algorithm": "hmac-sha1-96", "key-file": "%s/k1"}]' "$T"; }
# lab/lib.sh's here-document is lab_node_json's head, whose configs part 2 checks whole.
for sh in $(grep -rl '"dmm:node"' --include='*.sh' tests lab bench | grep -v '^tests/yang/\|^lab/lib.sh$' | sort); do
	# Each body: DELIM<TAB>QUOTED<TAB>START-LINE on a line of its own, then the body, then \x01.
	awk '
		!inb && match($0, /<<-?[ \t]*["'\'']?[A-Za-z_]+["'\'']?/) {
			d = substr($0, RSTART, RLENGTH); q = (d ~ /["'\'']/) ? 1 : 0
			gsub(/<<-?[ \t]*|["'\'']/, "", d)
			inb = 1; body = ""; start = NR + 1; next
		}
		inb && $0 ~ "^[ \t]*" d "$" {
			if (body ~ /^\{"dmm:node"/) printf "%s\t%d\t%d\n%s\001\n", d, q, start, body
			inb = 0; next
		}
		inb { body = body $0 "\n" }
	' "$sh" >"$W/doc/list"
	while IFS=$'\t' read -r -d $'\001' head; do
		head=${head#$'\n'}
		line=${head%%$'\n'*}
		body=${head#*$'\n'}
		IFS=$'\t' read -r _ quoted start <<<"$line"
		f=$W/doc/$(basename "$sh" .sh)-$start.json
		if [ "$quoted" = 1 ]; then
			printf '%s' "$body" >"$f"
		elif ! (
			# shellcheck disable=SC2086
			set -- ${ARGS[$sh]:-}
			eval "cat <<__CORPUS_EOF__
${body}__CORPUS_EOF__"
		) >"$f" 2>"$W/doc/err"; then
			fail=$((fail + 1))
			echo "corpus: FAIL $sh, the here-document at line $start: $(head -n1 "$W/doc/err") (give it a value in tests/yang/corpus.sh)"
			continue
		fi
		if ! [ -s "$f" ] || ! jq -e . "$f" >/dev/null 2>&1; then
			fail=$((fail + 1))
			echo "corpus: FAIL $sh, the here-document at line $start: not JSON once expanded"
			continue
		fi
		check "$f" "$sh, the here-document at line $start"
	done <"$W/doc/list"
done

if [ $((pass + fail)) -eq 0 ]; then
	echo "corpus: FAIL no config found"
	exit 1
fi
echo "corpus: $pass configs of docs/, lab/, tests/ and bench/ accepted by dmmd, $fail failed"
[ "$fail" -eq 0 ]
