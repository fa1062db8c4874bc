"""Placement rules: priority classes, tolerations, regions.

- nrp-priority-class: Nautilus rejects all but a few priority classes
  ("exceeded quota: high-priority-ban"); in 95% of cases leave it unset.
- nrp-toleration: taints nautilus.io/system and nautilus.io/issue must never be
  tolerated; nautilus.io/reservation only by approved groups (warning).
- region (warning): a region value the profile has no source for.
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
        for i, region in enumerate(w.pod.get("region") or []):
            if regions and region not in regions:
                out.append(diag("region", w.at("region") + (i,), f"unknown region {region!r}",
                                f"known: {', '.join(sorted(regions))}; check `kubectl get nodes -L "
                                "topology.kubernetes.io/region`", severity="warning"))
        cap = r.profile.rule("max_parallel_pods")
        if cap and w.kind == "sweep" and w.spec.parallelism > cap:
            out.append(diag("nrp-parallelism", w.loc + ("parallelism",), f"{w.spec.parallelism} pods at once; "
                            f"{r.profile.name} asks for at most {cap}", f"set parallelism: {cap} or less"))
    return out
