#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden vectors of the RFC 4285 MN-HA Authentication option.

mh-send --auth --print (the core codec's dmm_mh_auth_append() and dmmd's
daemon/auth.c MAC) signs fixed messages with fixed keys; this script
recomputes every authenticator on its own with Python's hmac module over
the same bytes (RFC 4285 §5.1: First(96, HMAC-SHA1) or First(128,
HMAC-SHA256) of "care-of address | home address | MH Data", MH Data from
the start of the Mobility Header up to and including the SPI, the
Checksum taken as zero) and checks the option's layout on its own too:
the last option but padding, at 4n+1, subtype 1, the SPI asked for, the
message before it unchanged, Header Len right. A bit flipped in the
output must be caught (the check can fail).

Mobility Data's addresses (docs/dmm-protocol.md): the requester's, then
the answerer's; for a request that is SRC, DST, for an answer (PBA, BA,
Heartbeat with R, BRA) DST, SRC.

Usage: auth_golden.py MH-SEND WORKDIR
"""
import hashlib
import hmac
import ipaddress
import os
import subprocess
import sys

MAG = "2001:db8:a:1::2"
LMA = "2001:db8:a::1"
KEY16 = bytes(range(16))
KEY32 = bytes(range(0xA0, 0xC0))

# name, hex of the message (checksum any: it is taken as zero), src, dst, is_answer, mesgid
MESSAGES = [
    ("pbu", None, MAG, LMA, False, None),  # pbu_bytes()
    ("pba", "3b0106000000002012340019 17020001", LMA, MAG, True, None),
    ("hb-request", "3b010d0000000000000000070000", MAG, LMA, False, "e5a1b2c3d4e5f607"),
    ("hb-response", "3b010d0000000001000000070000", LMA, MAG, True, "e5a1b2c3d4e5f608"),
    ("bri", "3b0110000000010400078000", LMA, MAG, False, "0000000100000002"),
    ("bra", "3b0110000000020000078000", MAG, LMA, True, "0000000100000003"),
]


def fix_len(b):
    """Pad to 8n with PadN/Pad1 and set Header Len (hand-laid messages)."""
    b = bytearray(b)
    pad = (8 - len(b) % 8) % 8
    if pad == 1:
        b += b"\x00"
    elif pad:
        b += bytes([1, pad - 2]) + bytes(pad - 2)
    b[1] = len(b) // 8 - 1
    return bytes(b)


def pbu_bytes():
    """A PBU laid as a tolerant sender might: the HNP off its 8n+4, trailing padding to replace."""
    b = bytes.fromhex("3b00 0500 0000 1234 8200 0019".replace(" ", ""))
    b += bytes.fromhex("0807 05 020000000101")       # MN-ID EUI-48
    b += bytes.fromhex("0101 00")                    # PadN 1 -> 24
    b += bytes.fromhex("01 00")                      # PadN 0 -> 26: not 8n+4, tolerated
    b += bytes.fromhex("1612 00 00" + "00" * 16)     # HNP ::/0
    b += bytes.fromhex("1702 0001 1802 0001")        # HI 1, ATT 1
    return fix_len(b)


def walk(msg):
    """(fixed end, [(off, type, len)]) of the options of msg, padding left out."""
    fixed = {5: 12, 6: 12, 13: 12, 16: 12}[msg[2]]
    opts, o = [], fixed
    while o < len(msg):
        if msg[o] == 0:
            o += 1
            continue
        t, l = msg[o], msg[o + 1]
        assert o + 2 + l <= len(msg), "option runs past the message"
        if t != 1:
            opts.append((o, t, l))
        o += 2 + l
    return fixed, opts


def answer(msg):
    t = msg[2]
    return t == 6 or (t == 13 and msg[7] & 1) or (t == 16 and msg[6] == 2)


def expected_mac(msg, key, alg, src, dst, opt_off):
    coa, hoa = (dst, src) if answer(msg) else (src, dst)
    data = ipaddress.IPv6Address(coa).packed + ipaddress.IPv6Address(hoa).packed
    data += msg[:4] + b"\x00\x00" + msg[6:opt_off + 7]
    digest, n = (hashlib.sha1, 12) if alg == "hmac-sha1-96" else (hashlib.sha256, 16)
    return hmac.new(key, data, digest).digest()[:n]


def check(name, orig, out, key, alg, spi, src, dst, mesgid):
    """None when out is orig signed right, else what is wrong."""
    if len(out) % 8 or out[1] != len(out) // 8 - 1:
        return "Header Len or length not 8n"
    fixed, oo = walk(orig)
    _, opts = walk(out)
    end = oo[-1][0] + 2 + oo[-1][2] if oo else fixed
    if out[0] != orig[0] or out[2:4] != orig[2:4] or out[6:end] != orig[6:end]:
        return "the message before the new options changed"
    off, t, l = opts[-1]
    n = 12 if alg == "hmac-sha1-96" else 16
    if t != 9 or off % 4 != 1 or l != 5 + n or out[off + 2] != 1:
        return "last option is not an MN-HA option of the right size at 4n+1"
    if int.from_bytes(out[off + 3:off + 7], "big") != spi:
        return "SPI"
    if mesgid is not None:
        m = [x for x in opts if x[1] == 10]
        if len(m) != 1 or m[0][0] % 8 != 2 or out[m[0][0] + 2:m[0][0] + 10] != bytes.fromhex(mesgid):
            return "Replay Protection option missing, misplaced or wrong"
    if out[off + 7:off + 7 + n] != expected_mac(out, key, alg, src, dst, off):
        return "authenticator differs from Python's hmac"
    return None


def sign(mh_send, work, msg, key, alg, spi, src, dst, mesgid):
    path = os.path.join(work, "key-%s" % alg)
    with open(path, "w") as f:
        f.write(key.hex() + "\n")
    cmd = [mh_send, "--auth", "%d:%s:%s" % (spi, alg, path)]
    if mesgid:
        cmd += ["--mesgid", mesgid]
    cmd += ["--print", src, dst, msg.hex()]
    return bytes.fromhex(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip())


def main():
    mh_send, work = sys.argv[1], sys.argv[2]
    passed = failed = 0
    for name, hexmsg, src, dst, _, mesgid in MESSAGES:
        msg = pbu_bytes() if hexmsg is None else fix_len(bytes.fromhex(hexmsg.replace(" ", "")))
        for alg, key, spi in (("hmac-sha1-96", KEY16, 4096), ("hmac-sha256-128", KEY32, 0xFFFFFFFF)):
            out = sign(mh_send, work, msg, key, alg, spi, src, dst, mesgid)
            why = check(name, msg, out, key, alg, spi, src, dst, mesgid)
            # The same check must catch one flipped bit of the authenticator.
            off = walk(out)[1][-1][0]
            bad = bytearray(out)
            bad[off + 8] ^= 0x10
            caught = check(name, msg, bytes(bad), key, alg, spi, src, dst, mesgid) is not None
            if why is None and caught:
                passed += 1
                print("auth-golden: %s %s: %s" % (name, alg, out.hex()))
            else:
                failed += 1
                print("auth-golden: %s %s FAILED: %s" % (name, alg, why or "a flipped bit went unnoticed"))
    print("auth-golden: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
