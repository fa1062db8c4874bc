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
# A shallow clone (`code.depth`) fetches the ref itself, so a commit works as well as a branch or tag; and
# submodules come after the checkout (issue 14). Kept apart from _GIT_CLONE so that a project without
# them keeps its checkout container byte for byte (its runs' identity).
_GIT_FETCH = (
    'set -eu\n'
    'if [ -n "${GIT_USERNAME:-}" ]; then\n'
    '  git config --global credential.helper \'!f() { echo "username=$GIT_USERNAME"; '
    'echo "password=$GIT_PASSWORD"; }; f\'\n'
    'fi\n'
    'if [ -n "${CODE_DEPTH:-}" ]; then\n'
    '  git init --quiet "$CODE_DIR"\n'
    '  git -C "$CODE_DIR" remote add origin "$CODE_REPO"\n'
    '  git -C "$CODE_DIR" fetch --quiet --depth "$CODE_DEPTH" origin "$CODE_REF"\n'
    '  git -C "$CODE_DIR" -c advice.detachedHead=false checkout --quiet FETCH_HEAD\n'
    'else\n'
    '  git clone --quiet "$CODE_REPO" "$CODE_DIR"\n'
    '  git -C "$CODE_DIR" -c advice.detachedHead=false checkout --quiet "$CODE_REF"\n'
    'fi\n'
    'if [ -n "${CODE_SUBMODULES:-}" ]; then\n'
    '  git -C "$CODE_DIR" submodule update --quiet --init --recursive ${CODE_DEPTH:+--depth "$CODE_DEPTH"}\n'
    'fi\n'
    'git -C "$CODE_DIR" log -1 --format="checked out %H (%s)"\n'
)


def pod_spec(r: Resolved, w: ResolvedWorkload, command: list[str] | None, init: list, env: list,
             more_volumes: dict | None = None) -> dict:
    """A PodSpec; `init`, `env` and `more_volumes` are what datasets add (builders/data.py); `command` None
    keeps the image's entrypoint (a service)."""
    pod = w.pod
    volumes = {m.name: m.source for m in w.mounts}
    if init and r.data_cm:
        volumes[derive.DATA_VOLUME] = {"configMap": {"name": r.data_cm[0]}}
    volumes.update(more_volumes or {})
    container: dict = {"name": MAIN, "image": w.image}
    if command is not None:
        container["command"] = list(command)
    container.update({"resources": resources(w), "env": _env(r, w) + env + list(w.wrap_env)})
    if pod.get("image_pull_policy"):
        container["imagePullPolicy"] = pod["image_pull_policy"]
    containers_init = []
    code = w.code
    workdir = pod.get("workdir") or (code.path if code else None)
    if workdir:
        container["workingDir"] = workdir
    if code:
        checkout = _git_init(r, code)
        security = pod.get("security")
        if security is not None and security.run_as_user:
            # another user has no writable home in the git image; git keeps its credential helper there
            checkout["env"] = sorted(checkout["env"] + [{"name": "HOME", "value": "/tmp"}], key=lambda e: e["name"])
        containers_init.append(checkout)
        if code.ssh_key:
            # another user than root cannot read root's 0400 file; ssh accepts a key the user does not own
            private = 0o444 if security is not None and security.run_as_user else 0o400
            volumes["ssh-key"] = {"secret": {"secretName": code.ssh_key, "defaultMode": private}}
    containers_init += init  # after the checkout: a dataset may be read by the code's first step
    if w.mounts:
        container["volumeMounts"] = sorted((_mount(m) for m in w.mounts), key=lambda m: m["mountPath"])
    containers_init += [_setup(w, s, container) for s in w.setup]  # last: code and data are there
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
    security = _security(pod.get("security"))
    if security:
        spec["securityContext"] = security
    return spec


_SECURITY = (("run_as_user", "runAsUser"), ("run_as_group", "runAsGroup"), ("fs_group", "fsGroup"),
             ("fs_group_change_policy", "fsGroupChangePolicy"), ("run_as_non_root", "runAsNonRoot"),
             ("supplemental_groups", "supplementalGroups"))


def _security(sec) -> dict:
    if sec is None:
        return {}
    return {key: list(getattr(sec, field)) if field == "supplemental_groups" else getattr(sec, field)
            for field, key in _SECURITY if getattr(sec, field) is not None}


def _setup(w: ResolvedWorkload, s: derive.Setup, main: dict) -> dict:
    """A setup step: the main container's image (unless its own), env, mounts and working directory, its
    cpu/memory/disk but no GPU (init containers run one at a time: the pod's request stays the main one's)."""
    step = s.step
    out: dict = {"name": s.container, "image": step.image or main["image"], "command": list(step.command)}
    res = {kind: {k: v for k, v in values.items() if k in ("cpu", "memory", "ephemeral-storage")}
           for kind, values in main["resources"].items()}
    out["resources"] = {k: v for k, v in res.items() if v}
    for key in ("env", "volumeMounts"):
        if main.get(key):
            out[key] = list(main[key])  # a copy: a sweep adds its launcher's env to the main container only
    if main.get("workingDir"):
        out["workingDir"] = main["workingDir"]
    if main.get("imagePullPolicy") and not step.image:
        out["imagePullPolicy"] = main["imagePullPolicy"]
    if step.as_root:
        out["securityContext"] = {"runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False}
    return out


def _mount(m: derive.Mount) -> dict:
    out = {"name": m.name, "mountPath": m.path}
    if m.read_only:
        out["readOnly"] = True
    if m.sub_path:
        out["subPath"] = m.sub_path
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


def _env(r: Resolved, w: ResolvedWorkload) -> list:
    env = {"PYTHONUNBUFFERED": "1"}  # NRP logs look empty otherwise (nrp-facts §6)
    env.update(w.pod.get("env") or {})
    out: list = [{"name": k, "value": env[k]} for k in sorted(env)]
    for name, ref in sorted((w.pod.get("secret_env") or {}).items()):
        out.append({"name": name, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}})
    for name, path in sorted((w.pod.get("field_env") or {}).items()):
        out.append({"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}})
    for name, value in sorted((w.pod.get("value_env") or {}).items()):
        # the ConfigMap apply writes from --value / NAUTIFORM_VALUE_*: its name is fixed, so a new value
        # never renames (restarts) a run
        out.append({"name": name, "valueFrom": {"configMapKeyRef": {"name": r.values_cm or "", "key": value}}})
    return out


def _affinity(r: Resolved, w: ResolvedWorkload) -> dict | None:
    labels = r.profile.data["labels"]
    pod = w.pod
    exprs = []
    gpu = pod.get("gpu")
    if gpu and gpu.count and gpu.products:
        exprs.append({"key": labels["gpu_product"], "operator": "In", "values": sorted(set(gpu.products))})
    if gpu and gpu.count and gpu.min_memory is not None:
        mib = quantity.parse(gpu.min_memory) / 2**20
        floor = int(mib) - (1 if mib == int(mib) else 0)  # label is MiB; Gt is strict
        exprs.append({"key": labels["gpu_memory"], "operator": "Gt", "values": [str(max(floor, 0))]})
    if pod.get("region"):
        exprs.append({"key": labels["region"], "operator": "In", "values": sorted(set(pod["region"]))})
    for key, values in sorted((pod.get("node_labels") or {}).items()):
        exprs.append({"key": key, "operator": "In", "values": sorted(set(values))})
    for field, label, op in (("hosts", "hostname", "In"), ("avoid_hosts", "hostname", "NotIn"),
                             ("zones", "zone", "In"), ("avoid_zones", "zone", "NotIn")):
        if pod.get(field):
            exprs.append({"key": labels[label], "operator": op, "values": sorted(set(pod[field]))})
    out: dict = {}
    if exprs:
        out["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [{"matchExpressions": exprs}]}
    if pod.get("prefer_regions"):
        out["preferredDuringSchedulingIgnoredDuringExecution"] = [{"weight": 100, "preference": {"matchExpressions": [
            {"key": labels["region"], "operator": "In", "values": sorted(set(pod["prefer_regions"]))}]}}]
    return {"nodeAffinity": out} if out else None


def _git_init(r: Resolved, code) -> dict:
    path = code.path
    env: list = [{"name": "CODE_DIR", "value": path}, {"name": "CODE_REF", "value": code.ref},
                 {"name": "CODE_REPO", "value": code.repo}]
    script = _GIT_CLONE
    if code.depth or code.submodules:
        script = _GIT_FETCH
        if code.depth:
            env.append({"name": "CODE_DEPTH", "value": str(code.depth)})
        if code.submodules:
            env.append({"name": "CODE_SUBMODULES", "value": "1"})
        env.sort(key=lambda e: e["name"])
    mounts: list = [{"name": derive.CODE_VOLUME, "mountPath": path}]
    if code.credentials:
        env += derive.secret_env("git", code.credentials)
    if code.ssh_key:
        # The deploy key and the host's public key come from one Secret; ssh refuses unknown hosts.
        env.append({"name": "GIT_SSH_COMMAND", "value": f"ssh -i {derive.SSH_MOUNT}/ssh-privatekey -o "
                    f"IdentitiesOnly=yes -o UserKnownHostsFile={derive.SSH_MOUNT}/known_hosts "
                    "-o StrictHostKeyChecking=yes"})
        mounts.append({"name": "ssh-key", "mountPath": derive.SSH_MOUNT, "readOnly": True})
    return {"name": "checkout", "image": r.profile.data["images"]["git"], "command": ["/bin/sh", "-c", script],
            "env": env, "resources": {"requests": dict(_ONE_GIB), "limits": dict(_ONE_GIB)},
            "volumeMounts": mounts}
