"""Rule nrp-limits: limits stay within the profile's ratio of requests (NRP: 20%).

NRP bans namespaces whose pods' limits exceed requests by more than 20%
(cpu, memory and ephemeral-storage; nrp-facts §1). nautiform writes limits equal
to requests unless you set `limits`, so this only fires on explicit limits.
Any cluster refuses a limit below its request (rule limit-below-request).
"""
from __future__ import annotations

from .. import quantity
from ..errors import diag

_FIELDS = ("cpu", "memory", "ephemeral_storage")


def check(r, manifests) -> list:
    ratio = r.profile.rule("limit_ratio")
    out = []
    for w in r.workloads:
        given = w.pod.get("limits")
        if not given:
            continue
        for field in _FIELDS:
            limit = getattr(given, field)
            if limit is None:
                continue
            loc = w.at("limits") + (field,)
            request = w.pod.get(field)
            if request is None:
                out.append(diag("limit-without-request", loc, f"a {field} limit needs a {field} request",
                                f"set `{field}:` next to `limits:` (nautiform then writes both)"))
                continue
            lim, req = quantity.parse(limit), quantity.parse(request)
            if lim < req:
                out.append(diag("limit-below-request", loc, f"{field} limit {limit} is below the request {request}",
                                "a limit must be at least the request"))
            elif ratio and lim > req * quantity.parse(str(ratio)):
                pct = round(float(lim / req - 1) * 100)
                out.append(diag("nrp-limits", loc, f"{field} limit {limit} is {pct}% above the request {request}; "
                                f"{r.profile.name} allows at most {round((ratio - 1) * 100)}%",
                                f"raise the request or lower the limit to at most "
                                f"{_cap(req, ratio, field)} (or drop `limits` to use the request)"))
    return out


def _cap(request, ratio, field: str) -> str:
    capped = request * quantity.parse(str(ratio))
    if field == "cpu":
        return quantity.render(int(capped * 1000) / 1000)
    return f"{int(capped // 2**20)}Mi"
