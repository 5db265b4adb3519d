#!/usr/bin/env python3
"""Reads the objects tuyau reads from a NetBox, with pynetbox, the way a
NetBox user scripts it, and prints the wall time and the object counts as
JSON. Usage: pynetbox_read.py URL [--threading]  (token in NETBOX_TOKEN).
--threading is pynetbox's own option (api(..., threading=True)): .all()
fetches a list's pages in parallel threads once the first page gave the
count; without it pynetbox follows `next`, as shipped."""
import json, os, sys, time

import pynetbox

ENDPOINTS = [
    ("dcim", "interfaces"), ("ipam", "ip_addresses"), ("dcim", "cables"), ("dcim", "front_ports"),
    ("dcim", "rear_ports"), ("dcim", "devices"), ("dcim", "sites"), ("ipam", "prefixes"),
    ("dcim", "regions"), ("dcim", "locations"), ("circuits", "providers"), ("circuits", "circuits"),
    ("circuits", "circuit_terminations"), ("ipam", "asns"), ("extras", "config_contexts"),
    ("extras", "custom_fields"), ("dcim", "device_roles"), ("dcim", "platforms"),
    ("dcim", "manufacturers"), ("dcim", "device_types"), ("circuits", "circuit_types"),
    ("ipam", "roles"), ("ipam", "rirs"),
]

def main():
    threading = "--threading" in sys.argv[2:]
    nb = pynetbox.api(sys.argv[1], token=os.environ["NETBOX_TOKEN"], threading=threading)
    counts = {}
    start = time.monotonic()
    for app, name in ENDPOINTS:
        ep = getattr(getattr(nb, app), name)
        if name == "devices":
            # as tuyau does: the rendered config context is not needed
            objs = list(ep.filter(exclude="config_context"))
        else:
            objs = list(ep.all())
        counts[app + "/" + name.replace("_", "-")] = len(objs)
    elapsed = time.monotonic() - start
    json.dump({"seconds": elapsed, "counts": counts}, sys.stdout)
    print()

if __name__ == "__main__":
    main()
