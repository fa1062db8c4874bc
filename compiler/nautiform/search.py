"""Adaptive search, compile side (issue 17): the study definition the driver reads, the least-privilege
RBAC it runs with, and the view of its record that `nautiform status` prints. Pure data; the driver
is runtime/nautiform_search.py (its docstring is the contract), shipped beside runtime/nautiform_gate.py.

The builder (not written yet) is expected to emit, per `sweep: {search: ...}` workload:
- the definition ConfigMap: `configmap_data(definition(...), trial_job)` (immutable, name hashed);
- `rbac(...)`: ServiceAccount, Role and RoleBinding for the driver;
- the driver Job (CPU, the profile's python image, serviceAccountName from `rbac`, the definition and
  the runtime files mounted, an emptyDir for --install) running `driver_command(...)`;
  activeDeadlineSeconds above the study's deadline, podFailurePolicy Ignore on DisruptionTarget so a
  preempted driver restarts and continues from the record.
"""
from __future__ import annotations

import json

from .runtime.nautiform_search import COLUMNS, FINAL, decode  # noqa: F401  (COLUMNS: the record's format)

SAMPLERS = ("tpe", "cmaes", "random")
MAX_NAME = 63


def definition(*, name: str, record: str, params: dict, metric: str, trials: int, parallel: int,
               sampler: str = "tpe", seed: int = 0, direction: str = "minimize", deadline: int | None = None,
               retries: int = 2, max_failures: int = 5, container: str | None = None) -> dict:
    """study.json. `params` uses the random sweep's distributions: {NAME: {"choice": [...]} |
    {"uniform": [lo, hi]} | {"loguniform": [lo, hi]} | {"randint": [lo, hi]}} (validated by the model)."""
    out = {"name": name, "record": record, "params": params, "sampler": sampler, "seed": seed, "metric": metric,
           "direction": direction, "trials": trials, "parallel": parallel, "retries": retries,
           "max_failures": max_failures}
    if deadline is not None:
        out["deadline"] = deadline
    if container is not None:
        out["container"] = container
    return out


def configmap_data(study: dict, trial_job: dict) -> dict:
    """The definition ConfigMap's data: the driver reads these two files from its mount."""
    return {"study.json": json.dumps(study, indent=1, sort_keys=True) + "\n",
            "trial-job.json": json.dumps(trial_job, indent=1, sort_keys=True) + "\n"}


def max_stem(trials: int, retries: int) -> int:
    """The longest trial Job stem: `<stem>-<trial>-<attempt>` must stay a 63-character label value."""
    return MAX_NAME - len(f"-{trials - 1}-{retries + 1}")


def driver_command(definition_dir: str, runtime_dir: str, install_dir: str, owner_job: str) -> list[str]:
    """The driver Job's command (namespace and token: the pod's ServiceAccount)."""
    return ["python3", f"{runtime_dir}/nautiform_search.py", "--definition", definition_dir,
            "--owner-job", owner_job, "--install", install_dir]


def role_rules(record: str) -> list[dict]:
    """What the driver does, and nothing else. RBAC cannot narrow `create` or `list` by name or label:
    trial Jobs are found by the label nautiform.io/study, and the record is created on first start."""
    return [
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get", "list", "delete"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},  # termination messages, preemptions
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [record], "verbs": ["get", "update"]},
    ]


def rbac(name: str, namespace: str, record: str, labels: dict | None = None) -> list[dict]:
    """ServiceAccount, Role and RoleBinding, all named `name`, for the driver of one study."""
    meta = {"name": name, "namespace": namespace, **({"labels": dict(labels)} if labels else {})}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": dict(meta), "rules": role_rules(record)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": dict(meta),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]},
    ]


def summary(record_data: dict) -> list[str]:
    """Lines for `nautiform status`: the study's state, counts and best trial, then the running and
    failed trials (those a person acts on)."""
    header, rows = decode(record_data)
    c = header.get("counts") or {}
    state = header.get("state", "running") + (f" ({header['reason']})" if header.get("reason") else "")
    lines = [f"study {header['study']}: {state}; {sum(c.get(s, 0) for s in FINAL)}/{header['trials']} trials "
             f"({c.get('complete', 0)} complete, {c.get('failed', 0)} failed, {c.get('stopped', 0)} stopped, "
             f"{c.get('running', 0)} running, at most {header['parallel']} at once)"]
    best = header.get("best")
    if best:
        lines.append(f"  best: {header['metric']}={best['value']:.6g} (trial {best['trial']}: {_params(best['params'])})")
    for r in rows:
        if r["state"] in ("running", "failed"):
            extra = f", {r['preempted']} preempted" if r["preempted"] else ""
            why = f": {r['reason']}" if r["reason"] else ""
            lines.append(f"  trial {r['n']} {r['state']} (job {header['job_stem']}-{r['n']}-{r['attempts']}, "
                         f"attempt {r['attempts']}{extra}){why}")
    return lines


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())
