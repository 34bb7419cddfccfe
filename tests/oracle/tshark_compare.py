#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Oracle test: our Mobility Header codec against tshark's mip6 dissector.

The corpus (messages.json) is encoded by `dmmctl encode --pcap` (IPv6,
next header 135, and again with --udp for MH over UDP 5436), decoded by
`dmmctl decode --pcap` and dissected by `tshark -T pdml`. For every frame,
every field tshark 4.0.17 decodes is compared with the value in our JSON
for the same frame (the raw "value" bytes of PDML are used, so labels and
time zones play no part). Our JSON is also compared with the corpus
(round trip), and every frame must be free of tshark warnings/errors
except for the known tshark defects listed in KNOWN_TSHARK_DEFECTS.

Usage: tshark_compare.py DMMCTL CORPUS WORKDIR
Ends with the line `tshark: N passed, M failed`.
"""
import ipaddress
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

DMMCTL, CORPUS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]

# Known tshark 4.0.17 defects; frames hitting them are exempt from the
# "no warning / no malformed" rule, and only what tshark decodes correctly
# is compared.
#  - MH 19/20 (UPN/UPA, RFC 7077) are unknown to tshark: only the common
#    header (type, length, checksum) is compared.
#  - Options 59 and 65-70 are unknown to tshark: it skips them correctly
#    (the next option is still found) but shows a bogus Length and a Note
#    "IE data not dissected yet". Such options are in frames of their own
#    and only their option type is compared.
#  - HAS (MH 12): dissect_mip6_has() returns 2 + 16n instead of
#    6 + 2 + 16n as the offset of the options, so tshark parses the
#    tail of the addresses as options (warnings, malformed for n = 0).
#    The fixed part (count, addresses) is compared; options and the
#    expert info are not.
#  - Off-by-two lengths in packet-mip6.c (option_len already excludes
#    Type/Length, yet the dissectors subtract the 2-octet header again):
#    AUTH (9) shows Authentication Data 2 octets short; VSM (19) shows Data
#    2 octets short and none at all when it is <= 2 octets; MN-ID (8) shows
#    no Identifier when it is 1 octet. We compare the octets tshark shows
#    with the same prefix of ours. VSM with vendor 10415 (3GPP) goes to the
#    3GPP sub-dissector, so only vendor id and option type are compared.
#  - MN-ID identifiers are dissected as UTF-8 strings whatever the subtype,
#    so binary identifiers containing NUL get a Warning "Trailing stray
#    characters"; that warning is allowed for MN-ID subtypes other than NAI.
#  - BU flags S, D and BA flags S, D are unknown to tshark (4.0 stops at B);
#    HI flags P, F and HAck flags U, P, F are not dissected (tshark knows
#    RFC 5568's S, U only, and no HAck flags).
#  - Option 42 (MN LLA-IID, RFC 5949 §6.2.3) is unknown to tshark 4.0
#    ("IE data not dissected yet"); it has a frame of its own and only its
#    type is compared. Option 41 (LMAA) is labelled with 42's name but its
#    fields are dissected right.
TSHARK_UNKNOWN_OPTS = {42, 53, 54} | set(range(56, 71))
TSHARK_UNKNOWN_MH = {19, 20}
SEV_WARN = 0x600000

passed = 0
failed = []


def check(frame, what, ours, theirs, labels=("ours", "tshark")):
    global passed
    if ours == theirs:
        passed += 1
    else:
        failed.append(f"frame {frame}: {what}: {labels[0]}={ours!r} {labels[1]}={theirs!r}")


def run(args, stdin=None):
    r = subprocess.run(args, input=stdin, capture_output=True, text=True)
    return r


# --- expected-value helpers, from the RFCs (not from our code) ---

def ip6(s):
    return ipaddress.IPv6Address(s)


def mnid_bytes(sub, ident):
    """RFC 4283 / RFC 8371 encoding of the identifier, from our JSON text."""
    if sub == 1:
        return ident.encode()
    if sub == 2:
        return ip6(ident).packed
    if sub == 3:  # BCD, high nibble first, 0xf pads the last digit
        d = ident + ("f" if len(ident) % 2 else "")
        return bytes.fromhex(d)
    if sub in (5, 6):
        return bytes.fromhex(ident.replace(":", ""))
    return bytes.fromhex(ident)


def mac_bytes(s):
    return bytes.fromhex(s.replace(":", ""))


# --- PDML ---

def walk(el, out):
    for f in el.findall("field"):
        out.append(f)
        walk(f, out)


def pdml_frames(pcap):
    r = run(["tshark", "-r", pcap, "-T", "pdml"])
    if r.returncode != 0:
        sys.exit(f"tshark failed: {r.stderr}")
    root = ET.fromstring(r.stdout)
    frames = []
    for pkt in root.findall("packet"):
        mip = None
        for p in pkt.iter("proto"):
            if p.get("name") == "mipv6":
                mip = p
        allf = []
        for p in pkt.iter("proto"):
            walk(p, allf)
        frames.append((mip, allf, pkt))
    return frames


class Msg:
    """tshark's view of one MH: header fields, message fields, options."""

    def __init__(self, mip):
        self.hdr = {}
        self.fields = {}
        self.opts = []  # (type, {name: [field elements]})
        for f in mip.findall("field"):
            n = f.get("name")
            if n.startswith("mip6.") and not n.startswith("mip6.options"):
                self.hdr[n] = f
            elif n == "" and f.get("show") == "Mobility Options":
                for o in f.findall("field"):
                    val = o.get("value") or ""
                    otype = int(val[:2], 16) if val else None
                    if otype in (0, 1):
                        continue
                    sub = []
                    walk(o, sub)
                    d = {}
                    for s in sub:
                        d.setdefault(s.get("name"), []).append(s)
                    if "mip6.mobility_opt" in d:
                        otype = int(d["mip6.mobility_opt"][0].get("value"), 16)
                    self.opts.append((otype, d))
            elif n == "":
                sub = []
                walk(f, sub)
                for s in sub:
                    self.fields.setdefault(s.get("name"), []).append(s)


def ival(f):
    return int(f.get("value"), 16)


def bval(f):
    return bytes.fromhex(f.get("value") or "")


def one(d, name):
    v = d.get(name)
    return v[0] if v else None


# --- comparisons ---

def cmp_int(fr, what, ours, d, name):
    f = one(d, name)
    check(fr, what, ours, ival(f) if f is not None else None)


def cmp_flag(fr, what, flags, bit, d, name):
    f = one(d, name)
    check(fr, what, bit in flags, (ival(f) != 0) if f is not None else None)


def cmp_ip6(fr, what, ours, d, name):
    f = one(d, name)
    check(fr, what, ip6(ours), ip6(f.get("show")) if f is not None else None)


def cmp_bytes(fr, what, ours, d, name):
    f = one(d, name)
    check(fr, what, ours.hex(), bval(f).hex() if f is not None else None)


def compare_msg(fr, j, m):
    t = j["type"]
    F = m.fields
    if t == "BU":
        cmp_int(fr, "BU seq", j["seq"], F, "mip6.bu.seqnr")
        for b, n in (("A", "mip6.bu.a_flag"), ("H", "mip6.bu.h_flag"), ("L", "mip6.bu.l_flag"),
                     ("K", "mip6.bu.k_flag"), ("M", "mip6.bu.m_flag"), ("R", "mip6.nemo.bu.r_flag"),
                     ("P", "mip6.bu.p_flag"), ("F", "mip6.bu.f_flag"), ("T", "mip6.bu.t_flag"),
                     ("B", "mip6.bu.b_flag")):
            cmp_flag(fr, f"BU flag {b}", j["flags"], b, F, n)
        cmp_int(fr, "BU lifetime", j["lifetime"], F, "mip6.bu.lifetime")
    elif t == "BA":
        cmp_int(fr, "BA status", j["status"], F, "mip6.ba.status")
        for b, n in (("K", "mip6.ba.k_flag"), ("R", "mip6.nemo.ba.r_flag"), ("P", "mip6.ba.p_flag"),
                     ("T", "mip6.ba.t_flag"), ("B", "mip6.ba.b_flag")):
            cmp_flag(fr, f"BA flag {b}", j["flags"], b, F, n)
        cmp_int(fr, "BA seq", j["seq"], F, "mip6.ba.seqnr")
        cmp_int(fr, "BA lifetime", j["lifetime"], F, "mip6.ba.lifetime")
    elif t == "BE":
        cmp_int(fr, "BE status", j["status"], F, "mip6.be.status")
        cmp_ip6(fr, "BE home address", j["home_address"], F, "mip6.be.haddr")
    elif t == "HAS":
        cmp_int(fr, "HAS count", j["num_addresses"], F, "mip6.has.num_addrs")
        theirs = [ip6(f.get("show")) for f in F.get("mip6.has.address", [])]
        check(fr, "HAS addresses", [ip6(a) for a in j["home_agent_addresses"]], theirs)
    elif t == "HB":
        cmp_flag(fr, "HB flag U", j["flags"], "U", F, "mip6.hb.u_flag")
        cmp_flag(fr, "HB flag R", j["flags"], "R", F, "mip6.hb.r_flag")
        cmp_int(fr, "HB seq", j["seq"], F, "mip6.hb.seqnr")
    elif t == "HI":
        cmp_int(fr, "HI seq", j["seq"], F, "mip6.hi.seqnr")
        cmp_flag(fr, "HI flag S", j["flags"], "S", F, "mip6.hi.s_flag")
        cmp_flag(fr, "HI flag U", j["flags"], "U", F, "mip6.hi.u_flag")
        cmp_int(fr, "HI code", j["code"], F, "mip6.hi.code")
    elif t == "HACK":
        cmp_int(fr, "HAck seq", j["seq"], F, "mip6.hack.seqnr")
        cmp_int(fr, "HAck code", j["code"], F, "mip6.hack.code")
    elif t in ("BRI", "BRA"):
        cmp_int(fr, f"{t} B.R. type", j["br_type"], F, "mip6.bri_br.type")
        cmp_int(fr, f"{t} seq", j["seq"], F, "mip6.bri_seqnr")
        if t == "BRI":
            cmp_int(fr, "BRI trigger", j["trigger"], F, "mip6.bri_r.trigger")
            names = ("mip6.bri_ip", "mip6.bri_iv", "mip6.bri_ig")
        else:
            cmp_int(fr, "BRA status", j["status"], F, "mip6.bri_status")
            names = ("mip6.bri_ap", "mip6.bri_av", "mip6.bri_ag")
        for b, n in zip("PVG", names):
            cmp_flag(fr, f"{t} flag {b}", j["flags"], b, F, n)


def compare_opt(fr, o, otype, d):
    t = o["type"]
    w = f"opt {t}"
    check(fr, f"{w} option type", o.get("option_type"), otype)
    if otype in TSHARK_UNKNOWN_OPTS:
        return
    if t == "BRA":
        cmp_int(fr, f"{w} interval", o["refresh_interval"], d, "mip6.bra.interval")
    elif t == "ACOA":
        cmp_ip6(fr, f"{w} address", o["alternate_coa"], d, "mip6.acoa.acoa")
    elif t == "NONCE":
        cmp_int(fr, f"{w} home index", o["home_nonce_index"], d, "mip6.ni.hni")
        cmp_int(fr, f"{w} care-of index", o["careof_nonce_index"], d, "mip6.ni.cni")
    elif t == "BAD":
        cmp_bytes(fr, f"{w} authenticator", bytes.fromhex(o["authenticator"]), d, "mip6.bad.auth")
    elif t == "MN-ID":
        cmp_int(fr, f"{w} subtype", o["subtype"], d, "mip6.mnid.subtype")
        ident = mnid_bytes(o["subtype"], o["identifier"])
        if len(ident) == 1:
            check(fr, f"{w} 1-octet identifier absent in tshark", True, "mip6.mnid.identifier" not in d)
            return
        cmp_bytes(fr, f"{w} identifier", ident, d, "mip6.mnid.identifier")
        if o["subtype"] == 1:
            f = one(d, "mip6.mnid.identifier")
            check(fr, f"{w} NAI text", o["identifier"], f.get("show") if f is not None else None)
    elif t == "AUTH":
        cmp_int(fr, f"{w} subtype", o["subtype"], d, "mip6.auth.subtype")
        cmp_int(fr, f"{w} SPI", o["spi"], d, "mip6.auth.mobility_spi")
        cmp_bytes(fr, f"{w} data (tshark shows 2 octets short)", bytes.fromhex(o["authentication_data"])[:-2], d,
                  "mip6.auth.auth_data")
    elif t == "MESG-ID":
        cmp_int(fr, f"{w} timestamp", o["timestamp"], d, "mip6.mseg_id.timestamp")
    elif t == "VSM":
        cmp_int(fr, f"{w} vendor id", o["vendor_id"], d, "mip6.vsm.vendorId")
        if o["vendor_id"] != 10415:
            cmp_int(fr, f"{w} subtype", o["subtype"], d, "mip6.vsm.subtype")
            data = bytes.fromhex(o["data"])[:-2]
            if data:
                cmp_bytes(fr, f"{w} data (tshark shows 2 octets short)", data, d, "mip6.vsm.data")
            else:
                check(fr, f"{w} data absent in tshark", True, "mip6.vsm.data" not in d)
    elif t == "HNP":
        a, plen = o["prefix"].split("/")
        cmp_int(fr, f"{w} prefix length", int(plen), d, "mip6.nemo.mnp.pfl")
        cmp_ip6(fr, f"{w} prefix", a, d, "mip6.nemo.mnp.mnp")
    elif t == "HI":
        cmp_int(fr, f"{w} value", o["handoff_indicator"], d, "mip6.hi")
    elif t == "ATT":
        cmp_int(fr, f"{w} value", o["access_technology_type"], d, "mip6.att")
    elif t == "MN-LLID":
        cmp_bytes(fr, f"{w} identifier", mac_bytes(o["link_layer_identifier"]), d, "mip6.mnlli.lli")
    elif t == "LLA":
        cmp_ip6(fr, f"{w} address", o["link_local_address"], d, "mip6.lila_lla")
    elif t == "TIMESTAMP":
        f = one(d, "mip6.timestamp_tmp")
        raw = bval(f) if f is not None else b""
        check(fr, f"{w} seconds", o["seconds"], int.from_bytes(raw[:6], "big") if f is not None else None)
        check(fr, f"{w} fraction", o["fraction"], int.from_bytes(raw[6:8], "big") if f is not None else None)
    elif t == "RESTART-COUNTER":
        cmp_int(fr, f"{w} counter", o["restart_counter"], d, "mip6.rc")
    elif t == "REDIRECT-CAP":
        check(fr, f"{w} present", True, "mip6.recap.reserved" in d)
    elif t == "REDIRECT":
        cmp_flag(fr, f"{w} flag K", o["flags"], "K", d, "mip6.redir.k")
        cmp_flag(fr, f"{w} flag N", o["flags"], "N", d, "mip6.redir.n")
        if ":" in o["r2lma"]:
            cmp_ip6(fr, f"{w} r2LMA", o["r2lma"], d, "mip6.redir.addr_r2lma_ipv6")
        else:
            f = one(d, "mip6.redir.addr_r2lma_ipv4")
            check(fr, f"{w} r2LMA", o["r2lma"], f.get("show") if f is not None else None)
    elif t == "LOAD-INFO":
        for k, n in (("priority", "priority"), ("sessions_in_use", "sessions_in_use"),
                     ("maximum_sessions", "maximum_sessions"), ("used_capacity", "used_capacity"),
                     ("maximum_capacity", "maximum_capacity")):
            cmp_int(fr, f"{w} {k}", o[k], d, "mip6.load_inf." + n)
    elif t == "CONTEXT-REQ":  # RFC 5949 §6.2.1: Req-type/Req-length pairs (no Req-option here)
        req = bytes.fromhex(o["requests"])
        check(fr, f"{w} req types", list(req[0::2]), [ival(f) for f in d.get("mip6.cr.req_type", [])])
        check(fr, f"{w} req lengths", list(req[1::2]), [ival(f) for f in d.get("mip6.cr.req_length", [])])
    elif t == "LMAA":  # RFC 5949 §6.2.2
        cmp_int(fr, f"{w} code", o["option_code"], d, "mip6.lmaa.opt_code")
        if o["option_code"] == 1:
            cmp_ip6(fr, f"{w} address", o["lma_address"], d, "mip6.lmaa.ipv6")
        else:
            f = one(d, "mip6.lmaa.ipv4")
            check(fr, f"{w} address", o["lma_address"], f.get("show") if f is not None else None)
    else:
        failed.append(f"frame {fr}: option {t} ({otype}) known to tshark but not compared by this test")


def pcap_expert(allf, j):
    """Highest expert severity and malformed flag, minus the allowed warnings."""
    binary_mnid = any(o["type"] == "MN-ID" and o["subtype"] != 1 for o in j.get("options", []))
    sev = 0
    for f in allf:
        if f.get("name") != "_ws.expert":
            continue
        sub = {}
        for s in f.findall("field"):
            sub[s.get("name")] = s.get("show")
        msg = sub.get("_ws.expert.message") or f.get("showname", "")
        if binary_mnid and "Trailing stray characters" in msg:
            continue
        sev = max(sev, int(sub.get("_ws.expert.severity", "0")))
    malformed = any(f.get("name") == "_ws.malformed" for f in allf)
    return sev, malformed


RT = ("corpus", "dmmctl")


def corpus_roundtrip(fr, src, j):
    """Our decode of our encode must give back the corpus message."""
    for k, v in src.items():
        if k == "options":
            continue
        check(fr, f"round trip {k}", v, j.get(k), RT)
    so = src.get("options", [])
    jo = j.get("options", [])
    check(fr, "round trip option count", len(so), len(jo), RT)
    for a, b in zip(so, jo):
        for k, v in a.items():
            check(fr, f"round trip opt {a['type']} {k}", v, b.get(k), RT)


def run_mode(msgs, udp):
    tag = "udp" if udp else "ip6"
    pcap = f"{WORK}/corpus-{tag}.pcap"
    stdin = "".join(json.dumps(m) + "\n" for m in msgs)
    r = run([DMMCTL, "encode", "--pcap", pcap] + (["--udp"] if udp else []), stdin)
    if r.returncode != 0:
        failed.append(f"{tag}: dmmctl encode failed ({r.returncode}): {r.stderr.strip()}")
        return
    r = run([DMMCTL, "decode", "--pcap", pcap])
    ours = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    if r.returncode != 0:
        failed.append(f"{tag}: dmmctl decode exited {r.returncode}: {r.stderr.strip()}")
    frames = pdml_frames(pcap)
    check(0, f"{tag}: frames (corpus, dmmctl decode)", len(msgs), len(ours))
    check(0, f"{tag}: frames (corpus, tshark)", len(msgs), len(frames))
    for i, (src, j, (mip, allf, pkt)) in enumerate(zip(msgs, ours, frames)):
        fr = f"{tag}#{i + 1} {src['type']}"
        if "error" in j:
            failed.append(f"frame {fr}: dmmctl decode error {j['error']}: {j.get('error_text')}")
            continue
        check(fr, "frame number", i + 1, j.get("frame"))
        check(fr, "transport", tag, j.get("transport"))
        if not udp:
            check(fr, "checksum_ok", True, j.get("checksum_ok"))
        else:
            check(fr, "checksum is 0 over UDP", 0, j.get("checksum"))
        corpus_roundtrip(fr, src, j)
        if mip is None:
            failed.append(f"frame {fr}: tshark did not dissect a Mobility Header")
            continue
        m = Msg(mip)
        H = {k: [v] for k, v in m.hdr.items()}
        cmp_int(fr, "payload proto", 59, H, "mip6.proto")
        cmp_int(fr, "MH type", j["mh_type"], H, "mip6.mhtype")
        cmp_int(fr, "header length", j["length"] // 8 - 1, H, "mip6.hlen")
        check(fr, "length is the MH size tshark sees", j["length"], int(mip.get("size")))
        cmp_int(fr, "checksum", j["checksum"], H, "mip6.csum")
        sev, malformed = pcap_expert(allf, j)
        mh = j["mh_type"]
        if mh in TSHARK_UNKNOWN_MH:
            continue  # only the common header is known to tshark
        compare_msg(fr, j, m)
        if mh == 12:
            continue  # tshark HAS options offset defect, see above
        check(fr, "not malformed", False, malformed)
        check(fr, "no tshark warning/error", True, sev < SEV_WARN)
        known = [o for o in j["options"]]
        check(fr, "option count", len(known), len(m.opts))
        for o, (otype, d) in zip(known, m.opts):
            compare_opt(fr, o, otype, d)


def main():
    msgs = json.load(open(CORPUS))
    run_mode(msgs, False)
    run_mode(msgs, True)
    for f in failed:
        print("FAIL", f)
    print(f"tshark: compared {passed + len(failed)} fields over {len(msgs)} messages x 2 transports")
    ok = not failed and passed >= 100
    if passed < 100:
        print(f"FAIL implausibly few fields compared ({passed})")
    print(f"tshark: {passed} passed, {len(failed) + (0 if passed >= 100 else 1)} failed")
    sys.exit(0 if ok else 1)


main()
