"""Builders for each object kind: PVCs, interactive Pods, Jobs and sweeps (Indexed Job + ConfigMap)."""
from __future__ import annotations

from .. import launcher, quantity
from ..names import MAX, digest, labels, object_name
from ..resolve import Resolved, ResolvedWorkload
from . import data
from .manifest import Manifest
from .pod import pod_spec

DEFAULT_BACKOFF_LIMIT = 2  # a Job's retries, unless it is a sweep with per-index retries (model.Batch)


def build(r: Resolved) -> list[Manifest]:
    out: list[Manifest] = [_pvc(r, vol) for vol in r.volumes.values() if vol.create]
    cm = data.configmap(r)
    if cm:
        out += [cm, *data.data_jobs(r, _data_image(r))]
    for w in r.workloads:
        builder = {"interactive": _interactive, "job": _job, "sweep": _sweep}[w.kind]
        out += builder(r, w)
    return sorted(out, key=Manifest.sort_key)


def _data_image(r: Resolved) -> str:
    return r.profile.data["images"]["data"]


def _meta(r: Resolved, name: str, workload: str | None = None) -> dict:
    return {"name": name, "namespace": r.namespace, "labels": labels(r.name, r.project.project.owner, workload)}


def _pvc(r: Resolved, vol) -> Manifest:
    spec = {"accessModes": [vol.access_mode], "resources": {"requests": {"storage": quantity.render(vol.size)}}}
    if vol.storage_class:
        spec["storageClassName"] = vol.storage_class
    meta = _meta(r, vol.claim)
    # Tools that honour these never delete the claim, whoever prunes (issue 4: never lose data).
    meta["annotations"] = {"helm.sh/resource-policy": "keep",
                           "argocd.argoproj.io/sync-options": "Delete=false,Prune=false",
                           "kustomize.toolkit.fluxcd.io/prune": "disabled"}
    body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}
    return Manifest(body, vol.loc, vol.name)


def _template(r: Resolved, w: ResolvedWorkload, spec: dict) -> dict:
    return {"metadata": {"labels": labels(r.name, r.project.project.owner, w.name)}, "spec": spec}


def _pod(r: Resolved, w: ResolvedWorkload, command: list) -> dict:
    init, env = data.pod_extras(r, w, _data_image(r))
    return pod_spec(r, w, command, init, env)


def _interactive(r: Resolved, w: ResolvedWorkload) -> list[Manifest]:
    spec = _pod(r, w, list(w.spec.command))
    spec["activeDeadlineSeconds"] = w.spec.deadline
    body: dict = {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(r, "", w.name), "spec": spec}
    # Pod specs are immutable: a changed spec gets a new name, and the old pod is pruned.
    body["metadata"]["name"] = object_name(r.name, w.name, suffix=digest(spec))
    return [Manifest(body, w.loc, w.name)]


def _job_spec(r: Resolved, w: ResolvedWorkload, pod: dict) -> dict:
    spec = {"ttlSecondsAfterFinished": w.spec.ttl_after_finished,
            # Preempted pods (opportunistic class, node drains) do not count as failures.
            "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
            "template": _template(r, w, pod)}
    backoff = w.spec.backoff_limit
    if backoff is None and getattr(w.spec, "backoff_limit_per_index", None) is None:
        backoff = DEFAULT_BACKOFF_LIMIT
    if backoff is not None:
        spec["backoffLimit"] = backoff
    if w.spec.deadline:
        spec["activeDeadlineSeconds"] = w.spec.deadline
    return spec


def _job(r: Resolved, w: ResolvedWorkload) -> list[Manifest]:
    spec = _job_spec(r, w, _pod(r, w, list(w.wrap) + list(w.spec.command)))
    return [_job_manifest(r, w, spec, MAX)]


def _job_manifest(r: Resolved, w: ResolvedWorkload, spec: dict, limit: int) -> Manifest:
    # Job templates are immutable: the name carries a hash of the spec, so a change is a new Job.
    name = object_name(r.name, w.name, suffix=digest(spec), limit=limit)
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(r, name, w.name), "spec": spec}
    return Manifest(body, w.loc, w.name)


def _sweep(r: Resolved, w: ResolvedWorkload) -> list[Manifest]:
    """ONE Indexed Job and the ConfigMap of its points; a sweep too large to write is lint's sweep-size."""
    sw = w.sweep
    if w.sweep_data is None:
        return []
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(r, w.sweep_cm, w.name),
                 "immutable": True, "data": dict(w.sweep_data)}
    spec = _job_spec(r, w, _pod(r, w, ["/bin/sh", f"{launcher.MOUNT}/run.sh"]))
    spec.update({"completionMode": "Indexed", "completions": sw.size, "parallelism": min(w.spec.parallelism, sw.size)})
    if w.spec.backoff_limit_per_index is not None:
        # Per-index retries replace the Job-wide count: with backoffLimit set too, the Job controller fails
        # the whole sweep after that many failed pods anywhere (issue 12, item 3). Unset, it is unbounded.
        spec["backoffLimitPerIndex"] = w.spec.backoff_limit_per_index
    # An Indexed Job's pods are named <job>-<index>: keep that a valid 63-character hostname.
    limit = MAX - 1 - len(str(sw.size - 1))
    return [Manifest(configmap, w.loc + ("sweep",), w.name), _job_manifest(r, w, spec, limit)]
