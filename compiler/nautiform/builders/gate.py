"""The gate: the one small CPU Job that starts a project's waiting runs (runtime/nautiform_gate.py).

A run that needs another run's result (a volume dataset's data Job; later, `after:`) is written
suspended, with `nautiform.io/after` naming those Jobs: suspended, it has no pod and holds no GPU.
The gate releases it when they are done. It runs under its own ServiceAccount, whose Role allows
exactly what the gate does: read the project's Jobs, unsuspend them, create the pods apply deferred,
and update two ConfigMaps by name (the ledger and the deferred-pod list).
"""
from __future__ import annotations

from ..names import digest, object_name
from .manifest import Manifest

AFTER = "nautiform.io/after"
WORKLOAD = "nautiform-gate"
MOUNT = "/etc/nautiform/runtime"
_TINY = {"cpu": "100m", "memory": "128Mi"}  # below NRP's violation exemption (1 CPU, 2 GB): an idle gate is fine


def names(project: str) -> dict:
    base = object_name(project, "nautiform-gate")
    return {"account": base, "plan": base, "ledger": f"{project}-nautiform-ledger"}


def objects(project: str, namespace: str, labels: dict, runtime_cm: str, image: str, gated: list[str],
            loc: tuple) -> list[Manifest]:
    """ServiceAccount, Role, RoleBinding and Job; `gated`: the names of the Jobs it releases (its own
    name hashes them, so a new set of waiting runs gets a new gate run)."""
    n = names(project)
    meta = lambda name: {"name": name, "namespace": namespace, "labels": dict(labels)}  # noqa: E731
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(n["account"])}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(n["account"]),
            "rules": [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "patch"]},
                      {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]},
                      {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [n["ledger"], n["plan"]],
                       "verbs": ["get", "update"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(n["account"]),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": n["account"]},
               "subjects": [{"kind": "ServiceAccount", "name": n["account"], "namespace": namespace}]}
    container = {"name": "gate", "image": image,
                 "command": ["python3", f"{MOUNT}/nautiform_gate.py", "--namespace", namespace, "--project", project],
                 "resources": {"requests": dict(_TINY), "limits": dict(_TINY)},
                 "volumeMounts": [{"name": "runtime", "mountPath": MOUNT, "readOnly": True}]}
    pod = {"serviceAccountName": n["account"], "restartPolicy": "OnFailure", "containers": [container],
           "volumes": [{"name": "runtime", "configMap": {"name": runtime_cm}}]}
    job_labels = {**labels, "nautiform.io/workload": WORKLOAD}
    spec = {"backoffLimit": 20, "activeDeadlineSeconds": 14 * 86400, "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": job_labels}, "spec": pod}}
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": object_name(project, "nautiform-gate", suffix=digest(sorted(gated))),
                        "namespace": namespace,
                        "labels": job_labels}, "spec": spec}
    stem = "nautiform-gate"
    return [Manifest(account, loc, stem), Manifest(role, loc, stem), Manifest(binding, loc, stem),
            Manifest(job, loc, stem)]
