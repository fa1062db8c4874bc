"""Rules for the escape hatch: a workload's `pod:` and `container:` patches (issue 14).

A patch is merged into what nautiform built (builders/workloads.py `_patched`), before lint, so rules that
read the objects judge the merged result. It must not be a way around the rules, so:

- patch-schema: what Kubernetes' own schema (PodSpec, Container; k8s/pod.json) refuses: an unknown key
  (with "did you mean"), a wrong type, a missing required field, shown at the patch's line.
- patch-refused: a key that a first-class field writes, or that a rule judges (resources, env, the command,
  the image, placement, tolerations, the priority class, the deadline, the restart policy, the pod's user
  and group, other containers), a volume or mount of nautiform's own, a volume that bypasses `mounts` or
  `empty_dirs`. The hint names the field to use. Resources other than cpu, memory, ephemeral-storage and
  extended resources (GPUs) — hugepages — may be patched. Also refused: what NRP does not grant or what
  would reach past the namespace's rules — host namespaces and paths, privileges and capabilities, another
  service account, scheduler or runtime class, env from a whole Secret or ConfigMap (it bypasses the
  secret checks), and the main container's name (status, logs and exec find it as `main`).
Strings in a patch are read by `secret-literal` like any other string of project.yaml.
"""
from __future__ import annotations

from .. import derive
from ..errors import diag

_HOST = "a pod shares nothing with its node on NRP; use `empty_dirs`, volumes and a Service's port"
_ACCOUNT = "a pod runs as the namespace's default account; nautiform's own jobs get theirs"
_PLACEMENT = "`region`, `node_labels`, `hosts`, `avoid_hosts`, `zones`, `avoid_zones`, `prefer_regions`, `gpu`"
POD_REFUSED = {
    "containers": "the main container is patched with `container:`; steps before it are `setup:`",
    "initContainers": "use `setup:`", "ephemeralContainers": "use `setup:`",
    "affinity": f"use {_PLACEMENT}", "nodeSelector": "use `node_labels`", "nodeName": "use `hosts`",
    "tolerations": "use `tolerations`", "priorityClassName": "use `priority_class`",
    "priority": "use `priority_class`", "activeDeadlineSeconds": "use `deadline`",
    "restartPolicy": "use `restart_policy` (a job or sweep)", "imagePullSecrets": "use `image.pull_secret`",
    "resources": "use `cpu`, `memory`, `ephemeral_storage`, `gpu`", "overhead": "use `cpu` and `memory`",
    "resourceClaims": "use `gpu`",
    "securityContext": "use `security`", "hostNetwork": _HOST, "hostPID": _HOST, "hostIPC": _HOST,
    "hostUsers": _HOST, "serviceAccountName": _ACCOUNT, "serviceAccount": _ACCOUNT,
    "schedulerName": "the cluster's scheduler places every pod", "runtimeClassName": "the cluster chooses it",
}
CONTAINER_REFUSED = {
    "image": "use `image`", "imagePullPolicy": "use `image_pull_policy`", "command": "use `command`",
    "args": "use `command`", "workingDir": "use `workdir`",
    "env": "use `env`, `secret_env`, `field_env` or `value_env`", "restartPolicy": "use `restart_policy`",
    "resizePolicy": "use `cpu` and `memory`", "envFrom": "use `env`, `secret_env` or `value_env`, one variable each",
    "name": "the main container is `main`: status, logs and exec find it by that name",
    "securityContext": "use `security` (a setup step runs `as_root`); privileges are not granted on NRP",
}
_JUDGED = ("cpu", "memory", "ephemeral-storage")


def check(r, manifests) -> list:
    out: list = []
    for w in r.workloads:
        pod, container = w.pod.get("pod"), w.pod.get("container")
        if not pod and not container:
            continue
        from .. import k8s  # only for a project with a patch

        for field, root, patch in (("pod", k8s.POD, pod), ("container", k8s.CONTAINER, container)):
            if not patch:
                continue
            loc = w.at(field)
            for path, message, hint, at_key in k8s.problems(patch, root):
                out.append(diag("patch-schema", loc + path, message, hint, workload=w.name, at_key=at_key))
            out += (_pod if field == "pod" else _container)(w, loc, patch)
    return out


def _refused(loc: tuple, what: str, why: str, w) -> object:
    return diag("patch-refused", loc, f"{what} cannot be patched: nautiform writes it, or rules judge it", why,
                workload=w.name, at_key=True)


def _pod(w, loc: tuple, patch: dict) -> list:
    out = [_refused(loc + (key,), f"pod.{key}", POD_REFUSED[key], w) for key in patch if key in POD_REFUSED]
    owned = {m.name for m in w.mounts} | {derive.DATA_VOLUME, derive.S3CFG_VOLUME, "ssh-key"}
    for i, volume in enumerate(patch.get("volumes") or [] if isinstance(patch.get("volumes"), list) else []):
        if not isinstance(volume, dict):
            continue
        at = loc + ("volumes", i)
        if volume.get("name") in owned:
            out.append(diag("patch-refused", at + ("name",), f"volume {volume['name']!r} is one nautiform writes; a "
                            "patch would change it", "give your volume another name", workload=w.name))
        for kind, field in (("persistentVolumeClaim", "`mounts` (volumes are judged: dataset-rwo, shared-rwo)"),
                            ("emptyDir", "`empty_dirs` (their size counts as ephemeral-storage)"),
                            ("hostPath", "`empty_dirs` or a volume (a node's own files are not the pod's)")):
            if kind in volume:
                out.append(diag("patch-refused", at + (kind,), f"a {kind} volume cannot be patched in",
                                f"use {field}", workload=w.name, at_key=True))
    return out


def _container(w, loc: tuple, patch: dict) -> list:
    out = [_refused(loc + (key,), f"container.{key}", CONTAINER_REFUSED[key], w)
           for key in patch if key in CONTAINER_REFUSED]
    resources = patch.get("resources")
    if isinstance(resources, dict):
        for part, values in resources.items():
            if part == "claims":
                out.append(_refused(loc + ("resources", part), "container.resources.claims", "use `gpu`", w))
            elif isinstance(values, dict):
                for key in values:
                    if key in _JUDGED or "/" in key:
                        out.append(_refused(loc + ("resources", part, key), f"container.resources.{part}.{key}",
                                            "use `cpu`, `memory`, `ephemeral_storage`, `limits` or `gpu`", w))
    owned = {m.path: m for m in w.mounts}
    mounts = patch.get("volumeMounts")
    for i, mount in enumerate(mounts if isinstance(mounts, list) else []):
        if isinstance(mount, dict) and isinstance(mount.get("mountPath"), str):
            first = owned.get(derive._norm(mount["mountPath"])) if mount["mountPath"].startswith("/") else None
            if first is not None:
                out.append(diag("mount-conflict", loc + ("volumeMounts", i, "mountPath"), f"{first.path} is already "
                                f"mounted by {'.'.join(map(str, first.loc))}; a container has one volume per path",
                                "mount yours at another path", workload=w.name))
    return out
