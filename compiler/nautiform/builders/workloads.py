"""Builders for each object kind: PVCs, interactive Pods, Jobs and sweeps (Indexed Job + ConfigMap), and
the gate that starts runs whose inputs are not ready yet.

Every run is named by its identity (identity.py): a hash of its own inputs. A run that needs another
run's result (a dataset's data Job; an `after:` workload) names those Jobs in `nautiform.io/after`;
apply creates it suspended while they run, and the gate releases it when they are done: no GPU waits.
"""
from __future__ import annotations

from .. import launcher, multinode, points, quantity
from ..names import MAX, labels, object_name
from ..resolve import Resolved, ResolvedWorkload
from . import data, gate, identity, search
from .manifest import Manifest
from .pod import pod_spec

DEFAULT_BACKOFF_LIMIT = 2  # a Job's retries, unless it is a sweep with per-index retries (model.Batch)


def build(r: Resolved) -> list[Manifest]:
    out: list[Manifest] = [_pvc(r, vol) for vol in r.volumes.values() if vol.create]
    cm = data.configmap(r)
    built: dict[str, Manifest] = {}  # workload (or dataset-NAME) -> its Job or Pod
    if cm:
        out.append(cm)
        for m in data.data_jobs(r, _data_image(r)):
            out.append(m)
            built[m.stem] = m
    by_name = {w.name: w for w in r.workloads}
    for w in order(r.workloads):
        made = {"interactive": _interactive, "job": _job, "sweep": _sweep}[w.kind](r, w, built, by_name)
        out += made
        if made:
            built[w.name] = made[-1]
    gated = sorted(m.name for m in out if (m.body["metadata"].get("annotations") or {}).get(gate.AFTER))
    if gated and cm:
        out += gate.objects(r.name, r.namespace, labels(r.name, r.project.project.owner), cm.name,
                            _data_image(r), gated, ("workloads",))
    return sorted(out, key=Manifest.sort_key)


def order(workloads) -> list[ResolvedWorkload]:
    """Prerequisites before their dependants (their names go into the dependants' identities); a workload
    in a cycle or after an unknown one comes last, unbuilt dependencies aside: lint reports those."""
    by_name = {w.name: w for w in workloads}
    done: list[ResolvedWorkload] = []
    seen: set[str] = set()

    def visit(w, path: tuple) -> None:
        if w.name in seen or w.name in path:
            return
        for name in getattr(w.spec, "after", None) or ():
            if name in by_name:
                visit(by_name[name], path + (w.name,))
        seen.add(w.name)
        done.append(w)
    for w in workloads:
        visit(w, ())
    return done


def _data_image(r: Resolved) -> str:
    return r.profile.data["images"]["data"]


def _meta(r: Resolved, name: str, workload: str | None = None) -> dict:
    return {"name": name, "namespace": r.namespace, "labels": labels(r.name, r.project.project.owner, workload)}


def _pvc(r: Resolved, vol) -> Manifest:
    spec = {"accessModes": [vol.access_mode], "resources": {"requests": {"storage": quantity.render(vol.size)}}}
    if vol.storage_class:
        spec["storageClassName"] = vol.storage_class
    meta = _meta(r, vol.claim)
    # Tools that honour these never delete the claim, whoever prunes (issue 4: never lose data).
    meta["annotations"] = {"helm.sh/resource-policy": "keep",
                           "argocd.argoproj.io/sync-options": "Delete=false,Prune=false",
                           "kustomize.toolkit.fluxcd.io/prune": "disabled"}
    body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}
    return Manifest(body, vol.loc, vol.name)


def _template(r: Resolved, w: ResolvedWorkload, spec: dict) -> dict:
    return {"metadata": {"labels": labels(r.name, r.project.project.owner, w.name)}, "spec": spec}


def _pod(r: Resolved, w: ResolvedWorkload, command: list) -> dict:
    init, env = data.pod_extras(r, w, _data_image(r))
    return pod_spec(r, w, command, init, env)


def prerequisites(r: Resolved, w: ResolvedWorkload, built: dict) -> list[Manifest]:
    """The Jobs `w` must wait for: the data Jobs of the volume datasets it reads, and its `after:` workloads'."""
    out = []
    for name in w.pod.get("datasets") or []:
        m = built.get(f"dataset-{name}")
        if m is not None:
            out.append(m)
    for name in getattr(w.spec, "after", None) or ():
        m = built.get(name)
        if m is not None and m.kind == "Job":
            out.append(m)
    return out


def _named(r: Resolved, w: ResolvedWorkload, body: dict, pod: dict, command: list, built: dict,
           limit: int = MAX, shared: tuple = ()) -> Manifest:
    """Name `body` (a Job or Pod) by its identity, record its inputs, and make it wait for its prerequisites."""
    before = prerequisites(r, w, built)
    extra = {f"after:{m.stem}": (m.body["metadata"].get("annotations") or {}).get(identity.IDENTITY)
             for m in before if not m.stem.startswith("dataset-")}
    parts = identity.inputs(pod, command, {r.data_cm[0] if r.data_cm else "", *shared}, extra)
    meta = body["metadata"]
    meta["name"] = object_name(r.name, w.name, suffix=identity.identity(parts)[:8], limit=limit)
    identity.annotate(meta, parts)
    if before:
        # apply creates it suspended while these have not succeeded: no pod, so no GPU, until the gate
        # releases it. Not `suspend: true` here: a hand `kubectl apply` of generated/ would suspend a
        # running Job again, and suspending a Job deletes its pods.
        meta["annotations"][gate.AFTER] = ",".join(sorted(m.name for m in before))
    return Manifest(body, w.loc, w.name)


def _interactive(r: Resolved, w: ResolvedWorkload, built: dict, by_name: dict) -> list[Manifest]:
    spec = _pod(r, w, list(w.spec.command))
    spec["activeDeadlineSeconds"] = w.spec.deadline
    body: dict = {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(r, "", w.name), "spec": spec}
    return [_named(r, w, body, spec, list(w.spec.command), built)]


def _job_spec(r: Resolved, w: ResolvedWorkload, pod: dict) -> dict:
    spec = {"ttlSecondsAfterFinished": w.spec.ttl_after_finished,
            # Preempted pods (opportunistic class, node drains) do not count as failures.
            "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
            "template": _template(r, w, pod)}
    backoff = w.spec.backoff_limit
    if backoff is None and getattr(w.spec, "backoff_limit_per_index", None) is None:
        backoff = DEFAULT_BACKOFF_LIMIT
    if backoff is not None:
        spec["backoffLimit"] = backoff
    if w.spec.deadline:
        spec["activeDeadlineSeconds"] = w.spec.deadline
    return spec


def _job(r: Resolved, w: ResolvedWorkload, built: dict, by_name: dict) -> list[Manifest]:
    command = list(w.wrap) + list(w.spec.command)
    pod = _pod(r, w, command)
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(r, "", w.name), "spec": _job_spec(r, w, pod)}
    if w.spec.nodes > 1:
        return _multinode(r, w, body, pod, command, built)
    return [_named(r, w, body, pod, command, built)]


def _multinode(r: Resolved, w: ResolvedWorkload, body: dict, pod: dict, command: list, built: dict) -> list[Manifest]:
    """`nodes: N` (issue 17): one Indexed Job of N pods and a headless Service for their names. The rank
    layout (env, policies, affinity) is multinode.py's; its Job and Service names come from the identity,
    which covers the node count through the environment."""
    gpus = w.pod["gpu"].count if w.pod.get("gpu") else 0
    plan = multinode.MultiNode(job="", service="", namespace=r.namespace, nodes=w.spec.nodes, gpus_per_node=gpus,
                               rdzv_timeout=w.spec.rendezvous_timeout, same_zone=w.spec.same_zone,
                               labels=labels(r.name, r.project.project.owner, w.name))
    # Name first (the env holds the Job's name), from the inputs without the rank environment.
    limit = MAX - 1 - len(str(w.spec.nodes - 1))  # rank i's host is <job>-<i>
    named = _named(r, w, body, pod, command + [f"nodes={w.spec.nodes}", f"same_zone={w.spec.same_zone}"], built,
                   limit)
    job = named.body
    fragments = multinode.multinode(plan._replace(job=job["metadata"]["name"], service=job["metadata"]["name"]))
    job["spec"].update(fragments.job_spec)
    spec = job["spec"]["template"]["spec"]
    extra_affinity = fragments.pod_spec.get("affinity", {})
    spec.update({k: v for k, v in fragments.pod_spec.items() if k != "affinity"})
    spec.setdefault("affinity", {}).update(extra_affinity)
    spec["containers"][0]["env"] = spec["containers"][0]["env"] + fragments.env
    service = fragments.service
    service["metadata"]["namespace"] = r.namespace
    return [Manifest(service, w.loc + ("nodes",), w.name), named]


def _sweep(r: Resolved, w: ResolvedWorkload, built: dict, by_name: dict) -> list[Manifest]:
    """ONE Indexed Job over every point and the ConfigMap of its points; a sweep too large to write is lint's
    sweep-size. apply runs it only for the points no earlier Job of the same inputs ran (sweeps.py). An
    adaptive search is a driver and its trials instead (builders/search.py)."""
    if w.spec.sweep.search is not None:
        command = list(w.wrap) + list(w.spec.command)
        pod = _pod(r, w, command)
        parts = identity.inputs(pod, command, {r.data_cm[0] if r.data_cm else ""})
        return search.objects(r, w, pod, parts, _job_spec(r, w, pod))
    sw = w.sweep
    if w.sweep_data is None:
        return []
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(r, w.sweep_cm, w.name),
                 "immutable": True, "data": dict(w.sweep_data)}
    pod = _pod(r, w, ["/bin/sh", f"{launcher.MOUNT}/run.sh"])
    pod["containers"][0]["env"].append({"name": launcher.POINTS_ENV, "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.annotations['{points.POINTS}']"}}})
    spec = _job_spec(r, w, pod)
    spec.update({"completionMode": "Indexed", "completions": sw.size, "parallelism": min(w.spec.parallelism, sw.size)})
    if w.spec.backoff_limit_per_index is not None:
        # Per-index retries replace the Job-wide count: with backoffLimit set too, the Job controller fails
        # the whole sweep after that many failed pods anywhere (issue 12, item 3). Unset, it is unbounded.
        spec["backoffLimitPerIndex"] = w.spec.backoff_limit_per_index
    meta = _meta(r, "", w.name)
    meta["annotations"] = {points.SWEEP: w.sweep_cm}
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}
    # An Indexed Job's pods are named <job>-<index>: keep that a valid 63-character hostname.
    limit = MAX - 1 - len(str(sw.size - 1))
    job = _named(r, w, body, pod, list(w.wrap) + list(w.spec.command), built, limit, shared=(w.sweep_cm,))
    return [Manifest(configmap, w.loc + ("sweep",), w.name), job]
