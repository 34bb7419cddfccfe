#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Test oracle for dmm-netconfd: a NETCONF client that is not ours
(Debian's python3-ncclient) over SSH with public-key authentication.

Usage: netconf.py HOST PORT KEY HOSTKEY_B64 STEP [ARG...]
  config                 get-config: print {"role", "max-lifetime", "pools"}
  bindings               get: print the state's bindings as a JSON list
  state                  get: print {"children": the state's children, "role": ...}
  set-lma XML            edit-config (merge) of XML inside /dmm:node/lma
  bad-lma XML            the same edit, which must be refused: print the rpc-error
  listen SECS FILE       create-subscription, write {"subscribed": true} and then
                         each notification to FILE as one JSON line, for SECS
                         seconds or until a binding-handed-off
Prints one JSON document; exits 1 when the server's answer is wrong.
"""
import json
import sys
import time

from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError

DMM = "urn:dmm:params:xml:ns:yang:dmm"
NS = {"d": DMM}


def connect(host, port, key, hostkey):
    return manager.connect(host=host, port=int(port), username="netconf", key_filename=key,
                           hostkey_b64=hostkey, allow_agent=False, look_for_keys=False,
                           hostkey_verify=True, timeout=10, manager_params={"timeout": 20})


def config(m):
    root = etree.fromstring(m.get_config(source="running").data_xml.encode())
    node = root.find("d:node", NS)
    return {
        "role": node.findtext("d:role", namespaces=NS),
        "max-lifetime": node.findtext("d:lma/d:max-lifetime", namespaces=NS),
        "pools": [p.text for p in node.findall("d:lma/d:pools", NS)],
    }


def bindings(m):
    root = etree.fromstring(m.get().data_xml.encode())
    out = []
    for b in root.findall("d:state/d:bindings", NS):
        row = {}
        for c in b:
            k = etree.QName(c).localname
            if k == "prefixes":
                row.setdefault(k, []).append(c.text)
            else:
                row[k] = c.text
        out.append(row)
    return out


def state(m):
    root = etree.fromstring(m.get().data_xml.encode())
    st = root.find("d:state", NS)
    return {
        "children": sorted({etree.QName(c).localname for c in st}),
        "role": st.findtext("d:node/d:role", namespaces=NS),
        "peers-up": len([p for p in st.findall("d:peers", NS) if p.findtext("d:state", namespaces=NS) == "up"]),
        "pbu-received": st.findtext("d:stats/d:rx/d:BU", namespaces=NS),
    }


def edit(m, xml):
    cfg = (f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
           f'<node xmlns="{DMM}"><lma>{xml}</lma></node></config>')
    return m.edit_config(target="running", config=cfg, default_operation="merge")


def bad(m, xml):
    try:
        edit(m, xml)
    except RPCError as e:
        return {"refused": True, "tag": e.tag, "path": (e.path or "").strip(), "message": e.message}
    return {"refused": False}


def listen(m, secs, path):
    m.create_subscription()
    end = time.time() + float(secs)
    with open(path, "w", buffering=1) as f:
        f.write(json.dumps({"subscribed": True}) + "\n")
        seen = False
        while time.time() < end and not seen:
            n = m.take_notification(block=True, timeout=0.5)
            if n is None:
                continue
            root = etree.fromstring(n.notification_xml.encode())
            for ev in root:
                q = etree.QName(ev)
                if q.namespace != DMM:
                    continue
                rec = {"notification": q.localname}
                for c in ev:
                    k = etree.QName(c).localname
                    if k == "prefixes":
                        rec.setdefault(k, []).append(c.text)
                    else:
                        rec[k] = c.text
                f.write(json.dumps(rec) + "\n")
                seen = seen or q.localname == "binding-handed-off"
    return {"listened": float(secs)}


def main():
    host, port, key, hostkey, step = sys.argv[1:6]
    args = sys.argv[6:]
    with connect(host, port, key, hostkey) as m:
        if step == "config":
            out = config(m)
        elif step == "bindings":
            out = bindings(m)
        elif step == "state":
            out = state(m)
        elif step == "set-lma":
            reply = edit(m, args[0])
            out = {"ok": reply.ok}
        elif step == "bad-lma":
            out = bad(m, args[0])
        elif step == "listen":
            out = listen(m, args[0], args[1])
        else:
            sys.exit(f"unknown step {step}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
