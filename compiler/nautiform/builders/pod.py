"""The pod spec shared by every workload kind: image, command, resources, placement, storage, secrets.

Every name and number here comes from the resolved workload (derive.py); this module only lays
them out. Nothing is judged here: lint rules do that.
"""
from __future__ import annotations

from .. import derive, quantity
from ..resolve import Resolved, ResolvedWorkload

MAIN = "main"
_ONE_GIB = {"cpu": "1", "memory": "1Gi"}
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


def pod_spec(r: Resolved, w: ResolvedWorkload, command: list[str], init: list, env: list) -> dict:
    """A PodSpec; `init` and `env` are what datasets add (builders/data.py)."""
    pod = w.pod
    volumes = {m.name: m.source for m in w.mounts}
    if init and r.data_cm:
        volumes[derive.DATA_VOLUME] = {"configMap": {"name": r.data_cm[0]}}
    container = {"name": MAIN, "image": r.image, "command": list(command), "resources": resources(w),
                 "env": _env(w) + env + list(w.wrap_env)}
    containers_init = []
    code = r.project.code
    if code:
        container["workingDir"] = code.path
        containers_init.append(_git_init(r, code))
        if code.ssh_key:
            volumes["ssh-key"] = {"secret": {"secretName": code.ssh_key, "defaultMode": 0o400}}
    containers_init += init  # after the checkout: a dataset may be read by the code's first step
    if w.mounts:
        container["volumeMounts"] = sorted((_mount(m) for m in w.mounts), key=lambda m: m["mountPath"])
    spec: dict = {"restartPolicy": "Never", "containers": [container]}
    if containers_init:
        spec["initContainers"] = containers_init
    if volumes:
        spec["volumes"] = [{"name": name, **volumes[name]} for name in sorted(volumes)]
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


def _mount(m: derive.Mount) -> dict:
    out = {"name": m.name, "mountPath": m.path}
    if m.read_only:
        out["readOnly"] = True
    return out


def resources(w: ResolvedWorkload) -> dict:
    requests: dict = {}
    limits: dict = {}
    for field, key in derive.RESOURCE_KEYS:
        res = w.resources[key]
        if res.request is None:
            continue  # a limit without a request is lint's limit-without-request
        written = w.pod.get(field)
        requests[key] = quantity.render(written) if res.scratch is None and written is not None else \
            derive.render_quantity(res.request)
        given = getattr(w.pod.get("limits"), field, None) if w.pod.get("limits") else None
        if given is None:
            limits[key] = requests[key]
        else:
            limits[key] = quantity.render(given) if res.scratch is None else derive.render_quantity(res.limit)
    if w.gpu_resource:
        # GPUs cannot be overcommitted: request must equal limit (Kubernetes, NRP).
        requests[w.gpu_resource] = limits[w.gpu_resource] = str(w.pod["gpu"].count)
    out = {}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


def _env(w: ResolvedWorkload) -> list:
    env = {"PYTHONUNBUFFERED": "1"}  # NRP logs look empty otherwise (nrp-facts §6)
    env.update(w.pod.get("env") or {})
    out: list = [{"name": k, "value": env[k]} for k in sorted(env)]
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


def _git_init(r: Resolved, code) -> dict:
    path = code.path
    env: list = [{"name": "CODE_DIR", "value": path}, {"name": "CODE_REF", "value": code.ref},
                 {"name": "CODE_REPO", "value": code.repo}]
    mounts: list = [{"name": derive.CODE_VOLUME, "mountPath": path}]
    if code.credentials:
        env += derive.secret_env("git", code.credentials)
    if code.ssh_key:
        # The deploy key and the host's public key come from one Secret; ssh refuses unknown hosts.
        env.append({"name": "GIT_SSH_COMMAND", "value": f"ssh -i {derive.SSH_MOUNT}/ssh-privatekey -o "
                    f"IdentitiesOnly=yes -o UserKnownHostsFile={derive.SSH_MOUNT}/known_hosts "
                    "-o StrictHostKeyChecking=yes"})
        mounts.append({"name": "ssh-key", "mountPath": derive.SSH_MOUNT, "readOnly": True})
    return {"name": "checkout", "image": r.profile.data["images"]["git"], "command": ["/bin/sh", "-c", _GIT_CLONE],
            "env": env, "resources": {"requests": dict(_ONE_GIB), "limits": dict(_ONE_GIB)},
            "volumeMounts": mounts}
