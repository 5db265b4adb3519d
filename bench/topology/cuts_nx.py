#!/usr/bin/env python3
"""Every single-cable cut and every shared-risk-group cut of a tuyau
topology, answered with networkx the way a careful engineer would write it,
then compared with tuyau's answer.

Same model as tuyau: sites are nodes, routed links that are up are edges;
member sites carry no transit (they hang off the backbone by their
uplinks); a member loses core A (B) when none of its surviving uplinks lands
in the backbone component of core A (B), and loses the hosting when it
reaches neither.

Single cables: nx.bridges once; a cable that removes one backbone link that
is not a bridge cannot split the backbone, so only cables carrying a bridge
(or several backbone links) need a recomputation. Shared-risk groups: one
component recomputation per group that removes backbone links.

usage: cuts_nx.py GRAPH.json GO-CUTS.json GO-RUNS-FILE NX-RUNS-FILE RUNS

GO-RUNS-FILE holds tuyau's times (ms, one run a line); networkx runs RUNS
times and appends its times to NX-RUNS-FILE; both are summarized the same
way (median, min, max) and the ratio is of the medians.
"""
import json
import statistics
import sys
import time
from collections import defaultdict

import networkx as nx


def analyse(topo):
    member = {s["slug"] for s in topo["sites"] if s["role"] == "member"}
    backbone = [s["slug"] for s in topo["sites"] if s["role"] != "member"]
    core_a, core_b = topo["core_a"], topo["core_b"]
    up = {l["id"] for l in topo["links"] if l["up"]}

    G = nx.MultiGraph()
    G.add_nodes_from(backbone)
    backbone_nodes = set(backbone)
    edge = {}                      # link id -> (u, v, key) in G
    uplinks = defaultdict(list)    # member -> [(link id, backbone site)]
    member_of = {}                 # uplink id -> member
    attached = defaultdict(list)   # backbone site -> members homed there
    for l in topo["links"]:
        a, b = l["a_site"], l.get("b_site", "")
        if not l["up"] or l.get("external") or a == b or not b:
            continue
        if a in member and b in member:
            continue
        if a in member or b in member:
            m, p = (a, b) if a in member else (b, a)
            uplinks[m].append((l["id"], p))
            member_of[l["id"]] = m
            attached[p].append(m)
        else:
            edge[l["id"]] = (a, b, l["id"])
            G.add_edge(a, b, key=l["id"])

    comp_a0 = nx.node_connected_component(G, core_a)
    comp_b0 = comp_a0 if core_b in comp_a0 else nx.node_connected_component(G, core_b)
    had = {m: (any(p in comp_a0 for _, p in ups), any(p in comp_b0 for _, p in ups)) for m, ups in uplinks.items()}
    bridge_links = {next(iter(G[u][v])) for u, v in nx.bridges(G)}

    def evaluate(link_ids):
        bb = [edge[i] for i in link_ids if i in edge]
        cut_up = {i for i in link_ids if i in member_of}
        cands = {member_of[i] for i in cut_up}
        comp_a, comp_b = comp_a0, comp_b0
        if len(bb) > 1 or (len(bb) == 1 and bb[0][2] in bridge_links):
            G.remove_edges_from(bb)
            comp_a = nx.node_connected_component(G, core_a)
            comp_b = comp_a if core_b in comp_a else nx.node_connected_component(G, core_b)
            G.add_edges_from(bb)
            for p in (backbone_nodes - comp_a) | (backbone_nodes - comp_b):
                cands.update(attached[p])
        lose = ([], [], [])
        for m in cands:
            had_a, had_b = had[m]
            keep_a = keep_b = False
            for i, p in uplinks[m]:
                if i in cut_up:
                    continue
                keep_a = keep_a or p in comp_a
                keep_b = keep_b or p in comp_b
            if (had_a or had_b) and not keep_a and not keep_b:
                lose[0].append(m)
            elif had_a and not keep_a:
                lose[1].append(m)
            elif had_b and not keep_b:
                lose[2].append(m)
        return tuple(sorted(x) for x in lose)

    out = {}
    srlg_cables = defaultdict(list)
    cable_links = {}
    for s in topo["physical"]["spans"]:
        cable_links[s["cable"]] = s.get("links") or []
        for g in s.get("srlgs") or []:
            srlg_cables[g].append(s["cable"])

    def record(kind, name, links):
        down = sorted({i for i in links if i in up})
        lose = evaluate(down)
        if down or any(lose):
            out[(kind, name)] = (down,) + lose

    for cable, links in cable_links.items():
        record("cable", cable, links)
    for g, cables in srlg_cables.items():
        record("srlg", g, [i for c in cables for i in cable_links[c]])
    return out


def summary(name, runs):
    return f"{name:<12} median {statistics.median(runs):10.1f} ms (min {min(runs):.1f}, max {max(runs):.1f}, {len(runs)} runs)"


def main():
    graph_path, go_path, go_runs_path, nx_runs_path, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    with open(graph_path) as f:
        topo = json.load(f)
    with open(go_path) as f:
        go = json.load(f)
    with open(go_runs_path) as f:
        go_ms = [float(line) for line in f if line.strip()]
    nx_ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        nx_answer = analyse(topo)
        nx_ms.append((time.perf_counter() - t0) * 1000)
    with open(nx_runs_path, "a") as f:
        f.writelines(f"{v}\n" for v in nx_ms)
    go_answer = {(f["kind"], f["name"]): (sorted(f["links_down"]), f["lose_hosting"] or [], f["lose_core_a"] or [], f["lose_core_b"] or [])
                 for f in go}
    keys = set(nx_answer) | set(go_answer)
    diff = [k for k in sorted(keys) if nx_answer.get(k) != go_answer.get(k)]
    cut_off = sum(1 for v in nx_answer.values() if any(v[1:]))
    n_srlg = len({g for s in topo["physical"]["spans"] for g in (s.get("srlgs") or [])})
    print(f"network: {len(topo['sites'])} sites, {len(topo['physical']['spans'])} cables, {n_srlg} shared-risk groups, "
          f"{len(topo['links'])} routed links")
    print(f"failures with an effect: {len(nx_answer)} (networkx), {len(go_answer)} (tuyau); {cut_off} cut member sites off")
    if diff:
        print(f"ANSWERS DIFFER on {len(diff)} failures, first ones:")
        for k in diff[:5]:
            print(f"  {k}: networkx {nx_answer.get(k)}\n  {' ' * len(str(k))}  tuyau    {go_answer.get(k)}")
        sys.exit(1)
    print("answers: identical")
    print(summary("tuyau (Go):", go_ms))
    print(summary("networkx:", nx_ms))
    r = statistics.median(nx_ms) / statistics.median(go_ms)
    print(f"ratio of medians: {r:.1f}x (range {min(nx_ms) / max(go_ms):.1f}x to {max(nx_ms) / min(go_ms):.1f}x; goal: >= 20x; Go goal: < 200 ms)")


if __name__ == "__main__":
    main()
