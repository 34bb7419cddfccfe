#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Hostile Mobility Header input to a live LMA (LMA1 of lab/pmip-fig4.sh),
# sent with scapy from CN3, which is not one of LMA1's authorized MAGs:
#
#   CN3 ──── IR ──── LMA1 (dmmd; binds MN1 at MAG1)
#
#   truncated MH, Header Len too large and too small, a misaligned option,
#   an unknown option, wrong flags, a bad checksum, an unknown MH type
#   (answered by a Binding Error, status 2), a well-formed PBU for MN1 from
#   CN3 (answered by a PBA, status 154), and a few hundred random mutations
#   of that PBU. Afterwards dmmd still runs and lists exactly the bindings
#   it had before. Python and scapy are the oracle here, not the product.
#
#   The bad checksum is sent alone first: it must draw no reply (RFC 6275
#   §9.2: silently discarded), and LMA1's rx-checksum-bad counter must grow
#   by exactly the number of cases whose checksum the script finds wrong
#   (that PBU and the mutations sent without a fresh checksum).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=lab/pmip-fig4.sh
. lab/pmip-fig4.sh

NAME=malformed
PY=${PYTHON:-/usr/bin/python3}

lab_need_root_scapy "$NAME" "$PY"
command -v jq >/dev/null || {
	echo "$NAME: jq missing: apt-get install jq (make deps as root)" >&2
	exit 1
}

lab_init lab-malformed
trap 'dump_logs_on_failure; lab_cleanup' EXIT
echo "$NAME: hostile Mobility Header input to LMA1"
# shellcheck source=tests/kfeat.sh
. tests/kfeat.sh
if ! lab_up "$(kfeat_dp)"; then
	FAILED=$((FAILED + 1))
	echo "  FAIL  bring-up: both MNs registered"
	summary "$NAME"
	exit 1
fi

norm_bindings() {
	ctl lma1 show bindings | jq -S 'map({"mn-id", prefixes, peer, state}) | sort_by(."mn-id")'
}
# shellcheck disable=SC2034 # read inside the eval'd checks below
BEFORE=$(norm_bindings)

# A well-formed PBU for MN1 (dmmctl's encoder), as the hex of the Mobility Header.
NTP_NOW=$(($(date +%s) + 2208988800))
PBU_HEX=$(printf '%s' '{"type":"BU","seq":4242,"flags":["A","H","L","P"],"lifetime":600,"options":[
	{"type":"MN-ID","subtype":5,"identifier":"'"${MN_MAC[mn1]}"'"},{"type":"HNP","prefix":"::/0"},
	{"type":"HI","handoff_indicator":1},{"type":"ATT","access_technology_type":1},
	{"type":"TIMESTAMP","seconds":'"$NTP_NOW"',"fraction":0}]}' | "$DMMCTL" encode --hex)

cat >"$LAB_TMP/inject.py" <<'EOF'
import json, random, sys, time
from scapy.all import AsyncSniffer, IPv6, Raw, conf, send
from scapy.layers.inet6 import in6_chksum

conf.verb = 0
src, dst, pbu_hex = sys.argv[1], sys.argv[2], sys.argv[3]
pbu = bytearray(bytes.fromhex(pbu_hex))

def csum(mh):
    mh = bytearray(mh)
    if len(mh) >= 6:
        mh[4:6] = b"\0\0"
        c = in6_chksum(135, IPv6(src=src, dst=dst, nh=135), bytes(mh))
        mh[4:6] = c.to_bytes(2, "big")
    return bytes(mh)

def mh(mhtype, body):
    """An MH with a correct Header Len (padded to 8n) and checksum."""
    raw = bytearray([59, 0, mhtype, 0, 0, 0]) + body
    raw += b"\0" * (-len(raw) % 8)
    raw[1] = len(raw) // 8 - 1
    return csum(raw)

cases = []
cases.append(("truncated: 4 bytes", bytes(pbu[:4])))
cases.append(("truncated: inside an option", csum(pbu[:20])))
bad = bytearray(pbu); bad[1] += 2
cases.append(("Header Len too large", csum(bad)))
bad = bytearray(pbu); bad[1] = 0
cases.append(("Header Len too small", csum(bad)))
# BU body (seq, flags A|H|L|P, lifetime) then a Timestamp (8n+2) at offset 14.
body = (4243).to_bytes(2, "big") + bytes([0xe2, 0x00]) + (150).to_bytes(2, "big")
cases.append(("misaligned Timestamp option", mh(5, body + bytes([1, 0]) + bytes([27, 8]) + bytes(8))))
bad = bytearray(pbu) + bytes([200, 6, 1, 2, 3, 4, 5, 6]); bad[1] += 1
cases.append(("unknown option 200 (skipped, RFC 6275 6.2.1)", csum(bad)))
bad = bytearray(pbu); bad[8] = 0x00; bad[9] = 0x00
cases.append(("no flags (a BU without P to an LMA)", csum(bad)))
bad = bytearray(pbu); bad[9] |= 0x7f
cases.append(("reserved flag bits set", csum(bad)))
bad = bytearray(csum(pbu)); bad[4] ^= 0xff
bad_checksum = bytes(bad)
cases.append(("unknown MH type 60", mh(60, bytes(6))))
cases.append(("PBU for MN1 from an unauthorised MAG", csum(pbu)))
rnd = random.Random(7429)
for i in range(300):
    m = bytearray(pbu)
    for _ in range(rnd.randint(1, 6)):
        m[rnd.randrange(len(m))] = rnd.randrange(256)
    if rnd.random() < 0.3:
        m = m[: rnd.randrange(1, len(m))]
    cases.append(("mutation %d" % i, csum(m) if rnd.random() < 0.8 else bytes(m)))

def checksum_wrong(b):
    """What dmmd counts as rx-checksum-bad (io/mhsock.c): at least 8 octets,
    the Header Len inside the packet, and a checksum over those octets
    that differs from the one in the header."""
    if len(b) < 8:
        return False
    total = (b[1] + 1) * 8
    if total > len(b):
        return False
    m = bytearray(b[:total])
    m[4:6] = b"\0\0"
    return in6_chksum(135, IPv6(src=src, dst=dst, nh=135), bytes(m)) != int.from_bytes(b[4:6], "big")

def replies(got):
    out = []
    for p in got:
        b = bytes(p[IPv6].payload)
        if len(b) >= 8:
            out.append({"type": b[2], "status": b[6]})
    return out

def exchange(payloads):
    sniffer = AsyncSniffer(iface="ir", filter="ip6 and ip6[6] == 135 and src host " + dst, store=True)
    sniffer.start()
    time.sleep(1.0)
    for payload in payloads:
        send(IPv6(src=src, dst=dst, nh=135) / Raw(payload), iface="ir")
        time.sleep(0.002)
    time.sleep(1.5)
    return replies(sniffer.stop())

# The bad checksum alone, so that a reply to it cannot hide among the others'.
out = {"bad_checksum_replies": exchange([bad_checksum])}
out["replies"] = exchange([payload for _, payload in cases])
out["sent"] = len(cases) + 1
out["checksum_wrong"] = int(checksum_wrong(bad_checksum)) + sum(checksum_wrong(p) for _, p in cases)
print(json.dumps(out))
EOF

csum_bad() { ctl lma1 show stats | jq -e '."rx-checksum-bad"'; }
# shellcheck disable=SC2034 # read inside the eval'd check below
CSUM_BAD_BEFORE=$(csum_bad)
lab_exec cn3 "$PY" "$LAB_TMP/inject.py" "${ADDR[cn3]}" "${ADDR[lma1]}" "$PBU_HEX" >"$LAB_TMP/inject.json" 2>"$LAB_TMP/inject.err"
check "scapy sent every case" eval "jq -e '.sent > 300' $LAB_TMP/inject.json || cat $LAB_TMP/inject.err"
info "replies from LMA1: $(jq -c '[.replies[] | "\(if .type == 7 then "BE" elif .type == 6 then "BA" else .type end) \(.status)"] | group_by(.) | map("\(.[0]) x\(length)")' "$LAB_TMP/inject.json" 2>/dev/null)"
check "bad checksum: the script built it wrong" \
	eval "jq -e '.checksum_wrong >= 1' $LAB_TMP/inject.json"
check "bad checksum: silently discarded, no reply (RFC 6275 9.2)" \
	eval "jq -e '.bad_checksum_replies == []' $LAB_TMP/inject.json || jq -c .bad_checksum_replies $LAB_TMP/inject.json"
# shellcheck disable=SC2016 # expanded by eval, at check time
check "rx-checksum-bad grew by every case with a wrong checksum" \
	eval 'after=$(csum_bad) want=$(jq -e .checksum_wrong "$LAB_TMP/inject.json") &&
		echo "rx-checksum-bad before $CSUM_BAD_BEFORE after $after, cases with a wrong checksum $want" &&
		[[ $((after - CSUM_BAD_BEFORE)) -eq $want ]]'
check "unknown MH type answered with a Binding Error, status 2" \
	jq -e '[.replies[] | select(.type == 7 and .status == 2)] | length > 0' "$LAB_TMP/inject.json"
check "PBU from an unauthorised MAG answered with a PBA, status 154" \
	jq -e '[.replies[] | select(.type == 6 and .status == 154)] | length > 0' "$LAB_TMP/inject.json"
check "LMA1's dmmd still runs and answers" eval 'dmmd_alive lma1 && ctl lma1 show node >/dev/null'
# shellcheck disable=SC2016 # expanded by eval, at check time
check "LMA1 lists exactly the bindings it had before" eval '[[ "$(norm_bindings)" == "$BEFORE" ]] || { echo "before: $BEFORE"; echo "after: $(norm_bindings)"; false; }'
check "MN1 still reaches CN1 through LMA1" lab_exec mn1 ping -6 -c 2 -i 0.2 -w 10 "${ADDR[cn1]}"
info "LMA1 counted: $(ctl lma1 show stats | jq -c '{"rx-malformed", "rx-unknown-type", "rx-checksum-bad", "ba-status"}')"

dump_logs_on_failure
trap lab_cleanup EXIT
summary "$NAME"
