"""Builders for each object kind: PVCs, interactive Pods, Jobs and sweeps (Indexed Job + ConfigMap),
services (Deployment + Service), the ConfigMaps of repository files and submit-time values, and the gate
that starts runs whose inputs are not ready yet.

Every run is named by its identity (identity.py): a hash of its own inputs. A run that needs another
run's result (a dataset's data Job; an `after:` workload) names those Jobs in `nautiform.io/after`;
apply creates it suspended while they run, and the gate releases it when they are done: no GPU waits.
"""
from __future__ import annotations

import json

from .. import launcher, multinode, points, quantity
from ..values import DECLARATION
from ..names import MAX, labels, object_name
from ..resolve import Resolved, ResolvedWorkload
from . import data, gate, identity, search
from .manifest import Manifest
from .pod import pod_spec

COMPLETION_INDEX = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

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
    out += _file_configmaps(r)
    if r.values_cm:
        out.append(_values(r))
    by_name = {w.name: w for w in r.workloads}
    for w in order(r.workloads):
        made = {"interactive": _interactive, "job": _job, "sweep": _sweep, "service": _service}[w.kind](
            r, w, built, by_name)
        out += made
        if made:
            built[w.name] = made[-1]
    gated = sorted(m.name for m in out if (m.body["metadata"].get("annotations") or {}).get(gate.AFTER))
    if gated and cm:
        out += gate.objects(r.name, r.namespace, labels(r.name, r.project.project.owner), cm.name,
                            _data_image(r), gated, ("workloads",))
    _decorate(r, out)
    return sorted(out, key=Manifest.sort_key)


def _decorate(r: Resolved, out: list[Manifest]) -> None:
    """The labels and annotations people asked for: the project's on every object and pod, a workload's on its
    own (its settings, `defaults` merged in). nautiform's own keys win (the validator refuses them anyway).
    Not inputs: a run's name does not change with them (identity.py)."""
    meta = r.project.project
    by_name = {w.name: w for w in r.workloads}
    for m in out:
        w = by_name.get((m.body["metadata"].get("labels") or {}).get("nautiform.io/workload", ""))
        spec = m.body.get("spec") if isinstance(m.body.get("spec"), dict) else {}
        for target in (m.body["metadata"], (spec.get("template") or {}).get("metadata")):
            if target is None:
                continue
            for field, project in (("labels", meta.labels), ("annotations", meta.annotations)):
                mine = {**(project or {}), **((w.pod.get(field) or {}) if w is not None else {})}
                if mine:
                    target[field] = {**mine, **(target.get(field) or {})}


def _file_configmaps(r: Resolved) -> list[Manifest]:
    """One immutable ConfigMap per repository file a workload mounts (repofiles.py names it by content)."""
    out = []
    for rel, fc in r.files.items():
        where = next((w.at(f"files.{t}") for w in r.workloads for t, f in (w.pod.get("files") or {}).items()
                      if f == rel), ("workloads",))
        body: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(r, fc.name), "immutable": True}
        body["data" if fc.text is not None else "binaryData"] = {fc.key: fc.text if fc.text is not None else fc.binary}
        out.append(Manifest(body, where, fc.stem))
    return out


def _values(r: Resolved) -> Manifest:
    """The values' ConfigMap: each default, and the declaration apply fills it from (never a value given at
    apply time: generated/ stays what project.yaml says)."""
    decl = {name: {k: v for k, v in (("description", d.description), ("from_env", d.from_env)) if v} |
            {"required": d.default is None} for name, d in r.project.values.items()}
    meta = _meta(r, r.values_cm)
    meta["annotations"] = {DECLARATION: json.dumps(decl, sort_keys=True, separators=(",", ":"))}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            "data": {n: d.default for n, d in r.project.values.items() if d.default is not None}}
    return Manifest(body, ("values",), "values")


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


def _pod(r: Resolved, w: ResolvedWorkload, command: list | None) -> dict:
    init, env, volumes = data.pod_extras(r, w, _data_image(r))
    return pod_spec(r, w, command, init, env, volumes)


def _patched(w: ResolvedWorkload, pod: dict) -> dict:
    """The escape hatch (issue 14): the workload's `pod:` and `container:` patches merged in, last, so that
    lint judges the merged spec (lint/patches.py refuses what would dodge a rule)."""
    pod_patch, container_patch = w.pod.get("pod"), w.pod.get("container")
    if not pod_patch and not container_patch:
        return pod
    from .. import k8s  # only for a project with a patch: jsonschema and Kubernetes' schema are not free

    if container_patch:
        pod = {**pod, "containers": [k8s.merge(pod["containers"][0], container_patch, k8s.CONTAINER)]}
    if pod_patch:
        pod = k8s.merge(pod, pod_patch, k8s.POD)
    return pod


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
    if w.pod.get("pod") or w.pod.get("container"):
        extra["patch"] = [w.pod.get("pod"), w.pod.get("container")]
    if getattr(w.spec, "replicas", None):
        extra["replicas"] = w.spec.replicas
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
    spec = _patched(w, _pod(r, w, list(w.spec.command)))
    spec["activeDeadlineSeconds"] = w.spec.deadline
    body: dict = {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(r, "", w.name), "spec": spec}
    return [_named(r, w, body, spec, list(w.spec.command), built)]


def _job_spec(r: Resolved, w: ResolvedWorkload, pod: dict) -> dict:
    spec: dict = {"ttlSecondsAfterFinished": w.spec.ttl_after_finished, "template": _template(r, w, pod)}
    if w.spec.restart_policy == "OnFailure":
        # Kubernetes allows a podFailurePolicy only with restartPolicy Never: a failed container restarts in
        # its pod, and a preempted pod counts as a failure (issue 14; README "restart_policy").
        pod["restartPolicy"] = "OnFailure"
    else:
        # Preempted pods (opportunistic class, node drains) do not count as failures.
        spec["podFailurePolicy"] = {"rules": [{"action": "Ignore", "onPodConditions": [
            {"type": "DisruptionTarget", "status": "True"}]}]}
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
    replicas = w.spec.replicas
    if replicas:  # N identical workers: REPLICA is the pod's index, as the Job controller numbers it
        pod["containers"][0]["env"] += [{"name": "REPLICA", "valueFrom": {"fieldRef": {"fieldPath": COMPLETION_INDEX}}},
                                        {"name": "REPLICAS", "value": str(replicas)}]
    pod = _patched(w, pod)
    body: dict = {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(r, "", w.name),
                  "spec": _job_spec(r, w, pod)}
    if w.spec.nodes > 1:
        return _multinode(r, w, body, pod, command, built)
    if not replicas:
        return [_named(r, w, body, pod, command, built)]
    body["spec"].update({"completionMode": "Indexed", "completions": replicas, "parallelism": replicas})
    return [_named(r, w, body, pod, command, built, MAX - 1 - len(str(replicas - 1)))]


def _service(r: Resolved, w: ResolvedWorkload, built: dict, by_name: dict) -> list[Manifest]:
    """A long-running service: a Deployment (updated in place by apply, not named by a hash: Deployments
    are mutable) and a ClusterIP Service in front of its port."""
    command = list(w.spec.command) if w.spec.command is not None else None
    pod = _pod(r, w, command)
    pod["restartPolicy"] = "Always"
    pod["containers"][0]["ports"] = [{"containerPort": w.spec.port}]
    pod = _patched(w, pod)
    name = object_name(r.name, w.name)
    selector = {"nautiform.io/project": r.name, "nautiform.io/workload": w.name}
    spec: dict = {"replicas": w.spec.replicas, "selector": {"matchLabels": selector}, "template": _template(r, w, pod)}
    if any("persistentVolumeClaim" in v for v in pod.get("volumes") or []):
        spec["strategy"] = {"type": "Recreate"}  # a ReadWriteOnce claim cannot be held by the old and new pod
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(r, name, w.name), "spec": spec}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": _meta(r, name, w.name),
               "spec": {"selector": dict(selector), "ports": [{"port": w.spec.port, "targetPort": w.spec.port,
                                                               "protocol": "TCP"}]}}
    return [Manifest(deployment, w.loc, w.name), Manifest(service, w.loc, w.name)]


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
    pod = _patched(w, _pod(r, w, ["/bin/sh", f"{launcher.MOUNT}/run.sh"]))
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
