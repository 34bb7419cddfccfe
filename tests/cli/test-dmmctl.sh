#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dmmctl decode / encode:
#   - a golden Proxy Binding Update (hex built by hand from RFC 6275 §6.1.7
#     and RFC 5213 §8) decodes to the expected JSON and encodes back
#   - encode -> decode -> encode is the identity for a set of messages
#   - malformed hex and bad JSON exit 1 with an "error" key / a JSON path
#   - pcap write then read gives the same JSON, as IPv6 (checksum verified)
#     and as UDP; captures with Ethernet+VLAN, SLL, SLL2, pcapng, extension
#     headers and a Home Address option are read; other packets are skipped
#
# Needs jq, tshark and text2pcap (packages jq, tshark, wireshark-common):
# without one of them the test fails at once, naming it, rather than
# dropping its checks.
set -eu

cd "$(dirname "$0")/../.."
D=${DMMCTL:-build/dmmctl}
[ -x "$D" ] || make -s build/dmmctl >/dev/null
for t in jq:jq tshark:tshark text2pcap:wireshark-common xxd:xxd; do
	command -v "${t%%:*}" >/dev/null || {
		echo "test-dmmctl: ${t%%:*} missing (apt-get install ${t##*:}, or make deps as root)" >&2
		exit 1
	}
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILS=0
N=0

pass() { N=$((N + 1)); }
fail() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }
# expect NAME ACTUAL EXPECTED
expect() { if [ "$2" = "$3" ]; then pass; else fail "$1"; printf '  got:      %s\n  expected: %s\n' "$2" "$3" >&2; fi; }

# --- golden PBU ---------------------------------------------------------
# MH header (Payload Proto 59, Header Len 9, type 5), seq 0x1234, A|P,
# lifetime 150; MN-ID (NAI), PadN 4, HNP /64, HI, ATT, PadN 0, Timestamp,
# PadN 2 to the 8-octet boundary.
PBU_HEX="3b 09 05 00 00 00 12 34 82 00 00 96
08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d
01 04 00 00 00 00
16 12 00 40 20 01 0d b8 0a aa 00 01 00 00 00 00 00 00 00 00
17 02 00 01  18 02 00 04  01 00
1b 08 00 00 65 53 f1 00 80 00  01 02 00 00"
PBU_JSON='{"type":"BU","seq":4660,"flags":["A","P"],"lifetime":150,"options":[{"type":"MN-ID","subtype":1,"identifier":"mn1@example.com"},{"type":"HNP","prefix":"2001:db8:aaa:1::/64"},{"type":"HI","handoff_indicator":1},{"type":"ATT","access_technology_type":4},{"type":"TIMESTAMP","seconds":1700000000,"fraction":32768}]}'
PBU_OUT='{"type":"BU","mh_type":5,"length":80,"checksum":0,"seq":4660,"flags":["A","P"],"lifetime":150,"lifetime_seconds":600,"options":[{"type":"MN-ID","option_type":8,"subtype":1,"identifier":"mn1@example.com"},{"type":"HNP","option_type":22,"prefix":"2001:db8:aaa:1::/64"},{"type":"HI","option_type":23,"handoff_indicator":1},{"type":"ATT","option_type":24,"access_technology_type":4},{"type":"TIMESTAMP","option_type":27,"seconds":1700000000,"fraction":32768}]}'

out=$("$D" decode --hex "$PBU_HEX")
expect "decode golden PBU" "$out" "$PBU_OUT"
expect "PBU MN-ID" "$(echo "$out" | jq -r '.options[0].identifier')" "mn1@example.com"
expect "PBU HNP" "$(echo "$out" | jq -r '.options[1].prefix')" "2001:db8:aaa:1::/64"
expect "PBU flags/seq/lifetime" "$(echo "$out" | jq -c '[.flags,.seq,.lifetime,.lifetime_seconds]')" '[["A","P"],4660,150,600]'
golden=$(echo "$PBU_HEX" | tr -d ' \n')
expect "encode golden PBU" "$(echo "$PBU_JSON" | "$D" encode)" "$golden"
expect "decode with colons" "$("$D" decode --hex "$(echo "$golden" | sed 's/../&:/g; s/:$//')")" "$PBU_OUT"

# --- encode -> decode -> encode -----------------------------------------
cat >"$T/msgs.json" <<'EOF'
{"type":"BA","status":0,"flags":["P"],"seq":4660,"lifetime":150,"options":[{"type":"MN-ID","subtype":3,"identifier":"234150999999999"},{"type":"HNP","prefix":"2001:db8:aaa:1::/64"},{"type":"TIMESTAMP","seconds":1700000000,"fraction":1}]}
{"type":"HB","flags":["R"],"seq":7,"options":[{"type":"RESTART-COUNTER","restart_counter":3}]}
[{"type":"BRI","trigger":1,"seq":9,"flags":["P","bit15"],"options":[{"type":"MN-ID","subtype":5,"identifier":"02:00:00:00:00:01"}]},
 {"type":"HAS","home_agent_addresses":["2001:db8::a","2001:db8::b"]}]
{"type":"BU","seq":1,"flags":["A","P","D"],"lifetime":0,"options":[
  {"type":"MN-ID","subtype":2,"identifier":"2001:db8::99"},
  {"type":"LMA-UPA","lma_user_plane_address":"192.0.2.1"},
  {"type":"LMA-UPA","lma_user_plane_address":""},
  {"type":"REDIRECT","flags":["K"],"r2lma":"2001:db8::5"},
  {"type":"VSM","vendor_id":10415,"subtype":1,"data":"deadbeef"},
  {"type":"DLIF-LL","dlif_link_layer_address":"02:00:00:00:00:01"},
  {"type":"PREVIOUS-MAAR","previous_maar":"2001:db8:1::1","prefix":"2001:db8:aaa:2::/64"},
  {"type":"MN-LLID","link_layer_identifier":"00:11:22:33:44:55"},
  {"type":"AUTH","subtype":1,"spi":256,"authentication_data":"00112233445566778899aabbccddeeff"}]}
{"type":"UPN","seq":3,"reason":1,"flags":["A"]}
{"type":"BE","status":2,"home_address":"2001:db8::7"}
{"type":"BRA","status":0,"seq":9,"flags":[]}
EOF
"$D" encode <"$T/msgs.json" >"$T/h1" && pass || fail "encode message set"
expect "message count" "$(wc -l <"$T/h1" | tr -d ' ')" 8
while read -r h; do "$D" decode --hex "$h"; done <"$T/h1" >"$T/j1" && pass || fail "decode message set"
"$D" encode <"$T/j1" >"$T/h2" && pass || fail "re-encode message set"
cmp -s "$T/h1" "$T/h2" && pass || fail "encode -> decode -> encode is not the identity"
while read -r h; do "$D" decode --hex "$h"; done <"$T/h2" >"$T/j2"
cmp -s "$T/j1" "$T/j2" && pass || fail "decode of the re-encoded messages differs"
expect "IMSI digits" "$(sed -n 1p "$T/j1" | jq -r '.options[0].identifier')" "234150999999999"
expect "unnamed flag bit" "$(sed -n 3p "$T/j1" | jq -c '.flags')" '["P","bit15"]'

# 64-bit values above INT64_MAX survive (jansson integers are signed).
big='{"type":"BU","options":[{"type":"MESG-ID","timestamp":16045690984503098046}]}'
h=$(echo "$big" | "$D" encode)
expect "big integer" "$("$D" decode --hex "$h" | "$D" encode)" "$h"
case $("$D" decode --hex "$h") in *'"timestamp":16045690984503098046}'*) pass ;; *) fail "big integer printed" ;; esac

# --- errors ---------------------------------------------------------------
for bad in "zz" "3b0" "3b 09 05 00 00 00 12 34" "3c00050000001234"; do
	rc=0
	out=$("$D" decode --hex "$bad" 2>/dev/null) || rc=$?
	expect "malformed hex '$bad' exit" "$rc" 1
	expect "malformed hex '$bad' error key" "$(echo "$out" | jq -r 'has("error") and has("error_text")')" true
done
expect "truncated error name" "$("$D" decode --hex '3b 09 05 00 00 00 12 34' | jq -r .error)" TRUNCATED

# enc_err JSON EXPECTED-STDERR-SUBSTRING
enc_err() {
	rc=0
	echo "$1" | "$D" encode >/dev/null 2>"$T/err" || rc=$?
	expect "encode error exit for $1" "$rc" 1
	grep -qF "$2" "$T/err" && pass || fail "encode error for $1: '$(cat "$T/err")' lacks '$2'"
}
enc_err '{"type":"BU","options":[{"type":"HI","handoff_indicator":1},{"type":"ATT","access_technology_type":4},{"type":"HNP","prefix":"2001:db8::"}]}' 'options[2].prefix: expected "addr/len"'
enc_err '{"type":"BU","sequence":1}' 'sequence: unknown key'
enc_err '{"type":"BU","seq":"1"}' 'seq: expected integer'
enc_err '{"type":"BU","flags":["Z"]}' 'flags: unknown flag "Z"'
enc_err '{"type":"BU","options":[{"type":"HNP","prefix":"2001:db8::/64","prefix_length":64}]}' 'options[0].prefix_length: unknown key'
enc_err '{"type":"BU","options":[{"type":"HI","handoff_indicator":0}]}' 'OPT_RESERVED'
enc_err '{"type":"BU","options":[{"type":"HI","handoff_indicator":1},{"type":"HI","handoff_indicator":1}]}' 'OPT_DUP'
enc_err '{"type":"NOPE"}' 'type: unknown message type'
enc_err '{"type":"BU"' 'input:'

# --- pcap -----------------------------------------------------------------
PCAP_KEYS='del(.frame,.src,.dst,.transport,.checksum_ok)'
jq -c 'del(.checksum)' "$T/j1" >"$T/j1-nocsum"

"$D" encode --pcap "$T/ip6.pcap" <"$T/msgs.json" && pass || fail "encode --pcap"
"$D" decode --pcap "$T/ip6.pcap" >"$T/p1" && pass || fail "decode --pcap"
jq -c "$PCAP_KEYS | del(.checksum)" "$T/p1" | cmp -s - "$T/j1-nocsum" && pass || fail "pcap (ip6) JSON differs"
expect "pcap ip6 frames" "$(jq -c '[.frame,.transport,.checksum_ok,.src,.dst]' "$T/p1" | sort -u | wc -l | tr -d ' ')" 8
expect "pcap ip6 checksums" "$(jq -r '.checksum_ok' "$T/p1" | sort -u)" true
expect "pcap ip6 keys" "$(sed -n 1p "$T/p1" | jq -c '[.frame,.src,.dst,.transport,.checksum_ok]')" '[1,"2001:db8::1","2001:db8::2","ip6",true]'

"$D" encode --udp --src 2001:db8:1::10 --dst 2001:db8:2::20 --pcap "$T/udp.pcap" <"$T/msgs.json" && pass || fail "encode --udp --pcap"
"$D" decode --pcap "$T/udp.pcap" >"$T/p2" && pass || fail "decode --pcap (udp)"
jq -c "$PCAP_KEYS" "$T/p2" | cmp -s - "$T/j1" && pass || fail "pcap (udp) JSON differs"
expect "pcap udp keys" "$(sed -n 2p "$T/p2" | jq -c '[.frame,.src,.dst,.transport,has("checksum_ok"),.checksum]')" '[2,"2001:db8:1::10","2001:db8:2::20","udp",false,0]'

# tshark: a decoder we did not write.
for f in ip6 udp; do
	v=$(tshark -r "$T/$f.pcap" -V -o udp.check_checksum:TRUE 2>/dev/null)
	case $v in *Malformed* | *"[incorrect"* | *"Checksum Status: Bad"*) fail "tshark finds $f.pcap malformed" ;; *) pass ;; esac
done
expect "tshark sees the BU" "$(echo "$PBU_JSON" | "$D" encode --pcap "$T/pbu.pcap" && tshark -r "$T/pbu.pcap" -T fields -e mip6.bu.seqnr -e mip6.mnid.identifier 2>/dev/null)" "$(printf '4660\tmn1@example.com')"

# --- link types and extension headers (frames built with text2pcap) --------
# hexpkt FILE LINKTYPE HEX...: one frame per HEX
hexpkt() {
	f=$1 lt=$2
	shift 2
	for h; do echo "$h" | xxd -r -p | od -Ax -tx1 -v; done >"$T/t.txt"
	text2pcap -q -l "$lt" "$T/t.txt" "$f" >/dev/null 2>&1
}
A1=20010db8000000000000000000000001
A2=20010db8000000000000000000000002
HOA=20010db8000000000000000000000abc
hb='{"type":"HB","flags":["R"],"seq":7}'
MH=$(echo "$hb" | "$D" encode --src 2001:db8::1 --dst 2001:db8::2)
MH_HOA=$(echo "$hb" | "$D" encode --src 2001:db8::abc --dst 2001:db8::2)
MH_UDP=$(echo "$hb" | "$D" encode)
len() { printf %04x $(($(printf %s "$1" | wc -c) / 2)); }
# ip6 NEXT-HEADER PAYLOAD: an IPv6 header 2001:db8::1 -> 2001:db8::2 and the payload
ip6() { echo "60000000$(len "$2")$1""40$A1$A2$2"; }
IP6=$(ip6 87 "$MH")
# Hop-by-Hop (PadN) -> Destination Options (PadN) -> MH
EXT=$(ip6 00 "3c00010400000000""8700010400000000$MH")
# Destination Options with a Home Address option: the checksum covers the HoA
HAO=$(ip6 3c "870201020000c910$HOA$MH_HOA")
UDP=$(ip6 11 "153c153c$(len "0000000000000000$MH_UDP")0000$MH_UDP")
DNS=$(ip6 11 "d431003500000000""00000000")
# a fragment other than the first
FRAG=$(ip6 2c "870000080000002a$MH")
WANT='{"transport":"ip6","checksum_ok":true,"type":"HB","seq":7}'
pick='{transport,checksum_ok,type,seq}'

hexpkt "$T/raw.pcapng" 101 "$DNS" "$IP6" "$EXT" "$HAO" "$UDP" "$FRAG"
"$D" decode --pcap "$T/raw.pcapng" >"$T/p3" && pass || fail "decode raw captures"
expect "raw frames found" "$(jq -c '.frame' "$T/p3" | tr '\n' ' ')" "2 3 4 5 "
expect "raw plain" "$(sed -n 1p "$T/p3" | jq -c "$pick")" "$WANT"
expect "raw ext headers" "$(sed -n 2p "$T/p3" | jq -c "$pick")" "$WANT"
expect "raw home address option" "$(sed -n 3p "$T/p3" | jq -c "$pick")" "$WANT"
expect "raw udp" "$(sed -n 4p "$T/p3" | jq -c '{transport,checksum,type,seq}')" '{"transport":"udp","checksum":0,"type":"HB","seq":7}'

hexpkt "$T/eth.pcap" 1 "02000000000202000000000181000064""86dd$IP6" "0200000000020200000000010800""4500"
expect "ethernet + vlan" "$("$D" decode --pcap "$T/eth.pcap" | jq -c "$pick")" "$WANT"
hexpkt "$T/sll.pcap" 113 "0000000100060200000000010000""86dd$IP6"
expect "linux sll" "$("$D" decode --pcap "$T/sll.pcap" | jq -c "$pick")" "$WANT"
hexpkt "$T/sll2.pcap" 276 "86dd000000000002000100060200000000010000$IP6"
expect "linux sll2" "$("$D" decode --pcap "$T/sll2.pcap" | jq -c "$pick")" "$WANT"
hexpkt "$T/ipv6.pcap" 229 "$IP6"
expect "linktype ipv6" "$("$D" decode --pcap "$T/ipv6.pcap" | jq -c "$pick")" "$WANT"

# A wrong checksum is reported, not an error; a bad MH is an error that does not stop the file.
BADSUM=$(echo "$IP6" | sed 's/\(.\{88\}\)..../\1ffff/')
BADMH=$(echo "$IP6" | sed 's/\(.\{80\}\)3b/\13a/')
hexpkt "$T/bad.pcap" 101 "$BADSUM" "$BADMH" "$IP6"
rc=0
"$D" decode --pcap "$T/bad.pcap" >"$T/p4" || rc=$?
expect "bad frames exit" "$rc" 1
expect "bad checksum" "$(sed -n 1p "$T/p4" | jq -c '[.frame,.checksum_ok,.checksum]')" '[1,false,65535]'
expect "bad MH" "$(sed -n 2p "$T/p4" | jq -c .)" '{"frame":2,"error":"PAYLOAD_PROTO","error_text":"payload proto is not 59 (no next header)"}'
expect "after bad MH" "$(sed -n 3p "$T/p4" | jq -c '[.frame,.checksum_ok]')" '[3,true]'

echo "test-dmmctl: $((N - FAILS)) passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
