"""Datasets and outputs: the data ConfigMap, one data Job per volume dataset, and what a workload
needs to use them (wait/stage init containers, DATASET_* env).

All real work is done by runtime/nautiform_data.py, shipped in the ConfigMap: fetch to a
temporary path, verify, move into place, write a marker last (so a re-run skips and a changed source
fetches again); `wait` blocks on that marker; `run` syncs outputs when the command ends, also on failure.
Names, paths and the ConfigMap's content are derived once in derive.py.
"""
from __future__ import annotations

from .. import derive, quantity
from ..names import labels, object_name
from ..resolve import Resolved, ResolvedWorkload
from . import identity
from .manifest import Manifest

WAIT_TIMEOUT = 86400  # a big dataset may take hours; the Job's own deadline still applies
_ONE = {"cpu": "1", "memory": "2Gi"}
_FETCH = {"cpu": "2", "memory": "4Gi"}
_SCRIPT_MOUNT = {"name": derive.DATA_VOLUME, "mountPath": derive.DATA_MOUNT, "readOnly": True}


def _access(r: Resolved, name: str) -> tuple[list, derive.Mount | None]:
    """(env, s3cfg mount or None) for fetching dataset `name`'s source."""
    return derive.source_access(r.project.datasets[name].source, ("datasets", name, "source"))


def _with_access(container: dict, volumes: dict, env: list, mount) -> None:
    if env:
        container["env"] = env
    if mount is not None:
        container["volumeMounts"].append({"name": mount.name, "mountPath": mount.path, "readOnly": True})
        volumes[mount.name] = mount.source


def configmap(r: Resolved) -> Manifest | None:
    if r.data_cm is None:
        return None
    name, data = r.data_cm
    meta = {"name": name, "namespace": r.namespace, "labels": labels(r.name, r.project.project.owner)}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "immutable": True, "data": dict(data)}
    return Manifest(body, ("datasets",) if r.project.datasets else ("workloads",), "nautiform-runtime")


def data_jobs(r: Resolved, image: str) -> list[Manifest]:
    """One Job per volume dataset; it mounts the volume and fills it once (the marker makes re-runs no-ops)."""
    out: list[Manifest] = []
    if r.data_cm is None:
        return out
    for ds in r.datasets.values():
        if ds.volume is None or ds.pushed:
            continue  # scratch, an unknown volume (lint's unknown-volume), or filled by `nautiform data push`
        target = f"/mnt/{ds.volume.name}"
        job = r.project.datasets[ds.name].job
        size = dict(_FETCH)
        for key in ("cpu", "memory"):
            if job is not None and getattr(job, key) is not None:
                size[key] = quantity.render(getattr(job, key))
        container = {"name": "fetch", "image": (job.image if job and job.image else image),
                     "command": ["python3", derive.DATA_SCRIPT, "fetch", ds.spec,
                                 "--dest", f"{target}/{ds.dest}"],
                     "resources": {"requests": dict(size), "limits": dict(size)},
                     "volumeMounts": [dict(_SCRIPT_MOUNT), {"name": "target", "mountPath": target}]}
        volumes = {derive.DATA_VOLUME: {"configMap": {"name": r.data_cm[0]}},
                   "target": {"persistentVolumeClaim": {"claimName": ds.volume.claim}}}
        _with_access(container, volumes, *_access(r, ds.name))
        pod = {"restartPolicy": "Never", "containers": [container],
               "volumes": [{"name": n, **volumes[n]} for n in sorted(volumes)]}
        workload = f"dataset-{ds.name}"
        ttl = job.ttl_after_finished if job is not None and job.ttl_after_finished else 7 * 86400
        spec = {"backoffLimit": 3, "ttlSecondsAfterFinished": ttl,
                "template": {"metadata": {"labels": labels(r.name, r.project.project.owner, workload)}, "spec": pod}}
        parts = identity.inputs(pod, list(container["command"]), {r.data_cm[0]})
        meta = {"name": object_name(r.name, "data", ds.name, suffix=identity.identity(parts)[:8]),
                "namespace": r.namespace,
                "labels": {**labels(r.name, r.project.project.owner, workload), "nautiform.io/dataset": ds.name}}
        identity.annotate(meta, parts)
        out.append(Manifest({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec},
                            ("datasets", ds.name), workload))
    return out


def pod_extras(r: Resolved, w: ResolvedWorkload, image: str) -> tuple[list, list, dict]:
    """(init containers, env, pod volumes) that the datasets listed by `w` add to its pod. A dataset that
    cannot work here (unknown, volume not mounted, no scratch) is skipped: lint reports it."""
    init: list = []
    env: list = []
    volumes: dict = {}
    if r.data_cm is None:
        return init, env, volumes
    by_name = {m.name: m for m in w.mounts}
    for name in w.pod.get("datasets") or []:
        ds = r.datasets.get(name)
        if ds is None:
            continue
        if ds.volume is not None:
            mount = by_name.get(ds.volume.pod_name)
            if mount is None:
                continue
            dest = f"{mount.path}/{ds.dest}"
            command = ["python3", derive.DATA_SCRIPT, "wait", ds.spec, "--dest", dest,
                       "--timeout", str(WAIT_TIMEOUT)]
            access: tuple = ([], None)
        else:
            mount = by_name.get("scratch")
            if mount is None:
                continue
            dest = f"{mount.path}/{ds.dest}"
            command = ["python3", derive.DATA_SCRIPT, "fetch", ds.spec, "--dest", dest]
            access = _access(r, name)
        container = {"name": f"{ds.verb}-{name}"[:63], "image": image, "command": command,
                     "resources": {"requests": dict(_ONE), "limits": dict(_ONE)},
                     "volumeMounts": [dict(_SCRIPT_MOUNT), {"name": mount.name, "mountPath": mount.path}]}
        _with_access(container, volumes, *access)
        init.append(container)
        env.append({"name": ds.env, "value": dest})
    return init, env, volumes
