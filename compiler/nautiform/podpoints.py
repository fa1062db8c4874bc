"""Which sweep point a live pod runs: the one place that answers it (status, logs --point).

A sweep's pod knows only its completion index (`batch.kubernetes.io/job-completion-index`). The
point it runs is read from the live objects, never recomputed from project.yaml, which may have
changed since the Job started:
- a Job that runs only some points lists their table indexes in its pod template's
  `nautiform.io/points` (points.py, issue 13); index i runs the i-th entry. Without it, index i
  is point i;
- the point's parameter values come from the sweep ConfigMap the Job mounts: its `grid.*` or
  `table.*` columns and the order in which its launcher (`run.sh`) picks them, read back into an
  `expand.Sweep`, whose `point()` is the arithmetic the launcher itself follows.
"""
from __future__ import annotations

import re

from .expand import Sweep
from .points import POINTS, expand

INDEX = "batch.kubernetes.io/job-completion-index"
SWEEP_VOLUME = "sweep"
_PICK = re.compile(r"\$\(pick (grid|table)\.(\S+) ")


def template_annotations(job: dict) -> dict:
    return ((job.get("spec") or {}).get("template") or {}).get("metadata", {}).get("annotations") or {}


def point_of_index(job: dict, index: int) -> int:
    """The sweep point that completion index `index` of `job` runs."""
    listed = template_annotations(job).get(POINTS)
    if not listed:
        return index
    numbers = expand(listed)
    return numbers[index] if 0 <= index < len(numbers) else index


def sweep_configmap_name(job: dict) -> str | None:
    for v in ((job.get("spec") or {}).get("template") or {}).get("spec", {}).get("volumes") or []:
        if v.get("name") == SWEEP_VOLUME and "configMap" in v:
            return v["configMap"].get("name")
    return None


def table(configmap: dict | None) -> Sweep | None:
    """The sweep's point table as the launcher reads it; None if the ConfigMap is not a sweep's."""
    data = (configmap or {}).get("data") or {}
    picks = _PICK.findall(data.get("run.sh", ""))
    if not picks:
        return None
    mode = picks[0][0]
    params = tuple(p for _, p in picks)
    if mode == "grid":  # the launcher peels the last axis first (mixed radix, last axis fastest)
        params = params[::-1]
    columns = {p: tuple(data.get(f"{mode}.{p}", "").splitlines()) for p in params}
    size = 1
    for column in columns.values():
        size = size * len(column) if mode == "grid" else max(size, len(column))
    return Sweep(mode, params, columns, size)


def pod_point(pod: dict, job: dict | None, configmaps: dict) -> tuple[int | None, dict]:
    """(point number, {param: value}) of a sweep pod; (None, {}) for a pod that is not a sweep point.
    `configmaps`: live ConfigMaps by name."""
    index = (pod["metadata"].get("annotations") or {}).get(INDEX)
    if index is None or not str(index).isdigit() or job is None:
        return None, {}
    point = point_of_index(job, int(index))
    return point, params_of(point, job, configmaps)


def params_of(point: int, job: dict, configmaps: dict) -> dict:
    sweep = table(configmaps.get(sweep_configmap_name(job) or ""))
    if sweep is None or not 0 <= point < sweep.size:
        return {}
    return sweep.point(point)
