"""GPU-hours a merge can spend at most: NRP counts usage in GPU-hours, so the plan totals them.

A run's bound is its pods × GPUs per pod × its deadline (`activeDeadlineSeconds`); a run without a
deadline is unbounded and the plan says so rather than guessing. Retries after failures are not
counted (the bound is per attempt).
"""
from __future__ import annotations

from collections import namedtuple

Cost = namedtuple("Cost", "gpu_hours unbounded")  # gpu_hours: float; unbounded: names of runs with no deadline


def gpus_per_pod(pod_spec: dict) -> int:
    total = 0
    for c in pod_spec.get("containers") or []:
        for key, value in ((c.get("resources") or {}).get("limits") or {}).items():
            if key.startswith("nvidia.com/"):
                total += int(value)
    return total


def run_cost(body: dict, pods: int | None = None) -> tuple[float, bool]:
    """(GPU-hours, unbounded) of one Job or Pod; `pods` overrides a Job's completions."""
    spec = body.get("spec") or {}
    if body["kind"] == "Pod":
        gpus, deadline, count = gpus_per_pod(spec), spec.get("activeDeadlineSeconds"), 1
    else:
        gpus, deadline = gpus_per_pod(spec["template"]["spec"]), spec.get("activeDeadlineSeconds")
        count = pods if pods is not None else spec.get("completions", 1)  # a multi-node run: one pod per node
    if not gpus:
        return 0.0, False
    if not deadline:
        return 0.0, True
    return gpus * count * deadline / 3600.0, False


def total(runs: list[tuple[dict, int | None]]) -> Cost:
    hours, unbounded = 0.0, []
    for body, pods in runs:
        h, open_ended = run_cost(body, pods)
        hours += h
        if open_ended:
            unbounded.append(body["metadata"]["name"])
    return Cost(hours, unbounded)


def describe(cost: Cost) -> str:
    text = f"at most {cost.gpu_hours:,.1f} GPU-hours"
    if cost.unbounded:
        shown = ", ".join(cost.unbounded[:3]) + (" ..." if len(cost.unbounded) > 3 else "")
        text += f" + {len(cost.unbounded)} GPU run(s) without a deadline: unbounded ({shown}; set `deadline`)"
    return text
