"""Rule no-requests (warning): a pod without cpu or memory requests on a profile that wants them.

Without requests a pod is BestEffort: the scheduler places it anywhere, it is the first evicted, and
NRP counts usage against what a pod requested (nrp-facts §1: CPU within 20-200% and memory within
20-150% of the request). nautiform would write `resources: {}`; nothing refuses it, so it is said here.
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    if not r.profile.rule("want_requests"):
        return []
    out = []
    for w in r.workloads:
        missing = [f for f in ("cpu", "memory") if w.pod.get(f) is None]
        if missing:
            out.append(diag("no-requests", w.loc, f"this {w.kind} requests no {' and no '.join(missing)}; the pod "
                            f"would be BestEffort on {r.profile.name}: first evicted, placed anywhere",
                            f"set {' and '.join(f'`{f}:`' for f in missing)} here or under `defaults`",
                            severity="warning"))
    return out
