"""Multi-node runs and adaptive searches (issue 17): what a run of several nodes needs, and NRP's gate.

- nodes-kind: `nodes` on an interactive pod (one pod by definition) or on a sweep (its points are one pod
  each; a sweep of multi-node points is not supported yet).
- nodes-region: a multi-node run must name exactly one region: its ranks have to share one (75+ sites,
  no NCCL across them), and nothing tells the scheduler which region has N free nodes, so the first
  rank could land in a region the others cannot join.
- nodes-capacity: more GPUs per node than the profile's largest node of that product and region holds
  (how many such nodes a region has is not published: nrp-facts sec. 8; `gpus` checks the live cluster).
- nrp-multinode-idle (warning): on NRP a pod whose lifetime GPU use is under 40% counts as a violation,
  and more than 4 violating pods lock the user out of new Jobs; N GPU ranks idle together while the
  image is pulled and while they wait for each other, and a rank stuck Pending holds the others until the
  rendezvous timeout.
- nodes-replicas: `nodes` and `replicas` on one job: the pods of a multi-node run are its ranks; N
  independent workers are `replicas`. One Job cannot be both.
- nodes-hosts: fewer `hosts` than nodes: every rank needs a node of its own, so the run never starts.
- search-parallel (warning): more trials at once than the budget, or than NRP's 400 pods.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    out = []
    for w in r.workloads:
        nodes = getattr(w.spec, "nodes", None)
        if w.kind in ("interactive", "sweep") and nodes is not None:
            what = "an interactive pod is one pod" if w.kind == "interactive" else \
                "a sweep point is one pod (multi-node points are not supported yet)"
            out.append(diag("nodes-kind", w.loc + ("nodes",), f"`nodes` on {'an interactive pod' if w.kind == 'interactive' else 'a sweep'}: {what}",
                            "make it a `kind: job` for a multi-node run" if w.kind == "interactive" else
                            "run the multi-node configuration as a `kind: job`, one per point you need"))
            continue
        if w.kind == "job" and nodes and nodes > 1:
            out += _multinode(r, w, nodes)
        if w.kind == "sweep" and w.spec.sweep.search is not None:
            s = w.spec.sweep.search
            if s.parallel > s.trials:
                out.append(diag("search-parallel", w.loc + ("sweep", "search", "parallel"), f"{s.parallel} trials at "
                                f"once but only {s.trials} in all", f"set parallel to at most {s.trials}",
                                severity="warning"))
    return out


def _multinode(r, w, nodes: int) -> list:
    out = []
    if w.spec.replicas:
        out.append(diag("nodes-replicas", w.loc + ("replicas",), f"`replicas` and `nodes: {nodes}` on one job: a "
                        "multi-node run's pods are its ranks, not independent workers",
                        "keep `nodes` for one run over several nodes, or `replicas` for independent workers"))
    hosts = w.pod.get("hosts") or ()
    if hosts and len(set(hosts)) < nodes:
        out.append(diag("nodes-hosts", w.at("hosts"), f"a run on {nodes} nodes needs {nodes} hosts, one per rank; "
                        f"`hosts` allows {len(set(hosts))}", f"list at least {nodes} hosts, or remove `hosts`"))
    regions = w.pod.get("region") or []
    gpu = w.pod.get("gpu")
    gpus = gpu.count if gpu else 0
    if len(regions) != 1:
        known = list(r.profile.data.get("known_regions") or []) or ["<region>"]
        out.append(diag("nodes-region", w.at("region") if regions else w.loc + ("nodes",),
                        f"a run on {nodes} nodes needs exactly one region (got {len(regions) or 'none'}): its ranks "
                        "must share one, and the scheduler cannot know which region has them free",
                        f"set `region: [{known[0]}]` (regions: {', '.join(known)})"))
        return out
    fitting = [s for s in _shapes(r) if gpus <= s[1] and (regions[0] in s[2] or "any" in s[2])
               and (not gpu or not gpu.products or s[0] in gpu.products)]
    per_node = max((s[1] for s in fitting), default=0)
    if gpus and fitting and gpus > per_node:
        out.append(diag("nodes-capacity", w.at("gpu") + ("count",), f"{gpus} GPUs per node, but the largest node "
                        f"in {regions[0]} has {per_node}", f"use at most {per_node} GPUs per node and more nodes"))
    warn = r.profile.rule("multinode_idle_ranks")
    if warn and gpus and nodes >= warn:
        out.append(diag("nrp-multinode-idle", w.loc + ("nodes",), f"{nodes} GPU ranks idle together during image "
                        "pull and rendezvous; more than 4 low-use pods lock your namespace out of new Jobs on "
                        f"{r.profile.name}", "keep the image small or cached, a short rendezvous_timeout, and "
                        "fewer, larger nodes (8 GPUs each)", severity="warning"))
    return out


def _shapes(r) -> list[tuple]:
    """(product, GPUs per node, regions) of the profile's GPU nodes; [] when the profile has none."""
    gpu = r.profile.data.get("gpu") or {}
    defaults = gpu.get("node_defaults") or {}
    out = []
    for product, shape in (gpu.get("nodes") or {}).items():
        shape = {**defaults, **(shape or {})}
        regions = shape.get("regions") or "any"
        out.append((product, int(shape.get("per_node", 8)), (regions,) if isinstance(regions, str) else tuple(regions)))
    return out
