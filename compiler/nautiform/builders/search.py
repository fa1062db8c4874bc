"""An adaptive-search sweep (`sweep: {search: ...}`, issue 17): the driver Job that owns the study, its
least-privilege account, and the definition ConfigMap (the study and the trial Job template).

The driver (runtime/nautiform_search.py) starts one trial Job at a time from the template, at most
`parallel` at once, reads each trial's result from its pod's termination message and records every
trial in a ConfigMap only it writes. Trial Jobs are owned by the driver's Job (ownerReferences): they
are not apply's to prune, and they go with the driver.

The study's record is named by what the study *is* (the workload's inputs, parameters, metric,
direction, sampler, seed), not its budget: raising `trials` gives a new driver that continues the same
record, so trials already run are not run again (the same rule as a sweep's points, issue 13).
"""
from __future__ import annotations

import json

from .. import search
from ..names import digest, labels, object_name
from ..resolve import Resolved, ResolvedWorkload
from .manifest import Manifest

DEFINITION = "/etc/nautiform/search"
RUNTIME = "/etc/nautiform/runtime"
INSTALL = "/opt/nautiform-search"
_DRIVER = {"cpu": "1", "memory": "2Gi"}  # Optuna's TPE over 10,000 trials needs ~130 MiB; within NRP's exemption


def objects(r: Resolved, w: ResolvedWorkload, trial_pod: dict, parts: dict, job_spec: dict) -> list[Manifest]:
    """`trial_pod`: the workload's pod spec (what each trial runs); `parts`: its identity inputs;
    `job_spec`: the workload's Job policy (TTL, retries, deadline) for each trial Job."""
    spec = w.spec.sweep.search
    owner = r.project.project.owner
    base = labels(r.name, owner, w.name)
    params = {p: {k: list(v) if isinstance(v, tuple) else v for k, v in d.as_dict(drop_none=True).items()}
              for p, d in spec.params.items()}
    study_id = digest({"inputs": parts, "params": params, "metric": spec.metric,
                       "direction": spec.direction, "sampler": spec.sampler, "seed": spec.seed})
    record = object_name(r.name, w.name, "study", suffix=study_id)
    stem = object_name(r.name, w.name, "t", suffix=study_id[:6], limit=search.max_stem(spec.trials, spec.retries))
    trial = {"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": stem, "namespace": r.namespace, "labels": dict(base)},
             "spec": {**{k: v for k, v in job_spec.items() if k in ("ttlSecondsAfterFinished", "activeDeadlineSeconds",
                                                                       "podFailurePolicy")},
                      "backoffLimit": 0,  # the driver retries a failed trial itself, with the same parameters
                      "template": {"metadata": {"labels": dict(base)}, "spec": trial_pod}}}
    study = search.definition(name=f"{w.name}-{study_id}"[:63], record=record, params=params, metric=spec.metric,
                              trials=spec.trials, parallel=spec.parallel, sampler=spec.sampler, seed=spec.seed,
                              direction=spec.direction, deadline=spec.deadline, retries=spec.retries)
    data = search.configmap_data(study, trial)
    cm_name = object_name(r.name, w.name, "search", suffix=digest(data))
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": cm_name, "namespace": r.namespace, "labels": dict(base)},
                 "immutable": True, "data": data}
    account = object_name(r.name, w.name, "search")
    rbac = [Manifest(body, w.loc + ("sweep", "search"), w.name) for body in
            search.rbac(account, r.namespace, record, labels(r.name, owner))]
    driver_name = object_name(r.name, w.name, "driver", suffix=digest({"definition": data, "runtime": "shared"}))
    container = {"name": "driver", "image": r.profile.data["images"]["data"],
                 "command": search.driver_command(DEFINITION, RUNTIME, INSTALL, driver_name),
                 "resources": {"requests": dict(_DRIVER), "limits": dict(_DRIVER)},
                 "volumeMounts": [{"name": "definition", "mountPath": DEFINITION, "readOnly": True},
                                  {"name": "install", "mountPath": INSTALL},
                                  {"name": "runtime", "mountPath": RUNTIME, "readOnly": True}]}
    pod = {"serviceAccountName": account, "restartPolicy": "Never", "containers": [container],
           "volumes": [{"name": "definition", "configMap": {"name": cm_name}}, {"name": "install", "emptyDir": {}},
                       {"name": "runtime", "configMap": {"name": r.data_cm[0] if r.data_cm else ""}}]}
    driver_labels = {**base, "nautiform.io/search": w.name}
    deadline = (spec.deadline or 30 * 86400) + 86400  # the study's own deadline ends trials; this only bounds a stuck driver
    driver = {"apiVersion": "batch/v1", "kind": "Job",
              "metadata": {"name": driver_name, "namespace": r.namespace, "labels": driver_labels,
                           "annotations": {"nautiform.io/study": record}},
              "spec": {"backoffLimit": 5, "activeDeadlineSeconds": deadline,
                       "ttlSecondsAfterFinished": job_spec.get("ttlSecondsAfterFinished", 7 * 86400),
                       # a preempted driver is re-created and continues from its record
                       "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [
                           {"type": "DisruptionTarget", "status": "True"}]}]},
                       "template": {"metadata": {"labels": driver_labels}, "spec": pod}}}
    loc = w.loc + ("sweep", "search")
    return [Manifest(configmap, loc, w.name), *rbac, Manifest(driver, w.loc, w.name)]


def definition_of(body: dict) -> dict:
    return json.loads(body["data"]["study.json"])
