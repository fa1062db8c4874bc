"""Read a project's live objects for the day-two commands: Jobs, Pods, sweep ConfigMaps, claims,
events and the ledger, in one pass, grouped by workload (the `nautiform.io/workload` label)."""
from __future__ import annotations

import json
from collections import namedtuple

from . import kube
from . import ledger as ledgers
from .owner import PROJECT_LABEL, WORKLOAD_LABEL, repo_identity


class Live(namedtuple("Live", "jobs pods configmaps claims events ledger repo")):
    """jobs, pods: lists of live objects with the project label; configmaps, claims: by name;
    events: involved object name -> events, oldest first; ledger: ledger.Ledger; repo: identity."""

    __slots__ = ()

    def of(self, workload: str) -> tuple[list, list]:
        """(Jobs, Pods) of a workload, oldest first."""
        return _by_age(o for o in self.jobs if workload_of(o) == workload), \
            _by_age(o for o in self.pods if workload_of(o) == workload)

    def job_of(self, pod: dict) -> dict | None:
        uids = {r.get("uid") for r in pod["metadata"].get("ownerReferences") or [] if r.get("kind") == "Job"}
        return next((j for j in self.jobs if j["metadata"].get("uid") in uids), None)


def workload_of(obj: dict) -> str:
    return (obj["metadata"].get("labels") or {}).get(WORKLOAD_LABEL, "")


def _by_age(objs) -> list:
    return sorted(objs, key=lambda o: (o["metadata"].get("creationTimestamp", ""), o["metadata"]["name"]))


def read(view, with_events: bool = True) -> Live:
    """Raises kube.KubeError for the caller to explain (no cluster, no permission)."""
    ns, selector = view.namespace, f"{PROJECT_LABEL}={view.project}"
    objs = kube.get(ns, "jobs.batch,pods,configmaps,persistentvolumeclaims", selector)
    jobs = [o for o in objs if o["kind"] == "Job"]
    pods = [o for o in objs if o["kind"] == "Pod"]
    configmaps = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
    claims = {o["metadata"]["name"]: o for o in objs if o["kind"] == "PersistentVolumeClaim"}
    volumes = view.resolved.project.volumes
    for name, volume in view.claims().items():  # an existing_claim has no project label
        if name not in claims and volumes[volume].existing_claim:
            found = kube.get_one(ns, "persistentvolumeclaim", name)
            if found is not None:
                claims[name] = found
    events: dict = {}
    if with_events:
        wanted = {o["metadata"]["name"] for o in jobs + pods}
        proc = kube.run("get", "events", "-n", ns, "-o", "json")
        for e in json.loads(proc.stdout).get("items", []):
            name = (e.get("involvedObject") or {}).get("name")
            if name in wanted:
                events.setdefault(name, []).append(e)
        for name in events:
            events[name].sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    repo = repo_identity(view.path.resolve().parent)
    book = ledgers.read(ns, view.project, repo, view.file)
    return Live(jobs, pods, configmaps, claims, events, book, repo)
