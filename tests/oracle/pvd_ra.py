#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent decoder of the Router Advertisements in a capture: the
Provisioning Domain option of RFC 8801 §3.1 is decoded here from the
RFC's figure, not by scapy (which only reads the capture and hands over
the ICMPv6 bytes) nor by dmmd's codec.

usage: pvd_ra.py CAPTURE DOMAIN RANGE=KIND...
  KIND is "anchored" or "local"; a PIO's prefix takes the kind of the
  RANGE (an IPv6 prefix such as 2001:db8:11::/48) that holds it.

For every RA carrying a PIO, checks:
  - exactly one PvD option (§3.2: MUST NOT include more than one);
  - its header: Length covers the option inside the RA, H, L and R clear,
    Reserved 0, Delay and Sequence 0 (§3.1: SHOULD when H is clear), the
    PvD ID in DNS wire form without compression pointers, zero padding
    to the next 8-octet boundary, then only whole options;
  - every PIO outside the PvD option is inside it too, with the same
    flags and lifetimes, and the other way round (so an unmodified host,
    which skips option 21 by RFC 4861 §4.2, still gets every prefix);
  - the PvD ID is KIND.DOMAIN for the kind of every prefix it carries.
Prints one JSON object: the RAs seen, per PvD ID the prefixes, and the
errors; exits 1 when an error was found or no RA had a PIO.
"""
import ipaddress
import json
import struct
import sys

from scapy.all import IPv6, rdpcap

ND_RA = 134
OPT_PIO = 3
OPT_PVD = 21


def options(buf, where, errors):
    """(type, bytes) of each option in buf (RFC 4861 §4.6: Length in 8 octets, 0 invalid)."""
    out, i = [], 0
    while i < len(buf):
        if i + 2 > len(buf):
            errors.append(f"{where}: option header cut at octet {i}")
            break
        t, n = buf[i], buf[i + 1] * 8
        if n == 0 or i + n > len(buf):
            errors.append(f"{where}: option type {t} length {n} at octet {i} of {len(buf)}")
            break
        out.append((t, buf[i:i + n]))
        i += n
    return out


def pio(o):
    """RFC 4861 §4.6.2: (prefix, L/A flags octet, valid, preferred)."""
    plen, flags = o[2], o[3]
    valid, pref = struct.unpack("!II", o[4:12])
    net = ipaddress.IPv6Network((bytes(o[16:32]), plen), strict=False)
    return (str(net), flags, valid, pref)


def fqdn(buf, errors):
    """RFC 1035 §3.1 name at buf[0:]; (text, octets used)."""
    labels, i = [], 0
    while True:
        if i >= len(buf):
            errors.append("PvD ID runs past the option")
            return None, i
        n = buf[i]
        if n & 0xC0:
            errors.append("PvD ID uses a compression pointer (RFC 8801 §3.1: MUST NOT)")
            return None, i
        i += 1
        if n == 0:
            return ".".join(labels), i
        labels.append(bytes(buf[i:i + n]).decode("ascii", "replace"))
        i += n


def pvd(o, errors):
    """RFC 8801 §3.1 Figure 1: (ID, [PIOs inside])."""
    flags_delay, seq = struct.unpack("!HH", o[2:6])
    h, l, r = flags_delay >> 15 & 1, flags_delay >> 14 & 1, flags_delay >> 13 & 1
    reserved, delay = flags_delay >> 4 & 0x1FF, flags_delay & 0xF
    if (h, l, r) != (0, 0, 0):
        errors.append(f"PvD flags H={h} L={l} R={r}: expected all clear")
    if reserved or delay or seq:
        errors.append(f"PvD reserved {reserved}, delay {delay}, sequence {seq}: expected 0")
    name, used = fqdn(o[6:], errors)
    end = 6 + used
    pad = (8 - end % 8) % 8
    if any(o[end:end + pad]):
        errors.append("PvD padding not zero")
    inner = options(o[end + pad:], "inside the PvD option", errors)
    pios = []
    for t, b in inner:
        if t == OPT_PVD:
            errors.append("a PvD option inside a PvD option (§3.2)")
        elif t == OPT_PIO:
            pios.append(pio(b))
    return name, pios


def main():
    cap, domain = sys.argv[1], sys.argv[2]
    ranges = [(ipaddress.IPv6Network(a.split("=", 1)[0]), a.split("=", 1)[1]) for a in sys.argv[3:]]

    def kind_of(prefix):
        net = ipaddress.IPv6Network(prefix)
        return next((k for r, k in ranges if net.subnet_of(r)), None)

    errors, ras, by_id = [], 0, {}
    for pkt in rdpcap(cap):
        if IPv6 not in pkt or pkt[IPv6].nh != 58:
            continue
        icmp = bytes(pkt[IPv6].payload)
        if len(icmp) < 16 or icmp[0] != ND_RA:
            continue
        opts = options(icmp[16:], "RA", errors)
        outer = sorted(pio(b) for t, b in opts if t == OPT_PIO)
        pvds = [b for t, b in opts if t == OPT_PVD]
        if not outer and not pvds:
            continue
        ras += 1
        if len(pvds) != 1:
            errors.append(f"RA {ras}: {len(pvds)} PvD options, expected 1")
            continue
        name, inner = pvd(pvds[0], errors)
        if sorted(inner) != outer:
            errors.append(f"RA {ras}: PIOs outside {outer} differ from those inside {sorted(inner)}")
        for p in inner:
            want = kind_of(p[0])
            if want is None:
                errors.append(f"RA {ras}: prefix {p[0]} not expected")
            elif name != f"{want}.{domain}":
                errors.append(f"RA {ras}: prefix {p[0]} is {want}, in PvD {name}")
            by_id.setdefault(name, set()).add(p[0])
    if ras == 0:
        errors.append("no RA with a PIO or a PvD option in the capture")
    print(json.dumps({"ras": ras, "pvds": {k: sorted(v) for k, v in by_id.items()}, "errors": errors[:20]}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
