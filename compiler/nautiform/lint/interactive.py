"""Rule nrp-interactive: bare pods (no controller) stay within NRP's interactive caps.

NRP treats a pod without a controller as interactive: at most 2 GPUs, 32 GiB of
memory and 16 cores, and it is destroyed after 6 hours (nrp-facts §1). The caps
hold for limits as well as requests: a limit is what the pod may use.
"""
from __future__ import annotations

from .. import quantity
from ..errors import diag
from .sleep import ends_idle


def caps_exceeded(r, w) -> bool:
    """Would this workload break an interactive cap (used by nrp-sleep to give advice that holds)?"""
    return bool(_problems(r, w, r.profile.rule("interactive") or {}))


def check(r, manifests) -> list:
    caps = r.profile.rule("interactive")
    if not caps:
        return []
    return [p for w in r.workloads if w.kind == "interactive" for p in _problems(r, w, caps)]


def _problems(r, w, caps: dict) -> list:
    if not caps:
        return []
    out = []
    # `kind: job` is the way out only for a command that does work: a sleeping Job is banned (nrp-sleep).
    fix = "use `kind: job` for bigger or longer work" if not ends_idle(w.spec.command) else \
        "lower it, or use `kind: job` with a command that does the work (a Job must not sleep)"
    gpu = w.pod.get("gpu")
    if gpu and gpu.count > caps["max_gpus"]:
        out.append(diag("nrp-interactive", w.at("gpu") + ("count",), f"an interactive pod may use at most "
                        f"{caps['max_gpus']} GPUs on {r.profile.name}, this one asks for {gpu.count}", fix,
                        workload=w.name))
    given = w.pod.get("limits")
    for field, cap in (("memory", caps["max_memory"]), ("cpu", caps["max_cpu"])):
        for value, loc, what in ((w.pod.get(field), w.at(field), "asks for"),
                                 (getattr(given, field, None) if given else None, w.at("limits") + (field,),
                                  "may use (limit)")):
            if value is not None and quantity.parse(value) > quantity.parse(cap):
                out.append(diag("nrp-interactive", loc, f"an interactive pod may use at most {cap} {field} on "
                                f"{r.profile.name}, this one {what} {value}", fix, workload=w.name))
    deadline = getattr(w.spec, "deadline", None)
    if w.kind == "interactive" and deadline is not None and deadline > caps["max_deadline"]:
        out.append(diag("nrp-interactive", w.loc + ("deadline",), f"interactive pods are deleted after "
                        f"{caps['max_deadline'] // 3600}h on {r.profile.name}; deadline is "
                        f"{deadline // 3600}h", f"set deadline: {caps['max_deadline'] // 3600}h or less"))
    return out
