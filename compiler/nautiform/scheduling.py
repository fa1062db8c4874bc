"""Decode a FailedScheduling message into what the pod needs, which nodes could hold it, and the
project.yaml setting to change.

The scheduler's own text counts nodes by every filter at once ("0/216 nodes are available: 3
Insufficient nvidia.com/gpu, 180 node(s) didn't match Pod's node affinity/selector ..."), which
hides the one reason that matters (kubernetes#130427). Here the pod's requests, affinity and
tolerations are checked against the nodes this account can list (nodefit.py), so the answer is
"needs 4 × nvidia.com/gpu of NVIDIA-A10 in us-west; 1 node matches, the most free on one is 1".
Free counts appear only when a real source gives them (inventory.py); otherwise it says so.
"""
from __future__ import annotations

from .nodefit import PRODUCT, REGION, fits, gpu_request, labels_match, requests, show, taint_text, wanted
from .problems import Problem

SETTING = {"cpu": ("cpu",), "memory": ("memory",), "ephemeral-storage": ("ephemeral_storage",)}


def needs(pod_spec: dict) -> str:
    """"4 × nvidia.com/gpu of NVIDIA-A10 in us-west" (or the cpu and memory of a CPU pod)."""
    resource, count = gpu_request(pod_spec)
    if count:
        text = f"{count} × {resource}"
        products = wanted(pod_spec, PRODUCT)
        if products:
            text += f" of {' or '.join(products)}"
    else:
        need = requests(pod_spec)
        text = ", ".join(f"{show(need[k], k)} {k}" for k in ("cpu", "memory") if k in need) or "a node"
    regions = wanted(pod_spec, REGION)
    return text + (f" in {' or '.join(regions)}" if regions else "")


def decode(pod_spec: dict, message: str, inv) -> Problem:
    """`inv`: inventory.Inventory, or None when nodes cannot be listed."""
    head = f"needs {needs(pod_spec)}"
    if inv is None:
        return Problem("unschedulable", "cannot be scheduled", f"{head}; your account cannot list nodes, so only the "
                       f"scheduler can say why: {message}", None, "ask for node list access, or read the "
                       "scheduler's message above", scheduler=message)
    results = fits(pod_spec, inv.nodes)
    usable = [f for f in results if f.usable]
    if not usable:
        return no_node(pod_spec, head, results, message)
    roomy = [f for f in usable if not f.short]
    if not roomy:
        return _never(pod_spec, head, usable, message)
    return _busy(pod_spec, head, roomy, inv, message)


def _count(n: int) -> str:
    return f"{n} node{'s' * (n != 1)} match{'es' * (n == 1)}"


def no_node(pod_spec: dict, head: str, results: list, message: str) -> Problem:
    labelled = [f.node for f in results if labels_match(pod_spec, f.node)]
    if labelled:
        why = sorted({taint_text(t) for n in labelled for t in n.taints if t.get("effect") in ("NoSchedule", "NoExecute")})
        cordoned = sum(1 for n in labelled if n.unschedulable or not n.ready)
        detail = f"{head}; the {len(labelled)} node(s) with it are closed to this pod"
        detail += f" (taint {', '.join(why)})" if why else ""
        detail += f" ({cordoned} cordoned or not ready)" if cordoned else ""
        return Problem("unschedulable", "never fits", detail, ("tolerations",), "such nodes are reserved for others; "
                       "choose other products or regions (never tolerate another group's reservation)",
                       scheduler=message)
    products, regions = wanted(pod_spec, PRODUCT), wanted(pod_spec, REGION)
    nodes = [f.node for f in results]
    if products:
        where = sorted({n.region or "?" for n in nodes if n.product in products})
        if where and regions:
            return Problem("unschedulable", "never fits", f"{head}; there is none in {' or '.join(regions)}: "
                           f"{' or '.join(products)} is in {', '.join(where)}", ("region",),
                           f"add {where[0]} to region, or choose other products", scheduler=message)
        if not where:
            return Problem("unschedulable", "never fits", f"{head}; no node of the cluster has "
                           f"{' or '.join(products)}", ("gpu", "products"), "check the product names: `nautiform "
                           "gpus` lists the ones that exist", scheduler=message)
    return Problem("unschedulable", "never fits", f"{head}; no node matches its placement rules", ("region",),
                   "widen region or gpu.products", scheduler=message)


def _never(pod_spec: dict, head: str, usable: list, message: str) -> Problem:
    need = requests(pod_spec)
    resource = usable[0].short[0]
    largest = max((f.node.allocatable or {}).get(resource, 0) for f in usable)
    setting = SETTING.get(resource, ("gpu", "count"))
    return Problem("unschedulable", "never fits", f"{head}; {_count(len(usable))}, but the largest has "
                   f"{show(largest, resource)} {resource} (it asks for {show(need[resource], resource)})", setting,
                   f"ask for at most {show(largest, resource)}, or allow more products or regions",
                   scheduler=message)


def _busy(pod_spec: dict, head: str, roomy: list, inv, message: str) -> Problem:
    resource, count = gpu_request(pod_spec)
    nodes = _count(len(roomy))
    if not count:
        return Problem("unschedulable", "must queue", f"{head}; {nodes}, none has room now", None,
                       "it starts when room frees up", scheduler=message)
    frees = [inv.free_gpus(f.node) for f in roomy]
    if any(v is None for v in frees):
        detail = (f"{head}; {nodes} (the largest has {max(f.node.gpus()[1] for f in roomy)}); how many GPUs are "
                  f"free on them cannot be seen from your account")
        return Problem("unschedulable", "must queue", detail, ("gpu", "products"), "it starts when GPUs free up; "
                       "`nautiform gpus --portal` shows NRP's free counts; more products or regions widen the "
                       "choice", scheduler=message)
    if max(frees) >= count:  # GPUs look free: the scheduler refused for another reason, say it in its words
        return Problem("unschedulable", "cannot be scheduled", f"{head}; {nodes} with {max(frees)} free on one "
                       f"({inv.source} count), but the scheduler says: {message}", None,
                       "read the scheduler's reason; a lagging count can also be why", scheduler=message)
    return Problem("unschedulable", "must queue", f"{head}; {nodes}, the most free on one is {max(frees)} "
                   f"({inv.source} count)", ("gpu", "products"), "it starts when GPUs free up; more products or "
                   "regions widen the choice", scheduler=message)
