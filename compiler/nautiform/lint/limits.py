"""Rule nrp-limits: limits stay within the profile's ratio of requests (NRP: 20%).

NRP bans namespaces whose pods' limits exceed requests by more than 20%
(cpu, memory and ephemeral-storage; nrp-facts §1). nautiform writes limits equal
to requests unless you set `limits`, so this only fires on explicit limits.
The numbers checked are the ones written: `scratch.size` is part of both the
ephemeral-storage request and limit (derive.resources).
Any cluster refuses a limit below its request (rule limit-below-request), and a
limit needs a request (rule limit-without-request; scratch counts as one).
"""
from __future__ import annotations

from .. import quantity
from ..derive import RESOURCE_KEYS, local_disk, render_quantity
from ..errors import diag


def check(r, manifests) -> list:
    ratio = r.profile.rule("limit_ratio")
    out = []
    for w in r.workloads:
        given = w.pod.get("limits")
        if not given:
            continue
        for field, key in RESOURCE_KEYS:
            if getattr(given, field) is None:
                continue
            loc = w.at("limits") + (field,)
            res = w.resources[key]
            if res.request is None:
                article = "an" if field[0] in "aeiou" else "a"
                out.append(diag("limit-without-request", loc, f"the {field} limit needs {article} {field} request",
                                f"set `{field}:` next to `limits:` (nautiform then writes both)", workload=w.name))
                continue
            lim, req = res.limit, res.request
            both = f"{key} limit {_show(w, field, lim, given)} "
            if lim < req:
                out.append(diag("limit-below-request", loc, f"{both}is below the request {_show(w, field, req)}",
                                "a limit must be at least the request", workload=w.name))
            elif ratio and lim > req * quantity.parse(str(ratio)):
                pct = round(float(lim / req - 1) * 100)
                out.append(diag("nrp-limits", loc, f"{both}is {pct}% above the request {_show(w, field, req)}; "
                                f"{r.profile.name} allows at most {round((ratio - 1) * 100)}%",
                                f"raise the request or lower the limit to at most "
                                f"{_cap(req - (res.scratch or 0), ratio, field, res.scratch)} "
                                "(or drop `limits` to use the request)", workload=w.name))
    return out


def _show(w, field: str, q, given=None) -> str:
    """The value as written, or the sum with scratch and where it comes from."""
    res = w.resources[dict(RESOURCE_KEYS)[field]]
    if res.scratch is None:
        written = getattr(given, field) if given is not None else w.pod.get(field)
        return str(written)
    return f"{render_quantity(q)} (with {local_disk(w.pod)[1]})"


def _cap(request, ratio, field: str, scratch) -> str:
    """The largest `limits.FIELD` to write: with scratch, the limit written excludes scratch's size."""
    ratio_q = quantity.parse(str(ratio))
    if scratch is not None:
        capped = (request + scratch) * ratio_q - scratch
        return f"{int(capped // 2**20)}Mi"
    capped = request * ratio_q
    if field == "cpu":
        return quantity.render(int(capped * 1000) / 1000)
    return f"{int(capped // 2**20)}Mi"
