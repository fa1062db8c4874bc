"""GPU rules: counts per pod, quota-gated cards, request = limit, product names.

- nrp-gpu-count: Jobs may use up to 8 GPUs per pod on Nautilus (nrp-facts §1).
- nrp-gpu-quota: A100/H100/H200/GH200 sit behind a namespace quota of 0; they are
  reached only through their own resource name (nvidia.com/a100 ...) or, for any
  namespace, with priority_class: opportunistic (preemptible). H100/H200/GH200
  quota cannot be requested at all, so those need opportunistic.
- gpu-mixed-products: one pod requests one resource name, so products that need
  different resource names cannot be mixed.
- gpu-request-limit: a GPU request must equal its limit (Kubernetes).
- gpu-product (warning): a product name the profile does not know.
"""
from __future__ import annotations

from ..builders.pod import gpu_resource
from ..errors import diag


def check(r, manifests) -> list:
    out = []
    data = r.profile.data["gpu"]
    special = data["special_resources"]
    known = set(data["known_products"])
    opportunistic = set(r.profile.rule("opportunistic_classes") or [])
    for w in r.workloads:
        gpu = w.pod.get("gpu")
        if not gpu or gpu.count == 0:
            if gpu and (gpu.products or gpu.min_memory):
                out.append(diag("gpu-count", w.at("gpu"), "GPU products or memory are set but count is 0",
                                "set gpu.count, or remove the gpu block"))
            continue
        loc = w.at("gpu")
        cap = r.profile.rule("job_max_gpus")
        if cap and w.kind != "interactive" and gpu.count > cap:
            out.append(diag("nrp-gpu-count", loc + ("count",), f"{gpu.count} GPUs in one pod; nodes on "
                            f"{r.profile.name} hold at most {cap}", "use several pods (a sweep) or fewer GPUs"))
        names = {special.get(p, data["resource"]) for p in gpu.products or []}
        if len(names) > 1:
            out.append(diag("gpu-mixed-products", loc + ("products",), "these products are requested under "
                            f"different resource names ({', '.join(sorted(names))}); one pod can ask for only one",
                            "split them into separate workloads"))
        resource = gpu_resource(r, w)
        gated_products = [p for p in gpu.products or [] if special.get(p) in data["quota_gated"]]
        priority = w.pod.get("priority_class")
        if gated_products and resource not in data["quota_gated"] and priority not in opportunistic:
            out.append(diag("nrp-gpu-quota", loc + ("resource",), f"{gated_products[0]} is quota-gated on "
                            f"{r.profile.name}: request it as {special[gated_products[0]]}, not {resource}",
                            "remove gpu.resource (nautiform picks the right name), or set priority_class: "
                            "opportunistic"))
        if resource in data["not_requestable"] and priority not in opportunistic:
            out.append(diag("nrp-gpu-quota", loc + ("products",), f"{resource} quota cannot be requested on "
                            f"{r.profile.name}; without it the pod never starts",
                            "set priority_class: opportunistic (preemptible: checkpoint your work)"))
        if known:
            for i, p in enumerate(gpu.products or []):
                if p not in known:
                    out.append(diag("gpu-product", loc + ("products", i), f"unknown GPU product {p!r}",
                                    "list real values with `kubectl get nodes -L nvidia.com/gpu.product`",
                                    severity="warning"))
    out += _request_equals_limit(manifests)
    return out


def _request_equals_limit(manifests) -> list:
    out = []
    for m in manifests:
        spec = m.body.get("spec") or {}
        pod = spec.get("template", {}).get("spec") or spec
        for c in pod.get("containers", []):
            req, lim = c.get("resources", {}).get("requests", {}), c.get("resources", {}).get("limits", {})
            for key in sorted(set(req) | set(lim)):
                if key.startswith("nvidia.com/") and req.get(key) != lim.get(key):
                    out.append(diag("gpu-request-limit", m.loc, f"{key} request {req.get(key)} differs "
                                    f"from its limit {lim.get(key)}", "GPUs are not shared: make them equal"))
    return out
