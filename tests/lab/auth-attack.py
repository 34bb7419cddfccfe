#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The attacker of tests/lab/auth-attack.sh, on the path between the MAGs
and the LMA (the IR's link to LMA1), sending with the MAGs' own source
addresses. Authenticators come from tests/lab/mhauth.py (Python's hmac).

  auth-attack.py attack CONFIG.json   replays and forgeries, one JSON line
  auth-attack.py control CONFIG.json  one correctly signed refresh PBU

CONFIG: iface, lma, mag (where the MN is bound), mag_old (where it was
before), mac (the MN's EUI-48), pcap (a capture of both registrations on
that link), sas {SPI: [algorithm, key file]}, spi (MAG-LMA's), window_ms
(the LMA's timestamp-validity-window), after_s (how old a replayed PBU
must be for the "after the window" cases), ready (a file the attacker
creates once it listens), go (a file it waits for before it strikes).

attack: the last PBU for the MN from mag_old (P_old) and from mag (P_new,
accepted after P_old) are taken from the capture and
  - replayed unchanged inside the window (P_old: older than the last
    accepted timestamp; P_new: equal to it),
  - a de-registration (lifetime 0, fresh timestamp, new sequence number)
    made from P_new is sent without option 9, signed with a wrong key, with
    one bit of the authenticator flipped, with the authenticator cut to 8
    octets, and under an SPI the LMA does not know,
  - P_old and P_new are replayed again once they are older than after_s.
Prints, per case, what was sent and every reply from the LMA to it.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mhauth  # noqa: E402
from scapy.all import AsyncSniffer, IPv6, Raw, conf, rdpcap, send  # noqa: E402

conf.verb = 0
OPT_MNID, OPT_TS = 8, 27


def opts(mh):
    return {t: (off, ln) for off, t, ln in mhauth.options(mh) if t > 1}


def mnid(mh):
    o = opts(mh).get(OPT_MNID)
    return None if o is None else bytes(mh[o[0] + 3 : o[0] + 2 + o[1]]).hex(":")


def ts_of(mh):
    off, _ = opts(mh)[OPT_TS]
    v = int.from_bytes(mh[off + 2 : off + 10], "big")
    return (v >> 16) + (v & 0xFFFF) / 65536


def set_ts(mh, t):
    off, _ = opts(mh)[OPT_TS]
    v = int(t) << 16 | int((t % 1) * 65536)
    mh[off + 2 : off + 10] = v.to_bytes(8, "big")


def last_pbu(cfg, src):
    """The last PBU with a lifetime for the MN from src in the capture."""
    found = None
    for p in rdpcap(cfg["pcap"]):
        m = mhauth.mh_of(p)
        if not m or m[0] != src or m[1] != cfg["lma"]:
            continue
        mh = m[2]
        if len(mh) >= 12 and mh[2] == 5 and int.from_bytes(mh[10:12], "big") > 0 and mnid(mh) == cfg["mac"]:
            found = mh
    return found


def unsigned(mh):
    """mh without option 9 (and the padding before it), padded to 8n."""
    o = mhauth.auth_option(mh)
    body = bytes(mh[: o[0]]) if o else bytes(mh)
    body = bytearray(body[: mhauth.options_end(body, True)])
    body += mhauth.pad(-len(body) % 8)
    body[1] = len(body) // 8 - 1
    body[4:6] = b"\0\0"
    return body


def dereg(p_new, seq):
    """A de-registration (RFC 5213 §6.9.1.2: lifetime 0) made from p_new."""
    d = unsigned(p_new)
    d[6:8] = seq.to_bytes(2, "big")
    d[10:12] = b"\0\0"
    set_ts(d, time.time())
    return d


def reply_of(p, cfg, sas):
    ip = p[IPv6]
    mh = bytes(ip.payload)
    if len(mh) < 12 or mh[2] != 6:
        return None
    why, spi = mhauth.verify(mh, ip.src, ip.dst, sas)
    return {
        "t": float(p.time),
        "dst": ip.dst,
        "seq": int.from_bytes(mh[8:10], "big"),
        "status": mh[6],
        "mnid": mnid(mh),
        "timestamp": OPT_TS in opts(mh),
        "auth": why,
        "spi": spi,
    }


class Attack:
    def __init__(self, cfg):
        self.cfg = cfg
        self.sas = {int(k): (v[0], mhauth.key_from_file(v[1])) for k, v in cfg["sas"].items()}
        self.cases = []

    def send(self, name, src, mh, expect):
        mh = mhauth.checksum(src, self.cfg["lma"], mh)
        c = {"case": name, "src": src, "seq": int.from_bytes(mh[6:8], "big"), "t": time.time(), "expect": expect}
        if mh[2] == 5 and OPT_TS in opts(mh):
            c["age"] = round(time.time() - ts_of(mh), 3)
        send(IPv6(src=src, dst=self.cfg["lma"], nh=135) / Raw(mh), iface=self.cfg["iface"])
        self.cases.append(c)
        time.sleep(0.2)

    def sign(self, mh, src, spi=None, key=None, auth_len=None):
        spi = self.cfg["spi"] if spi is None else spi
        alg, k = self.sas[self.cfg["spi"]]
        return bytearray(mhauth.sign(mh, src, self.cfg["lma"], spi, alg, key or k, auth_len))

    def captured(self):
        """P_old and P_new from the capture, and whether they verify."""
        cfg = self.cfg
        mag, old = cfg["mag"], cfg["mag_old"]
        p_old, p_new = last_pbu(cfg, old), last_pbu(cfg, mag)
        self.p_old, self.p_new = p_old, p_new
        out = {"found": {"old": p_old is not None, "new": p_new is not None}}
        if p_old is None or p_new is None:
            return out
        out["captured_auth"] = {
            "old": mhauth.verify(p_old, old, cfg["lma"], self.sas)[0],
            "new": mhauth.verify(p_new, mag, cfg["lma"], self.sas)[0],
        }
        out["ts_order"] = ts_of(p_old) < ts_of(p_new)
        out["cases"] = []
        return out

    def strike(self):
        """Listen, tell the script, wait for its go, then attack."""
        cfg = self.cfg
        sniffer = AsyncSniffer(
            iface=cfg["iface"], filter="ip6 and ip6[6] == 135 and src host " + cfg["lma"], store=True
        )
        sniffer.start()
        time.sleep(1.0)
        open(cfg["ready"], "w").close()
        for _ in range(600):
            if os.path.exists(cfg["go"]):
                break
            time.sleep(0.05)
        out = self.captured()
        if "cases" not in out:
            sniffer.stop()
            return out
        self.attack(out, sniffer)
        return out

    def attack(self, out, sniffer):
        cfg = self.cfg
        mag, old = cfg["mag"], cfg["mag_old"]
        p_old, p_new = self.p_old, self.p_new
        # Inside the window: the LMA has accepted P_new (and P_old before it).
        self.send("replay-old-inside", old, p_old, "157")
        self.send("replay-new-inside", mag, p_new, "156/157")
        # Forged de-registrations of the bound MN, from the MAG it is bound at.
        self.send("dereg-unauthenticated", mag, dereg(p_new, 60001), "silent")
        alg = self.sas[cfg["spi"]][0]
        self.send("dereg-wrong-key", mag, self.sign(dereg(p_new, 60002), mag, key=os.urandom(mhauth.ALGS[alg][1])), "146")
        d = self.sign(dereg(p_new, 60003), mag)
        o = mhauth.auth_option(d)
        d[o[0] + 7 + 5] ^= 0x10  # one bit of the Authentication Data
        self.send("dereg-bit-flipped", mag, d, "146")
        self.send("dereg-truncated-option", mag, self.sign(dereg(p_new, 60004), mag, auth_len=8), "146")
        self.send("dereg-unknown-spi", mag, self.sign(dereg(p_new, 60005), mag, spi=0x7EEE), "146")
        time.sleep(1.5)
        # After the window: wait until both captured PBUs are old enough.
        t_after = max(ts_of(p_old), ts_of(p_new)) + cfg["after_s"]
        out["waited_s"] = round(max(0.0, t_after - time.time()), 1)
        time.sleep(out["waited_s"])
        self.send("replay-old-after", old, p_old, "156")
        self.send("replay-new-after", mag, p_new, "156")
        time.sleep(1.5)
        got = [r for r in (reply_of(p, cfg, self.sas) for p in sniffer.stop()) if r]
        for i, c in enumerate(self.cases):
            end = self.cases[i + 1]["t"] if i + 1 < len(self.cases) else float("inf")
            c["replies"] = [r for r in got if r["dst"] == c["src"] and r["seq"] == c["seq"] and c["t"] <= r["t"] < end]
        out["cases"] = self.cases
        out["window_ms"] = cfg["window_ms"]

    def control(self):
        """A correctly signed refresh (RFC 5213 §5.3.3) from the MN's MAG."""
        cfg = self.cfg
        p_new = last_pbu(cfg, cfg["mag"])
        if p_new is None:
            return {"found": False}
        r = unsigned(p_new)
        r[6:8] = (60010).to_bytes(2, "big")
        set_ts(r, time.time())
        sniffer = AsyncSniffer(
            iface=cfg["iface"], filter="ip6 and ip6[6] == 135 and src host " + cfg["lma"], store=True
        )
        sniffer.start()
        time.sleep(1.0)
        self.send("refresh-signed", cfg["mag"], self.sign(r, cfg["mag"]), "0")
        time.sleep(1.5)
        c = self.cases[0]
        c["replies"] = [
            r
            for r in (reply_of(p, cfg, self.sas) for p in sniffer.stop())
            if r and r["dst"] == c["src"] and r["seq"] == c["seq"]
        ]
        return {"found": True, "cases": self.cases}


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        cfg = json.load(f)
    a = Attack(cfg)
    print(json.dumps(a.strike() if mode == "attack" else a.control()))


if __name__ == "__main__":
    main()
