"""Rule nrp-interactive: bare pods (no controller) stay within NRP's interactive caps.

NRP treats a pod without a controller as interactive: at most 2 GPUs, 32 GiB of
memory and 16 cores, and it is destroyed after 6 hours (nrp-facts §1).
"""
from __future__ import annotations

from .. import quantity
from ..errors import diag


def check(r, manifests) -> list:
    caps = r.profile.rule("interactive")
    if not caps:
        return []
    out = []
    fix = "use `kind: job` for bigger or longer work"
    for w in r.workloads:
        if w.kind != "interactive":
            continue
        gpu = w.pod.get("gpu")
        if gpu and gpu.count > caps["max_gpus"]:
            out.append(diag("nrp-interactive", w.at("gpu") + ("count",), f"an interactive pod may use at most "
                            f"{caps['max_gpus']} GPUs on {r.profile.name}, this one asks for {gpu.count}", fix))
        for field, cap in (("memory", caps["max_memory"]), ("cpu", caps["max_cpu"])):
            value = w.pod.get(field)
            if value is not None and quantity.parse(value) > quantity.parse(cap):
                out.append(diag("nrp-interactive", w.at(field), f"an interactive pod may use at most {cap} "
                                f"{field} on {r.profile.name}, this one asks for {value}", fix))
        if w.spec.deadline > caps["max_deadline"]:
            out.append(diag("nrp-interactive", w.loc + ("deadline",), f"interactive pods are deleted after "
                            f"{caps['max_deadline'] // 3600}h on {r.profile.name}; deadline is "
                            f"{w.spec.deadline // 3600}h", f"set deadline: {caps['max_deadline'] // 3600}h or less"))
    return out
