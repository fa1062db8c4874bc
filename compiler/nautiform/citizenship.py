"""NRP citizenship: pods that put the namespace at risk, flagged before NRP acts on them.

- An interactive pod ends at its deadline (NRP destroys bare pods after 6 h): say so in its last
  hour (or sixth of its deadline), so work is saved; say "idle" when its GPU use is known to be low.
- NRP counts a GPU pod under 40% average GPU use as violating; while more than 4 of a user's pods
  violate, its admission webhook refuses their new Jobs (../shared/nrp-facts.md sections 1 and 9).
  Pods requesting at most 1 CPU and 2 GB are exempt. GPU use is flagged only when it was read
  (gpumetrics.py): with metrics off, the document says it was not checked.
"""
from __future__ import annotations

from fractions import Fraction

from .nodefit import gpu_request, requests
from .runs import age, seconds_since

LOW_USE = 40.0
GATE = 4  # more violating pods than this lock a user out of new Jobs
SOON = 3600
NOT_CHECKED = ("GPU use not checked: metrics are off (--prometheus, or NAUTIFORM_PROMETHEUS_URL; NRP's is "
               "https://prometheus.nrp-nautilus.io)")


def flags(doc: dict, live, use: dict | None, now: float) -> list[str]:
    """Add `flags` to each workload of `doc` (in place); return notes for the whole project."""
    pods = {p["metadata"]["name"]: p for p in live.pods}
    low = 0
    for w in doc["workloads"]:
        for entry in w["pods"]:
            pod = pods.get(entry["name"])
            if pod is None or entry["state"] != "running":
                continue
            pct = None if use is None else use.get(entry["name"])
            gpus = gpu_request(pod["spec"])[1]
            if w["kind"] == "interactive":
                flag = _deadline(pod, now, pct)
                if flag:
                    w["flags"].append({**flag, "pod": entry["name"]})
            if gpus and pct is not None and pct < LOW_USE and not _exempt(pod):
                low += 1
                w["flags"].append({"code": "low-gpu-use", "pod": entry["name"], "percent": round(pct, 1),
                                   "detail": f"GPU use {pct:.0f}% over the last hour; NRP counts pods under "
                                             f"{LOW_USE:.0f}% as violations"})
    notes = []
    if low > GATE:
        notes.append(f"{low} GPU pods are under {LOW_USE:.0f}% use: NRP refuses your new Jobs while more than {GATE} "
                     "pods violate; stop idle ones (`nautiform stop WORKLOAD`)")
    return notes


def _deadline(pod: dict, now: float, pct: float | None) -> dict | None:
    deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
    started = seconds_since((pod.get("status") or {}).get("startTime", ""), now)
    if not deadline or started is None:
        return None
    left, soon = deadline - started, min(SOON, deadline // 6)
    idle = pct is not None and pct < LOW_USE and gpu_request(pod["spec"])[1]
    if left > soon and not idle:
        return None
    text = f"ends in {age(max(left, 0))} (its {age(deadline)} deadline)" if left <= soon else ""
    if idle:
        text = (text + "; " if text else "") + f"idle: GPU use {pct:.0f}% over the last hour"
    if left <= soon:
        return {"code": "deadline-soon", "detail": text + "; save your work, the next apply starts a fresh pod"}
    return {"code": "idle", "detail": text}


def _exempt(pod: dict) -> bool:
    need = requests(pod["spec"])
    return need.get("cpu", Fraction(0)) <= 1 and need.get("memory", Fraction(0)) <= 2 * 10**9
