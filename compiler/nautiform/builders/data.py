"""Datasets and outputs: the data ConfigMap, one data Job per volume dataset, and what a workload
needs to use them (wait/stage init containers, DATASET_* env).

All real work is done by runtime/nautiform_data.py, shipped in the ConfigMap: fetch to a
temporary path, verify, move into place, write a marker last (so a re-run skips and a changed source
fetches again); `wait` blocks on that marker; `run` syncs outputs when the command ends, also on failure.
Names, paths and the ConfigMap's content are derived once in derive.py.
"""
from __future__ import annotations

from .. import derive
from ..names import labels, object_name
from ..resolve import Resolved, ResolvedWorkload
from . import identity
from .manifest import Manifest

WAIT_TIMEOUT = 86400  # a big dataset may take hours; the Job's own deadline still applies
_ONE = {"cpu": "1", "memory": "2Gi"}
_FETCH = {"cpu": "2", "memory": "4Gi"}
_SCRIPT_MOUNT = {"name": derive.DATA_VOLUME, "mountPath": derive.DATA_MOUNT, "readOnly": True}


def _source_env(r: Resolved, name: str) -> list:
    src = r.project.datasets[name].source
    body = getattr(src, src.kind)
    return derive.secret_env(src.kind, getattr(body, "credentials", None) or getattr(body, "token", None))


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
        container = {"name": "fetch", "image": image,
                     "command": ["python3", derive.DATA_SCRIPT, "fetch", ds.spec,
                                 "--dest", f"{target}/{ds.dest}"],
                     "resources": {"requests": dict(_FETCH), "limits": dict(_FETCH)},
                     "volumeMounts": [dict(_SCRIPT_MOUNT), {"name": "target", "mountPath": target}]}
        env = _source_env(r, ds.name)
        if env:
            container["env"] = env
        pod = {"restartPolicy": "Never", "containers": [container],
               "volumes": [{"name": derive.DATA_VOLUME, "configMap": {"name": r.data_cm[0]}},
                           {"name": "target", "persistentVolumeClaim": {"claimName": ds.volume.claim}}]}
        workload = f"dataset-{ds.name}"
        spec = {"backoffLimit": 3, "ttlSecondsAfterFinished": 7 * 86400,
                "template": {"metadata": {"labels": labels(r.name, r.project.project.owner, workload)}, "spec": pod}}
        parts = identity.inputs(pod, list(container["command"]), {r.data_cm[0]})
        meta = {"name": object_name(r.name, "data", ds.name, suffix=identity.identity(parts)[:8]),
                "namespace": r.namespace,
                "labels": {**labels(r.name, r.project.project.owner, workload), "nautiform.io/dataset": ds.name}}
        identity.annotate(meta, parts)
        out.append(Manifest({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec},
                            ("datasets", ds.name), workload))
    return out


def pod_extras(r: Resolved, w: ResolvedWorkload, image: str) -> tuple[list, list]:
    """(init containers, env) that the datasets listed by `w` add to its pod. A dataset that cannot work
    here (unknown, volume not mounted, no scratch) is skipped: lint reports it."""
    init: list = []
    env: list = []
    if r.data_cm is None:
        return init, env
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
            extra: list = []
        else:
            mount = by_name.get("scratch")
            if mount is None:
                continue
            dest = f"{mount.path}/{ds.dest}"
            command = ["python3", derive.DATA_SCRIPT, "fetch", ds.spec, "--dest", dest]
            extra = _source_env(r, name)
        container = {"name": f"{ds.verb}-{name}"[:63], "image": image, "command": command,
                     "resources": {"requests": dict(_ONE), "limits": dict(_ONE)},
                     "volumeMounts": [dict(_SCRIPT_MOUNT), {"name": mount.name, "mountPath": mount.path}]}
        if extra:
            container["env"] = extra
        init.append(container)
        env.append({"name": ds.env, "value": dest})
    return init, env
