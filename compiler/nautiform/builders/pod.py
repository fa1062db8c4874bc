"""The pod spec shared by every workload kind: image, command, resources, placement, storage, secrets."""
from __future__ import annotations

from .. import quantity
from ..errors import diag
from ..resolve import Resolved, ResolvedWorkload
from .names import claim_name, object_name

MAIN = "main"
WORKSPACE_VOLUME = "code"
_GIT_CLONE = (
    'set -eu\n'
    'if [ -n "${GIT_USERNAME:-}" ]; then\n'
    '  git config --global credential.helper \'!f() { echo "username=$GIT_USERNAME"; '
    'echo "password=$GIT_PASSWORD"; }; f\'\n'
    'fi\n'
    'git clone --quiet "$CODE_REPO" "$CODE_DIR"\n'
    'git -C "$CODE_DIR" -c advice.detachedHead=false checkout --quiet "$CODE_REF"\n'
    'git -C "$CODE_DIR" log -1 --format="checked out %H (%s)"\n'
)


def pod_spec(r: Resolved, w: ResolvedWorkload, command: list[str], diags: list, extras=None) -> dict:
    """Build a PodSpec; problems with references go to `diags`. `extras` (build.data.PodExtras) adds
    volumes, mounts, env and init containers for datasets, outputs and sweeps."""
    pod = w.pod
    volumes, mounts = _storage(r, w, diags)
    volumes += extras.volumes if extras else []
    mounts += extras.mounts if extras else []
    env = _env(w) + (extras.env if extras else [])
    container = {"name": MAIN, "image": r.image, "command": list(command), "resources": resources(r, w),
                 "env": env}
    init = []
    code = r.project.code
    if code:
        volumes.append({"name": WORKSPACE_VOLUME, "emptyDir": {}})
        mounts.append({"name": WORKSPACE_VOLUME, "mountPath": code.path})
        container["workingDir"] = code.path
        init.append(_git_init(r, code))
    if extras:
        init += extras.init  # after the checkout: a dataset may be read by the code's first step
    if mounts:
        container["volumeMounts"] = sorted(mounts, key=lambda m: m["mountPath"])
    spec = {"restartPolicy": "Never", "containers": [container]}
    if init:
        spec["initContainers"] = init
    if volumes:
        spec["volumes"] = sorted(volumes, key=lambda v: v["name"])
    affinity = _affinity(r, w)
    if affinity:
        spec["affinity"] = affinity
    if pod.get("tolerations"):
        spec["tolerations"] = [t.as_dict(drop_none=True) for t in pod["tolerations"]]
    if pod.get("priority_class"):
        spec["priorityClassName"] = pod["priority_class"]
    if r.project.image.pull_secret:
        spec["imagePullSecrets"] = [{"name": r.project.image.pull_secret}]
    return spec


def gpu_resource(r: Resolved, w: ResolvedWorkload) -> str | None:
    gpu = w.pod.get("gpu")
    if not gpu or gpu.count == 0:
        return None
    return gpu.resource or r.profile.gpu_resource(gpu.products)


def resources(r: Resolved, w: ResolvedWorkload) -> dict:
    pod = w.pod
    requests: dict = {}
    limits: dict = {}
    given = pod.get("limits")
    for field, key in (("cpu", "cpu"), ("memory", "memory"), ("ephemeral_storage", "ephemeral-storage")):
        value = pod.get(field)
        if field == "ephemeral_storage":
            value = _plus_scratch(value, pod.get("scratch"))
        if value is None:
            continue
        requests[key] = quantity.render(value)
        limit = getattr(given, field, None) if given else None
        limits[key] = quantity.render(limit if limit is not None else value)
    name = gpu_resource(r, w)
    if name:
        # GPUs cannot be overcommitted: request must equal limit (Kubernetes, NRP).
        requests[name] = limits[name] = str(pod["gpu"].count)
    out = {}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


def _plus_scratch(value, scratch):
    if scratch is None:
        return value
    total = quantity.parse(scratch.size) + (quantity.parse(value) if value is not None else 0)
    for unit, size in (("Gi", 2**30), ("Mi", 2**20)):
        if (total / size).denominator == 1:
            return f"{total // size}{unit}"
    return str(int(total))


def _env(w: ResolvedWorkload) -> list:
    env = {"PYTHONUNBUFFERED": "1"}  # NRP logs look empty otherwise (nrp-facts §6)
    env.update(w.pod.get("env") or {})
    out = [{"name": k, "value": env[k]} for k in sorted(env)]
    for name, ref in sorted((w.pod.get("secret_env") or {}).items()):
        out.append({"name": name, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}})
    return out


def _affinity(r: Resolved, w: ResolvedWorkload) -> dict | None:
    labels = r.profile.data["labels"]
    exprs = []
    gpu = w.pod.get("gpu")
    if gpu and gpu.count and gpu.products:
        exprs.append({"key": labels["gpu_product"], "operator": "In", "values": sorted(set(gpu.products))})
    if gpu and gpu.count and gpu.min_memory is not None:
        mib = quantity.parse(gpu.min_memory) / 2**20
        floor = int(mib) - (1 if mib == int(mib) else 0)  # label is MiB; Gt is strict
        exprs.append({"key": labels["gpu_memory"], "operator": "Gt", "values": [str(max(floor, 0))]})
    if w.pod.get("region"):
        exprs.append({"key": labels["region"], "operator": "In", "values": sorted(set(w.pod["region"]))})
    if not exprs:
        return None
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": exprs}]}}}


def _storage(r: Resolved, w: ResolvedWorkload, diags: list) -> tuple[list, list]:
    volumes, mounts = [], []
    for vol_name, path in sorted((w.pod.get("mounts") or {}).items()):
        vol = r.project.volumes.get(vol_name)
        if vol is None:
            known = ", ".join(r.project.volumes) or "none declared"
            diags.append(diag("unknown-volume", w.at(f"mounts.{vol_name}"),
                              f"mounts volume {vol_name!r}, which is not declared under `volumes`",
                              f"declared volumes: {known}"))
            continue
        claim = claim_name(r.name, vol_name, vol.existing_claim)
        name = object_name("vol", vol_name)  # a volume name is a DNS label too: at most 63 characters
        volumes.append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
        mounts.append({"name": name, "mountPath": path})
    scratch = w.pod.get("scratch")
    if scratch:
        volumes.append({"name": "scratch", "emptyDir": {"sizeLimit": quantity.render(scratch.size)}})
        mounts.append({"name": "scratch", "mountPath": scratch.path})
    if w.pod.get("shm") is not None:
        volumes.append({"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": quantity.render(w.pod["shm"])}})
        mounts.append({"name": "shm", "mountPath": "/dev/shm"})
    for files in w.pod.get("secret_files") or []:
        name = object_name("secret", files.secret)
        volumes.append({"name": name, "secret": {"secretName": files.secret}})
        mounts.append({"name": name, "mountPath": files.path, "readOnly": True})
    seen: dict = {}
    for m in mounts:
        if m["mountPath"] in seen:
            diags.append(diag("mount-conflict", w.loc, f"two volumes are mounted at {m['mountPath']}: "
                              f"{seen[m['mountPath']]} and {m['name']}", "give each mount its own path"))
        seen[m["mountPath"]] = m["name"]
    return volumes, mounts


def _git_init(r: Resolved, code) -> dict:
    env = [{"name": "CODE_DIR", "value": code.path}, {"name": "CODE_REF", "value": code.ref},
           {"name": "CODE_REPO", "value": code.repo}]
    if code.credentials:
        for name, key in (("GIT_PASSWORD", "password"), ("GIT_USERNAME", "user")):
            env.append({"name": name, "valueFrom": {"secretKeyRef": {"name": code.credentials, "key": key}}})
    one = {"cpu": "1", "memory": "1Gi"}
    return {"name": "checkout", "image": r.profile.data["images"]["git"], "command": ["/bin/sh", "-c", _GIT_CLONE],
            "env": env, "resources": {"requests": dict(one), "limits": dict(one)},
            "volumeMounts": [{"name": WORKSPACE_VOLUME, "mountPath": code.path}]}

