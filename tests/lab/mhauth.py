#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The test oracle for RFC 4285 §5.1 (the Mobility Message Authentication
Option, type 9, subtype 1) on dmmd's signalling, computed with Python's
hmac and hashlib only, independently of the C code:

  Authentication Data = First(96 or 128, HMAC(key, Mobility Data))
  Mobility Data       = A | B | MH Data

A is the address of the node that sends the request (PBU, Heartbeat
Request, BRI), B that of the node that answers (so a PBU MAG -> LMA and its
PBA both use MAG | LMA); MH Data is the Mobility Header from its first
octet up to and including the SPI, with the checksum field zero.

As a module (tests/lab/auth-attack.sh): sign(), verify(), checksum().
As a program: verify every Mobility Header in a capture,

  mhauth.py verify [--list] PCAP SPI:ALGORITHM:KEYFILE...

and print one JSON object: how many verified, per SPI and message type,
and every message that did not (unsigned, unknown SPI, bad authenticator);
with --list, every message (time, addresses, type, SPI, verdict) too.
"""
import hashlib
import hmac
import ipaddress
import json
import sys

# algorithm: (hash, key octets, authenticator octets)
ALGS = {
    "hmac-sha1-96": (hashlib.sha1, 16, 12),
    "hmac-sha256-128": (hashlib.sha256, 32, 16),
}
OPT_AUTH = 9
SUBTYPE_MN_HA = 1
# Every message dmmd authenticates (BU, BA, Heartbeat, BRI/BRA) has a
# 6-octet body after the 6-octet MH header: the options begin at octet 12.
OPTS_AT = 12
TYPE_NAMES = {5: "PBU", 6: "PBA", 13: "HB", 16: "BR"}


def addr(a):
    return ipaddress.IPv6Address(a).packed


def key_from_file(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


def load_sas(specs):
    """{spi: (algorithm, key)} from "SPI:ALGORITHM:KEYFILE" strings."""
    sas = {}
    for s in specs:
        spi, alg, path = s.split(":", 2)
        sas[int(spi)] = (alg, key_from_file(path))
    return sas


def is_request(mh):
    """PBU, Heartbeat Request (R clear), BRI (B.R. type 1) are requests."""
    t = mh[2]
    if t == 6:
        return False
    if t == 13:
        return not mh[7] & 0x01
    if t == 16:
        return mh[6] == 1
    return True


def name(mh):
    n = TYPE_NAMES.get(mh[2], str(mh[2]))
    if mh[2] == 13:
        return "HB-resp" if mh[7] & 1 else "HB-req"
    if mh[2] == 16:
        return "BRI" if mh[6] == 1 else "BRA"
    return n


def mac(alg, key, a, b, mh_to_spi):
    """The authenticator over A | B | MH up to the SPI, checksum zero."""
    h, _, n = ALGS[alg]
    data = bytearray(mh_to_spi)
    data[4:6] = b"\0\0"
    return hmac.new(key, addr(a) + addr(b) + bytes(data), h).digest()[:n]


def options(mh, whole=False):
    """(offset, type, length) of each option up to the Header Len (whole:
    up to the end of mh, whatever its Header Len says)."""
    end = len(mh) if whole else min(len(mh), (mh[1] + 1) * 8)
    off = OPTS_AT
    while off < end:
        if mh[off] == 0:
            yield off, 0, 0
            off += 1
            continue
        if off + 2 > end or off + 2 + mh[off + 1] > end:
            yield off, -1, 0  # overruns the message
            return
        yield off, mh[off], mh[off + 1]
        off += 2 + mh[off + 1]


def pad(n):
    """Pad1 or PadN of n octets (RFC 6275 §6.2.2, §6.2.3)."""
    if n == 0:
        return b""
    if n == 1:
        return b"\0"
    return bytes([1, n - 2]) + bytes(n - 2)


def options_end(mh, whole=False):
    """The end of the last option that is not padding."""
    end = OPTS_AT
    for off, t, ln in options(mh, whole):
        if t > 1:
            end = off + 2 + ln
    return end


def sign(mh, src, dst, spi, alg, key, auth_len=None):
    """mh (its own padding dropped) with option 9 appended at 4n+1, the
    message padded to 8n (before the option where alignment allows, after
    it otherwise: an 8-octet authenticator), Header Len set, checksum zero. src and dst are the message's IPv6
    source and destination. auth_len shortens the Authentication Data."""
    body = bytearray(mh[: options_end(mh, True)])
    n = ALGS[alg][2] if auth_len is None else auth_len
    # At 4n+1 and, where 4n+1 allows, so that the message ends with the
    # option: RFC 4285 §5.1 wants it last, and padding is an option too.
    at = len(body) + (1 - len(body)) % 4
    if (at + 7 + n) % 8 and (at + 4 + 7 + n) % 8 == 0:
        at += 4
    body += pad(at - len(body))
    body += bytes([OPT_AUTH, 5 + n, SUBTYPE_MN_HA]) + spi.to_bytes(4, "big")
    body[4:6] = b"\0\0"
    total = len(body) + n + (-(len(body) + n) % 8)
    body[1] = total // 8 - 1  # the Header Len is part of the MH Data
    a, b = (src, dst) if is_request(body) else (dst, src)
    body += mac(alg, key, a, b, body)[:n]
    body += pad(total - len(body))
    return bytes(body)


def auth_option(mh):
    """(offset, SPI, Authentication Data, last) of option 9, or None."""
    found, last = None, True
    for off, t, ln in options(mh):
        if found and t > 1:
            last = False
        if t == OPT_AUTH and ln >= 5 and mh[off + 2] == SUBTYPE_MN_HA:
            found = (off, int.from_bytes(mh[off + 3 : off + 7], "big"), bytes(mh[off + 7 : off + 2 + ln]))
    return None if found is None else found + (last,)


def verify(mh, src, dst, sas):
    """'ok', or why not: unsigned, not-last, unknown-spi, bad-length, bad."""
    o = auth_option(mh)
    if o is None:
        return "unsigned", None
    off, spi, data, last = o
    if not last:
        return "not-last", spi
    if (off - 1) % 4:
        return "misaligned", spi
    if spi not in sas:
        return "unknown-spi", spi
    alg, key = sas[spi]
    if len(data) != ALGS[alg][2]:
        return "bad-length", spi
    a, b = (src, dst) if is_request(mh) else (dst, src)
    want = mac(alg, key, a, b, mh[: off + 7])
    return ("ok" if hmac.compare_digest(want, data) else "bad"), spi


def checksum(src, dst, mh):
    """RFC 6275 §6.1.1: the MH checksum over the IPv6 pseudo-header (RFC 8200 §8.1)."""
    m = bytearray(mh)
    m[4:6] = b"\0\0"
    data = addr(src) + addr(dst) + len(m).to_bytes(4, "big") + bytes([0, 0, 0, 135]) + bytes(m)
    if len(data) % 2:
        data += b"\0"
    s = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    c = ~s & 0xFFFF
    m[4:6] = (c or 0xFFFF).to_bytes(2, "big")
    return bytes(m)


def mh_of(pkt):
    """(src, dst, Mobility Header) of a scapy packet, or None: the raw
    next header 135 (no extension headers on this path) or UDP 5436."""
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6

    if IPv6 not in pkt:
        return None
    ip = pkt[IPv6]
    if ip.nh == 135:
        return ip.src, ip.dst, bytes(ip.payload)
    if UDP in pkt and 5436 in (pkt[UDP].sport, pkt[UDP].dport):
        return ip.src, ip.dst, bytes(pkt[UDP].payload)
    return None


def verify_pcap(path, sas, listing=False):
    from scapy.all import rdpcap

    out = {"messages": 0, "ok": 0, "truncated": 0, "by_spi": {}, "by_type": {}, "failures": []}
    if listing:
        out["list"] = []
    for p in rdpcap(path):
        m = mh_of(p)
        if m is None or len(m[2]) < 8:
            continue
        src, dst, mh = m
        out["messages"] += 1
        if (mh[1] + 1) * 8 > len(mh):
            out["truncated"] += 1  # the capture's snap length cut it
            continue
        why, spi = verify(mh, src, dst, sas)
        if listing:
            out["list"].append({"t": float(p.time), "src": src, "dst": dst, "type": name(mh), "spi": spi, "why": why})
        if why == "ok":
            out["ok"] += 1
            out["by_spi"][str(spi)] = out["by_spi"].get(str(spi), 0) + 1
            out["by_type"][name(mh)] = out["by_type"].get(name(mh), 0) + 1
        else:
            out["failures"].append({"t": float(p.time), "src": src, "dst": dst, "type": name(mh), "why": why, "spi": spi})
    return out


def main(argv):
    listing = len(argv) > 2 and argv[2] == "--list"
    args = argv[3:] if listing else argv[2:]
    if len(argv) < 3 or argv[1] != "verify" or not args:
        sys.stderr.write("usage: mhauth.py verify [--list] PCAP SPI:ALGORITHM:KEYFILE...\n")
        return 2
    print(json.dumps(verify_pcap(args[0], load_sas(args[1:]), listing)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
