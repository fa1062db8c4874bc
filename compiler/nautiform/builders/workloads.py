"""Builders for each object kind: PVCs, interactive Pods, Jobs and sweeps (Indexed Job + ConfigMap)."""
from __future__ import annotations

from .. import quantity
from ..errors import diag
from ..expand import MAX_POINTS, expand, missing_in_points
from ..resolve import Resolved, ResolvedWorkload
from . import data, launcher
from .manifest import Manifest, digest
from .names import MAX, labels, object_name
from .pod import pod_spec

CONFIGMAP_LIMIT = 1024 * 1024  # etcd's 1 MiB object limit applies to a ConfigMap's data


def build(r: Resolved) -> tuple[list[Manifest], list]:
    diags: list = data.check(r) + data.volume_output_problems(r)
    out: list[Manifest] = []
    for vol_name, vol in r.project.volumes.items():
        if vol.existing_claim is None:
            out.append(_pvc(r, vol_name, vol))
    cm = data.configmap(r)
    cm_name = cm.name if cm else None
    if cm:
        out += [cm, *data.data_jobs(r, cm_name, _data_image(r))]
    for w in r.workloads:
        builder = {"interactive": _interactive, "job": _job, "sweep": _sweep}[w.kind]
        out += builder(r, w, diags, cm_name)
    return sorted(out, key=Manifest.sort_key), diags


def _data_image(r: Resolved) -> str:
    return r.profile.data["images"]["data"]


def _meta(r: Resolved, name: str, workload: str | None = None) -> dict:
    return {"name": name, "namespace": r.namespace, "labels": labels(r.name, r.project.project.owner, workload)}


def _pvc(r: Resolved, vol_name: str, vol) -> Manifest:
    storage_class = r.profile.storage_class(vol.storage_class)
    spec = {"accessModes": [vol.access_mode or r.profile.access_mode(storage_class)],
            "resources": {"requests": {"storage": quantity.render(vol.size)}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    meta = _meta(r, object_name(r.name, vol_name))
    # Tools that honour these never delete the claim, whoever prunes (issue 4: never lose data).
    meta["annotations"] = {"helm.sh/resource-policy": "keep",
                           "argocd.argoproj.io/sync-options": "Delete=false,Prune=false",
                           "kustomize.toolkit.fluxcd.io/prune": "disabled"}
    body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}
    return Manifest(body, ("volumes", vol_name), vol_name)


def _template(r: Resolved, w: ResolvedWorkload, spec: dict) -> dict:
    return {"metadata": {"labels": labels(r.name, r.project.project.owner, w.name)}, "spec": spec}


def _interactive(r: Resolved, w: ResolvedWorkload, diags: list, cm_name) -> list[Manifest]:
    extras = data.pod_extras(r, w, cm_name, _data_image(r), diags)
    spec = pod_spec(r, w, list(w.spec.command), diags, extras)
    spec["activeDeadlineSeconds"] = w.spec.deadline
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(r, "", w.name), "spec": spec}
    # Pod specs are immutable: a changed spec gets a new name, and the old pod is pruned.
    body["metadata"]["name"] = object_name(r.name, w.name, suffix=digest(spec))
    return [Manifest(body, w.loc, w.name)]


def _job_spec(r: Resolved, w: ResolvedWorkload, pod: dict) -> dict:
    spec = {"backoffLimit": w.spec.backoff_limit, "ttlSecondsAfterFinished": w.spec.ttl_after_finished,
            # Preempted pods (opportunistic class, node drains) do not count as failures.
            "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
            "template": _template(r, w, pod)}
    if w.spec.deadline:
        spec["activeDeadlineSeconds"] = w.spec.deadline
    return spec


def _job(r: Resolved, w: ResolvedWorkload, diags: list, cm_name) -> list[Manifest]:
    extras = data.pod_extras(r, w, cm_name, _data_image(r), diags)
    spec = _job_spec(r, w, pod_spec(r, w, extras.wrap + list(w.spec.command), diags, extras))
    return [_job_manifest(r, w, spec, MAX)]


def _job_manifest(r: Resolved, w: ResolvedWorkload, spec: dict, limit: int) -> Manifest:
    # Job templates are immutable: the name carries a hash of the spec, so a change is a new Job.
    name = object_name(r.name, w.name, suffix=digest(spec), limit=limit)
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(r, name, w.name), "spec": spec}
    return Manifest(body, w.loc, w.name)


def _sweep(r: Resolved, w: ResolvedWorkload, diags: list, cm_name) -> list[Manifest]:
    sweep_loc = w.loc + ("sweep",)
    for i, p in missing_in_points(w.spec.sweep):
        diags.append(diag("sweep-point", sweep_loc + ("points", i), f"point {i} has no value for {p!r}",
                          "give every point the same parameters"))
    sw = expand(w.spec.sweep)
    if sw.size > MAX_POINTS:
        diags.append(diag("sweep-size", sweep_loc, f"the sweep has {sw.size:,} points; one Indexed Job "
                          f"holds at most {MAX_POINTS:,}", "split it into several sweeps or sample fewer points"))
        return []
    known = set(sw.params)
    for word in w.spec.command:
        for ph in launcher.placeholders(word):
            if ph not in known:
                diags.append(diag("sweep-placeholder", w.loc + ("command",),
                                  f"the command uses {{{ph}}}, which is not a sweep parameter",
                                  f"parameters: {', '.join(sorted(known))}; write {{{{ and }}}} for literal braces"))
    extras = data.pod_extras(r, w, cm_name, _data_image(r), diags, point="/point-{sweep_point}")
    params = launcher.data(sw, tuple(extras.wrap) + w.spec.command)
    size = sum(len(k.encode()) + len(v.encode()) for k, v in params.items())
    if size > CONFIGMAP_LIMIT - 4096:
        diags.append(diag("sweep-size", sweep_loc, f"the sweep's parameter data is {size:,} bytes; a ConfigMap "
                          f"holds at most {CONFIGMAP_LIMIT:,}", "use a grid (its data grows with the axis "
                          "values, not the points) or fewer points"))
        return []
    sweep_cm = object_name(r.name, w.name, "sweep", suffix=digest(params))
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(r, sweep_cm, w.name),
                 "immutable": True, "data": params}
    extras.volumes.append({"name": "sweep", "configMap": {"name": sweep_cm, "defaultMode": 0o555}})
    extras.mounts.append({"name": "sweep", "mountPath": launcher.MOUNT, "readOnly": True})
    pod = pod_spec(r, w, ["/bin/sh", f"{launcher.MOUNT}/run.sh"], diags, extras)
    spec = _job_spec(r, w, pod)
    spec.update({"completionMode": "Indexed", "completions": sw.size, "parallelism": min(w.spec.parallelism, sw.size)})
    if w.spec.backoff_limit_per_index is not None:
        spec["backoffLimitPerIndex"] = w.spec.backoff_limit_per_index
    # An Indexed Job's pods are named <job>-<index>: keep that a valid 63-character hostname.
    limit = MAX - 1 - len(str(sw.size - 1))
    return [Manifest(configmap, sweep_loc, w.name), _job_manifest(r, w, spec, limit)]
