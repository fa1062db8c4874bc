"""Which GPUs can I get now: the cluster's GPUs per product and region, and each workload's verdict
(fits now / must queue / never fits). Pure: an `inventory.Inventory` and pod specs in, rows out.

Free counts are only ever those of a real source (inventory.py); when there is none a count is
None, printed "?", and the verdict says "fits when free" rather than guessing.
"""
from __future__ import annotations

from .nodefit import BLOCKING, fits, gpu_request, requests, show, taint_text, wanted
from .scheduling import no_node, needs


def access(node) -> str:
    if node.unschedulable:
        return "cordoned"
    if not node.ready:
        return "not ready"
    closed = [taint_text(t) for t in node.taints if t.get("effect") in BLOCKING]
    return ", ".join(sorted(closed)) or "open"


def gpu_rows(inv) -> list[dict]:
    """One row per (product, region, access), GPU nodes only, sorted by product then region."""
    groups: dict = {}
    for node in inv.nodes:
        resource, count = node.gpus()
        if not count:
            continue
        key = (node.product or "?", node.region or "?", access(node))
        row = groups.setdefault(key, {"product": key[0], "region": key[1], "access": key[2], "resource": resource,
                                      "nodes": 0, "gpus": 0, "free": 0, "most_free_on_one": 0})
        row["nodes"] += 1
        row["gpus"] += count
        free = inv.free_gpus(node)
        if free is None or row["free"] is None:
            row["free"] = row["most_free_on_one"] = None
        else:
            row["free"] += free
            row["most_free_on_one"] = max(row["most_free_on_one"], free)
    return [groups[k] for k in sorted(groups)]


def verdict(pod_spec: dict, inv, parallel: int = 1) -> dict:
    """{"verdict": fits now | must queue | never fits | fits when free, "detail": ..., "needs": ...}."""
    head = needs(pod_spec)
    results = fits(pod_spec, inv.nodes)
    usable = [f for f in results if f.usable]
    out = {"needs": head, "nodes_large_enough": 0}
    if not usable:
        problem = no_node(pod_spec, f"needs {head}", results, "")
        return {**out, "verdict": "never fits", "detail": problem.detail.split("; ", 1)[-1]}
    roomy = [f for f in usable if not f.short]
    if not roomy:
        resource = usable[0].short[0]
        largest = max((f.node.allocatable or {}).get(resource, 0) for f in usable)
        return {**out, "verdict": "never fits", "detail": f"the largest matching node has {show(largest, resource)} "
                f"{resource}"}
    out["nodes_large_enough"] = len(roomy)
    resource, count = gpu_request(pod_spec)
    if inv.free is None or any(f.node.name not in inv.free for f in roomy) or (inv.source == "portal" and not count):
        why = "the node feed counts GPUs only" if inv.source == "portal" and not count else \
            "how much is free on them cannot be known from this account"
        return {**out, "verdict": "fits when free", "detail": f"{len(roomy)} node{' is' if len(roomy) == 1 else 's are'}"
                f" large enough; {why}"}
    need = requests(pod_spec)
    keys = [resource] if inv.source == "portal" else [k for k in need if k in ("cpu", "memory", resource)]
    slots = sum(_slots(inv.free[f.node.name], need, keys) for f in roomy)
    if slots <= 0:
        most = max((inv.free_gpus(f.node) or 0) for f in roomy) if count else None
        detail = "no matching node has room now" + (f" (the most free GPUs on one is {most})" if count else "")
        return {**out, "verdict": "must queue", "detail": detail}
    rooms = sum(1 for f in roomy if _slots(inv.free[f.node.name], need, keys) > 0)
    detail = f"{rooms} node{' has' if rooms == 1 else 's have'} room now"
    if parallel > 1:
        detail += f", for {min(slots, parallel)} of its {parallel} parallel pods"
    return {**out, "verdict": "fits now", "detail": detail}


def nodes_of(pod_spec: dict) -> int:
    """The node count of a multi-node run (its PET_NNODES), 1 for anything else."""
    env = {e["name"]: e.get("value") for e in pod_spec["containers"][0].get("env") or []}
    return int(env.get("PET_NNODES") or 1)


def multinode_verdict(pod_spec: dict, inv, nodes: int) -> dict:
    """Like `verdict`, for N ranks that must sit on N distinct nodes of one region (issue 17)."""
    from .multinode import need as needs_text

    resource, count = gpu_request(pod_spec)
    products = wanted(pod_spec, "nvidia.com/gpu.product")
    product = products[0] if products else None
    head = needs_text(nodes, count, product)
    roomy = [f for f in fits(pod_spec, inv.nodes) if f.usable and not f.short]
    by_region: dict[str, list] = {}
    for f in roomy:
        by_region.setdefault(f.node.labels.get("topology.kubernetes.io/region", "?"), []).append(f)
    most = max((len(v) for v in by_region.values()), default=0)
    out = {"needs": head, "nodes_large_enough": len(roomy)}
    if most < nodes:
        return {**out, "verdict": "never fits", "detail": f"{head}; the most large-enough nodes in one region is "
                f"{most}"}
    if inv.free is None or any(f.node.name not in inv.free for f in roomy):
        return {**out, "verdict": "fits when free", "detail": f"{head}: {most} nodes in one region are large enough; "
                "how much is free on them cannot be known from this account"}
    need = requests(pod_spec)
    keys = [k for k in need if k in ("cpu", "memory", resource)]
    free_by = {r: sum(1 for f in v if _slots(inv.free[f.node.name], need, keys) > 0) for r, v in by_region.items()}
    best = max(free_by.items(), key=lambda kv: kv[1])
    if best[1] >= nodes:
        return {**out, "verdict": "fits now", "detail": f"{head}: fits now in {best[0]} ({best[1]} nodes with room)"}
    return {**out, "verdict": "must queue", "detail": f"{head}; fits now: no (at most {best[1]} nodes with room in one "
            "region)"}


def _slots(free: dict, need: dict, keys: list) -> int:
    """How many such pods fit in `free` at once, counting only `keys` (what the source knows)."""
    counts = [int(free.get(k, 0) // need[k]) for k in keys if need.get(k)]
    return min(counts) if counts else 0
