"""Placement rules: priority classes, tolerations, regions, node labels, hosts and zones.

- nrp-priority-class: Nautilus rejects all but a few priority classes
  ("exceeded quota: high-priority-ban"); in 95% of cases leave it unset.
- nrp-toleration: taints nautilus.io/system and nautilus.io/issue must never be
  tolerated; nautilus.io/reservation only by approved groups (warning).
- region (warning): a region value (in `region` or `prefer_regions`) the profile has no source for.
- node-label (warning): a `node_labels` key the profile does not know (NRP documents its node labels in
  its scheduling tutorial; older keys such as `gpu-type` may be gone from the nodes).
- node-label-field: a `node_labels` key that a first-class field writes (region, GPU product or memory,
  hostname, zone): the rules that check those fields (gpu-node, region) would not see it.
- placement-conflict: a host in `hosts` and `avoid_hosts`, or a zone in `zones` and `avoid_zones`: no node
  could ever match. As a warning, a preferred region outside `region` (the preference can never apply).
- nrp-parallelism: a sweep or job running more pods at once than NRP asks for.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    out = []
    allowed = r.profile.rule("priority_classes")
    forbidden = set(r.profile.rule("forbidden_toleration_keys") or [])
    regions = set(r.profile.data.get("known_regions") or [])
    for w in r.workloads:
        priority = w.pod.get("priority_class")
        if allowed is not None and priority and priority not in allowed:
            out.append(diag("nrp-priority-class", w.at("priority_class"), f"priority class {priority!r} is "
                            f"banned on {r.profile.name}", f"remove it, or use one of: {', '.join(allowed)}"))
        for i, tol in enumerate(w.pod.get("tolerations") or []):
            loc = w.at("tolerations") + (i, "key")
            if tol.key in forbidden:
                out.append(diag("nrp-toleration", loc, f"tolerating {tol.key} is not allowed on "
                                f"{r.profile.name}: those nodes are broken or reserved for the system",
                                "remove this toleration"))
            elif tol.key == "nautilus.io/reservation" and r.profile.name == "nautilus":
                out.append(diag("nrp-toleration", loc, "reserved nodes are for their group only",
                                "keep this only if your group owns the reservation", severity="warning"))
        for field in ("region", "prefer_regions"):
            for i, region in enumerate(w.pod.get(field) or []):
                if regions and region not in regions:
                    out.append(diag("region", w.at(field) + (i,), f"unknown region {region!r}",
                                    f"known: {', '.join(sorted(regions))}; check `kubectl get nodes -L "
                                    "topology.kubernetes.io/region`", severity="warning"))
        cap = r.profile.rule("max_parallel_pods")
        if cap and w.kind == "sweep" and w.spec.parallelism > cap:
            out.append(diag("nrp-parallelism", w.loc + ("parallelism",), f"{w.spec.parallelism} pods at once; "
                            f"{r.profile.name} asks for at most {cap}", f"set parallelism: {cap} or less"))
        if cap and w.kind == "job" and (w.spec.replicas or 0) > cap:
            out.append(diag("nrp-parallelism", w.loc + ("replicas",), f"{w.spec.replicas} pods at once; "
                            f"{r.profile.name} asks for at most {cap}", f"set replicas: {cap} or less"))
        out += _nodes(r, w)
    return out


_FIELDS = (("region", "region"), ("gpu_product", "gpu.products"), ("gpu_memory", "gpu.min_memory"),
           ("hostname", "hosts"), ("zone", "zones"))


def _nodes(r, w) -> list:
    out = []
    labels = r.profile.data["labels"]
    first_class = {labels[k]: field for k, field in _FIELDS if k in labels}
    known = set(r.profile.data.get("known_node_labels") or [])
    prefixes = tuple(r.profile.data.get("known_node_label_prefixes") or [])
    for key in sorted(w.pod.get("node_labels") or {}):
        loc = w.origin.get(f"node_labels.{key}", w.at("node_labels"))
        if key in first_class:
            out.append(diag("node-label-field", loc, f"{key} is what `{first_class[key]}` writes; set there, the "
                            "rules that check it see it", f"use `{first_class[key]}`", workload=w.name, at_key=True))
        elif known and key not in known and not key.startswith(prefixes):
            out.append(diag("node-label", loc, f"node label {key!r} is not one {r.profile.name} documents: if no "
                            "node has it, the pod stays Pending", f"check `kubectl get nodes -L {key}`",
                            severity="warning", workload=w.name, at_key=True))
    for use, avoid, what in (("hosts", "avoid_hosts", "host"), ("zones", "avoid_zones", "zone")):
        both = sorted(set(w.pod.get(use) or ()) & set(w.pod.get(avoid) or ()))
        if both:
            out.append(diag("placement-conflict", w.at(avoid), f"{what} {both[0]} is both in `{use}` and in "
                            f"`{avoid}`", f"remove it from one of them", workload=w.name))
    allowed, preferred = w.pod.get("region"), w.pod.get("prefer_regions")
    if allowed and preferred and not set(preferred) <= set(allowed):
        outside = sorted(set(preferred) - set(allowed))
        out.append(diag("placement-conflict", w.at("prefer_regions"), f"preferred region {outside[0]} is outside "
                        f"`region` ({', '.join(allowed)}): the preference never applies",
                        "prefer regions among the allowed ones", severity="warning", workload=w.name))
    return out
