"""GPU rules: counts per pod, quota-gated cards, request = limit, product names, and a node to run on.

- nrp-gpu-count: Jobs may use up to 8 GPUs per pod on Nautilus (nrp-facts §1).
- gpu-node: every GPU request fits at least one node the profile knows (`gpu.nodes`): a listed product
  (any, if none is listed) that is offered under the requested resource name, with at least
  `count` GPUs per node, at least `min_memory`, in one of the `region`s. A100s are offered only as
  nvidia.com/a100, never as nvidia.com/gpu: asked as the latter, a pod stays Pending for ever.
- nrp-gpu-quota: H100/H200/GH200 quota cannot be requested at all, so those need
  priority_class: opportunistic (preemptible). (A100 quota is requested with a form; nvidia.com/a100 with
  or without opportunistic is fine.)
- gpu-mixed-products: one pod requests one resource name, so products that need
  different resource names cannot be mixed.
- gpu-request-limit: a GPU request must equal its limit (Kubernetes).
- gpu-product (warning): a product name the profile does not know.
"""
from __future__ import annotations

from .. import quantity
from ..errors import diag


def check(r, manifests) -> list:
    out = []
    data = r.profile.data["gpu"]
    special = data["special_resources"]
    nodes = r.profile.gpu_nodes()
    known = {n["product"] for n in nodes}
    opportunistic = set(r.profile.rule("opportunistic_classes") or [])
    for w in r.workloads:
        gpu = w.pod.get("gpu")
        if not gpu or gpu.count == 0:
            if gpu and (gpu.products or gpu.min_memory):
                out.append(diag("gpu-count", w.at("gpu"), "GPU products or memory are set but count is 0",
                                "set gpu.count, or remove the gpu block", workload=w.name))
            continue
        loc = w.at("gpu")
        found = []
        cap = r.profile.rule("job_max_gpus")
        if cap and w.kind != "interactive" and gpu.count > cap:
            found.append(diag("nrp-gpu-count", loc + ("count",), f"{gpu.count} GPUs in one pod; nodes on "
                              f"{r.profile.name} hold at most {cap}", "use several pods (a sweep) or fewer GPUs",
                              workload=w.name))
        names = {special.get(p, data["resource"]) for p in gpu.products or [] if p in known or not known}
        if len(names) > 1:
            found.append(diag("gpu-mixed-products", loc + ("products",), "these products are requested under "
                              f"different resource names ({', '.join(sorted(names))}); one pod can ask for only "
                              "one", "split them into separate workloads", workload=w.name))
        if w.gpu_resource in data["not_requestable"] and w.pod.get("priority_class") not in opportunistic:
            found.append(diag("nrp-gpu-quota", loc + ("products",), f"{w.gpu_resource} quota cannot be requested "
                              f"on {r.profile.name}; without it the pod never starts",
                              "set priority_class: opportunistic (preemptible: checkpoint your work)",
                              workload=w.name))
        if nodes and not found and not (w.kind == "interactive" and gpu.count > (r.profile.rule("interactive") or
                                                                                   {}).get("max_gpus", 64)):
            found += _node(r, w, gpu, nodes, known)
        for i, p in enumerate(gpu.products or []):
            if known and p not in known:
                found.append(diag("gpu-product", loc + ("products", i), f"unknown GPU product {p!r}",
                                  "list real values with `kubectl get nodes -L nvidia.com/gpu.product`",
                                  severity="warning", workload=w.name))
        out += found
    out += _request_equals_limit(r, manifests)
    return out


def _node(r, w, gpu, nodes: list, known: set) -> list:
    """gpu-node: narrow the profile's node shapes step by step; the step that leaves none says why."""
    loc = w.at("gpu")
    products = [p for p in gpu.products or [] if p in known]
    if gpu.products and not products:
        return []  # only unknown products: gpu-product warns, and nothing is known to check against
    shapes = [n for n in nodes if not products or n["product"] in products]
    offered = [n for n in shapes if n["resource"] == w.gpu_resource]
    where = f"on {r.profile.name}"
    if not offered:
        what = ", ".join(sorted({n["resource"] for n in shapes}))
        listed = ", ".join(products) if products else "any product"
        hint = "remove gpu.resource: nautiform picks the product's resource name" if gpu.resource else \
            "list products offered under one resource name"
        return [diag("gpu-node", loc + (("resource",) if gpu.resource else ("products",)),
                     f"no node {where} offers {listed} as {w.gpu_resource} (offered as: {what}); the pod would "
                     "stay Pending for ever", hint, workload=w.name)]
    fits = [n for n in offered if n["per_node"] is None or gpu.count <= n["per_node"]]
    if not fits:
        most = max(n["per_node"] for n in offered)
        return [diag("gpu-node", loc + ("count",), f"{gpu.count} GPUs in one pod; no node {where} with these "
                     f"products has more than {most}", f"request at most {most} per pod, or use a sweep",
                     workload=w.name)]
    if gpu.min_memory is not None:
        need = quantity.parse(gpu.min_memory) / 2**20
        fits = [n for n in fits if n["memory"] is None or n["memory"] >= need]
        if not fits:
            return [diag("gpu-node", loc + ("min_memory",), f"no GPU {where} with these products has "
                         f"{gpu.min_memory} of memory", "lower min_memory, or list bigger products",
                         workload=w.name)]
    regions = w.pod.get("region")
    if regions and not any(n["regions"] is None or set(n["regions"]) & set(regions) for n in fits):
        return [diag("gpu-node", w.at("region"), f"no node {where} in {', '.join(regions)} has these GPUs",
                     "add a region where they are, or other products", workload=w.name)]
    return []


def _request_equals_limit(r, manifests) -> list:
    """Only what nautiform wrote: a GPU key in a `container:` patch is already patch-refused at its line."""
    patched = {w.name: _patched_keys(w) for w in r.workloads}
    out = []
    for m in manifests:
        workload = (m.body.get("metadata", {}).get("labels") or {}).get("nautiform.io/workload", "")
        spec = m.body.get("spec") or {}
        pod = spec.get("template", {}).get("spec") or spec
        for c in pod.get("containers", []):
            req, lim = c.get("resources", {}).get("requests", {}), c.get("resources", {}).get("limits", {})
            for key in sorted(set(req) | set(lim)):
                if key.startswith("nvidia.com/") and req.get(key) != lim.get(key) \
                        and key not in patched.get(workload, ()):
                    out.append(diag("gpu-request-limit", m.loc, f"{key} request {req.get(key)} differs "
                                    f"from its limit {lim.get(key)}", "GPUs are not shared: make them equal"))
    return out


def _patched_keys(w) -> set:
    resources = (w.pod.get("container") or {}).get("resources")
    if not isinstance(resources, dict):
        return set()
    return {key for part in resources.values() if isinstance(part, dict) for key in part}
