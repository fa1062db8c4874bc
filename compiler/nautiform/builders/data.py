"""Datasets and outputs: the data ConfigMap, one data Job per volume dataset, and what a workload
needs to use them (wait/stage init containers, DATASET_* env, the outputs wrapper).

All real work is done by runtime/nautiform_data.py, shipped in the ConfigMap: fetch to a
temporary path, verify, move into place, write a marker last (so a re-run skips and a changed source
fetches again); `wait` blocks on that marker; `run` syncs outputs when the command ends, also on failure.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..errors import diag
from ..resolve import Resolved, ResolvedWorkload
from .manifest import Manifest, digest
from .names import claim_name, labels, object_name

MOUNT = "/etc/nautiform/data"
SCRIPT = f"{MOUNT}/nautiform_data.py"
VOLUME = "nautiform-data"
WAIT_TIMEOUT = 86400  # a big dataset may take hours; the Job's own deadline still applies
_ONE = {"cpu": "1", "memory": "2Gi"}


@lru_cache(maxsize=1)
def runtime_script() -> str:
    # a plain path: package data is installed as files, and importlib.resources costs ~3 ms to import
    return (Path(__file__).parent.parent / "runtime" / "nautiform_data.py").read_text(encoding="utf-8")


class PodExtras:
    """What data adds to one workload's pod (a plain class: no dataclass to build at start, issue 7)."""

    __slots__ = ("init", "volumes", "mounts", "env", "wrap")

    def __init__(self):
        self.init: list = []
        self.volumes: list = []
        self.mounts: list = []
        self.env: list = []
        self.wrap: list = []  # argv before `--` and the user's command


def dataset_subpath(name: str, ds) -> str:
    """Where a volume dataset lives below the volume's mount: the data Job, the wait init containers
    and `nautiform data push` all derive it here."""
    return ds.path or f"datasets/{name}"


def runtime_spec(r: Resolved, name: str, endpoint_key: str = "inside") -> dict:
    ds = r.project.datasets[name]
    kind = ds.source.kind
    src = getattr(ds.source, kind).as_dict(drop_none=True)
    secret = src.pop("credentials", None) or src.pop("token", None)
    if kind == "s3" and not src.get("endpoint"):
        src["endpoint"] = r.profile.s3_endpoint(endpoint_key)
    spec = {"name": name, "source": {"type": kind, **src}, "unpack": ds.unpack}
    if secret:
        spec["source"]["secret"] = secret
    return spec


def _secret_env(kind: str, secret: str | None) -> list:
    keys = {"s3": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "hf": ("HF_TOKEN",)}.get(kind, ())
    pairs = [(k, k) for k in keys] if kind != "git" else [("GIT_PASSWORD", "password"), ("GIT_USERNAME", "user")]
    return [{"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}} for env, key in pairs] \
        if secret else []


def _source_env(r: Resolved, name: str) -> list:
    src = r.project.datasets[name].source
    body = getattr(src, src.kind)
    return _secret_env(src.kind, getattr(body, "credentials", None) or getattr(body, "token", None))


def needed(r: Resolved) -> bool:
    return bool(r.project.datasets) or any(getattr(w.spec, "outputs", None) for w in r.workloads)


def configmap(r: Resolved) -> Manifest | None:
    if not needed(r):
        return None
    data = {"nautiform_data.py": runtime_script()}
    for name in r.project.datasets:
        data[f"{name}.json"] = json.dumps(runtime_spec(r, name), indent=2, sort_keys=True) + "\n"
    meta = {"name": object_name(r.name, "data", suffix=digest(data)), "namespace": r.namespace,
            "labels": labels(r.name, r.project.project.owner)}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "immutable": True, "data": data}
    return Manifest(body, ("datasets",) if r.project.datasets else ("workloads",), "nautiform-data")


def check(r: Resolved) -> list:
    """Dataset declarations that cannot work, found before anything is built."""
    out = []
    for name, ds in r.project.datasets.items():
        loc = ("datasets", name)
        if ds.volume is not None:
            vol = r.project.volumes.get(ds.volume)
            if vol is None:
                out.append(diag("unknown-volume", loc + ("volume",), f"dataset {name!r} goes to volume "
                                f"{ds.volume!r}, which is not declared under `volumes`",
                                f"declared volumes: {', '.join(r.project.volumes) or 'none'}"))
        s3 = ds.source.s3
        if s3 and not s3.endpoint and not r.profile.s3_endpoint():
            out.append(diag("s3-endpoint", loc + ("source", "s3"), f"profile {r.profile.name} has no S3 endpoint",
                            "set source.s3.endpoint"))
        if s3 and not s3.anonymous and not s3.credentials:
            out.append(diag("s3-credentials", loc + ("source", "s3"), "an S3 source needs `credentials` "
                            "(a Secret name) or `anonymous: true`",
                            "kubectl create secret generic s3-creds --from-literal=AWS_ACCESS_KEY_ID=... "
                            "--from-literal=AWS_SECRET_ACCESS_KEY=..."))
    return out


def data_jobs(r: Resolved, cm_name: str, image: str) -> list[Manifest]:
    """One Job per volume dataset; it mounts the volume and fills it once (the marker makes re-runs no-ops)."""
    out = []
    for name, ds in r.project.datasets.items():
        if ds.volume is None or ds.volume not in r.project.volumes or ds.source.push is not None:
            continue  # a pushed dataset has no source: `nautiform data push` fills the volume
        vol = r.project.volumes[ds.volume]
        dest = f"/mnt/{ds.volume}/{dataset_subpath(name, ds)}"
        container = {"name": "fetch", "image": image,
                     "command": ["python3", SCRIPT, "fetch", f"{MOUNT}/{name}.json", "--dest", dest],
                     "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
                     "volumeMounts": [{"name": VOLUME, "mountPath": MOUNT, "readOnly": True},
                                      {"name": "target", "mountPath": f"/mnt/{ds.volume}"}]}
        env = _source_env(r, name)
        if env:
            container["env"] = env
        claim = claim_name(r.name, ds.volume, vol.existing_claim)
        pod = {"restartPolicy": "Never", "containers": [container],
               "volumes": [{"name": VOLUME, "configMap": {"name": cm_name}},
                           {"name": "target", "persistentVolumeClaim": {"claimName": claim}}]}
        workload = f"dataset-{name}"
        spec = {"backoffLimit": 3, "ttlSecondsAfterFinished": 7 * 86400,
                "template": {"metadata": {"labels": labels(r.name, r.project.project.owner, workload)}, "spec": pod}}
        meta = {"name": object_name(r.name, "data", name, suffix=digest(spec)), "namespace": r.namespace,
                "labels": {**labels(r.name, r.project.project.owner, workload), "nautiform.io/dataset": name}}
        out.append(Manifest({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec},
                            ("datasets", name), workload))
    return out


def pod_extras(r: Resolved, w: ResolvedWorkload, cm_name: str | None, image: str, diags: list,
               point: str = "") -> PodExtras:
    """`point` is appended to an outputs destination (a sweep passes "/point-{sweep_point}")."""
    extras = PodExtras()
    names = w.pod.get("datasets") or []
    outputs = getattr(w.spec, "outputs", None)
    if not (names or outputs) or cm_name is None:
        return extras
    script_mount = {"name": VOLUME, "mountPath": MOUNT, "readOnly": True}
    extras.volumes.append({"name": VOLUME, "configMap": {"name": cm_name}})
    mounts = w.pod.get("mounts") or {}
    scratch = w.pod.get("scratch")
    for i, name in enumerate(names):
        loc = w.at("datasets") + (i,)
        ds = r.project.datasets.get(name)
        if ds is None:
            diags.append(diag("unknown-dataset", loc, f"dataset {name!r} is not declared under `datasets`",
                              f"declared: {', '.join(r.project.datasets) or 'none'}"))
            continue
        if ds.volume is not None:
            if ds.volume not in mounts:
                diags.append(diag("dataset-mount", loc, f"dataset {name!r} is on volume {ds.volume!r}, which "
                                  f"this workload does not mount", f"add `mounts: {{{ds.volume}: /data}}`"))
                continue
            dest = f"{mounts[ds.volume].rstrip('/')}/{dataset_subpath(name, ds)}"
            target = {"name": object_name("vol", ds.volume), "mountPath": mounts[ds.volume]}  # as pod.py names it
            command = ["python3", SCRIPT, "wait", f"{MOUNT}/{name}.json", "--dest", dest,
                       "--timeout", str(WAIT_TIMEOUT)]
            env = []
        else:
            if scratch is None:
                diags.append(diag("dataset-scratch", loc, f"dataset {name!r} is staged into scratch, but this "
                                  "workload has no `scratch`", "add `scratch: {size: 100Gi}`"))
                continue
            dest = f"{scratch.path.rstrip('/')}/{ds.path or name}"
            target = {"name": "scratch", "mountPath": scratch.path}
            command = ["python3", SCRIPT, "fetch", f"{MOUNT}/{name}.json", "--dest", dest]
            env = _source_env(r, name)
        verb = "wait" if ds.volume is not None else "stage"
        container = {"name": f"{verb}-{name}"[:63], "image": image, "command": command,
                     "resources": {"requests": dict(_ONE), "limits": dict(_ONE)},
                     "volumeMounts": [script_mount, target]}
        if env:
            container["env"] = env
        extras.init.append(container)
        extras.env.append({"name": "DATASET_" + name.upper().replace("-", "_"), "value": dest})
    if outputs:
        extras.mounts.append(script_mount)
        extras.wrap = _outputs_wrap(r, w, outputs, extras, point)
    return extras


def _outputs_wrap(r: Resolved, w: ResolvedWorkload, outputs, extras: PodExtras, point: str) -> list:
    """`point` is launcher text ({sweep_point}); user text is brace-escaped so it stays literal there."""
    lit = (lambda t: t.replace("{", "{{").replace("}", "}}")) if point else (lambda t: t)  # noqa: E731
    if outputs.volume_target:
        vol_name, sub = outputs.volume_target
        vol = r.project.volumes.get(vol_name)
        claim = claim_name(r.name, vol_name, vol.existing_claim) if vol else vol_name
        extras.volumes.append({"name": "outputs-target", "persistentVolumeClaim": {"claimName": claim}})
        extras.mounts.append({"name": "outputs-target", "mountPath": "/mnt/outputs"})
        dest = lit(f"/mnt/outputs/{sub}".rstrip("/")) + point
        args = []
    else:
        dest = lit(outputs.to.rstrip("/")) + point
        endpoint = outputs.endpoint or r.profile.s3_endpoint()
        args = ["--endpoint", lit(endpoint)] if endpoint else []
        extras.env += _secret_env("s3", outputs.credentials)
    return ["python3", SCRIPT, "run", "--outputs", lit(outputs.path), "--to", dest, *args, "--"]


def volume_output_problems(r: Resolved) -> list:
    out = []
    for w in r.workloads:
        outputs = getattr(w.spec, "outputs", None)
        if outputs and outputs.volume_target:
            vol_name = outputs.volume_target[0]
            if vol_name not in r.project.volumes:
                out.append(diag("unknown-volume", w.loc + ("outputs", "to"), f"outputs go to volume {vol_name!r}, "
                                "which is not declared under `volumes`",
                                f"declared volumes: {', '.join(r.project.volumes) or 'none'}"))
    return out
