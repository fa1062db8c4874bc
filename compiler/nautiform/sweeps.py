"""Incremental sweeps: which points of a declared sweep still need a GPU.

generated/ declares a sweep as one Indexed Job over its whole table. `apply` runs only the points
that no earlier Job of the same inputs has run or is running: the declared Job, with `completions`
cut to those points, their table indexes in the pod annotation `nautiform.io/points`, and a name
that says which points they are. Points are matched by run id (inputs + parameter values), not by
table position, so adding values to a grid — which renumbers it — still runs only the new points.
A point that failed is held (like a failed Job): `nautiform rerun WORKLOAD --failed` runs it again.
"""
from __future__ import annotations

import hashlib
import json

from . import ledger as ledgers
from . import points
from .owner import WORKLOAD_LABEL


def is_sweep(body: dict) -> bool:
    return points.SWEEP in (body["metadata"].get("annotations") or {})


def identity(body: dict) -> str:
    return (body["metadata"].get("annotations") or {}).get(points.IDENTITY, "")


def cm_data(body: dict, configmaps: dict) -> dict:
    cm = configmaps.get((body["metadata"].get("annotations") or {}).get(points.SWEEP))
    return (cm or {}).get("data") or {}


def workload(body: dict) -> str:
    return body["metadata"].get("labels", {}).get(WORKLOAD_LABEL, "")


def run_ids(job: dict, configmaps: dict) -> list[str]:
    """The run id of each completion index of a (live or declared) sweep Job."""
    table = points.keys(cm_data(job, configmaps))
    return [points.run_id(identity(job), table[i]) for i in points.job_points(job, len(table)) if i < len(table)]


def observe(book, jobs: list[dict], configmaps: dict) -> list[str]:
    """Record the points live sweep Jobs finished (in place); one line per Job that changed the record."""
    notes = []
    for job in jobs:
        if not is_sweep(job):
            continue
        ids = run_ids(job, configmaps)
        status = job.get("status") or {}
        record = book.data.setdefault("sweeps", {}).setdefault(workload(job), {})
        for field, text in (("done", status.get("completedIndexes")), ("failed", status.get("failedIndexes"))):
            have = points.unpack(record.get(field))
            new = {ids[i] for i in points.expand(text) if i < len(ids)} - have
            if new:
                record[field] = points.pack(have | new)
                notes.append(f"job/{job['metadata']['name']}: {len(new)} point(s) {field}")
    return notes


def forget(book, name: str, failed_only: bool) -> int:
    record = book.data.get("sweeps", {}).get(name)
    if not record:
        return 0
    count = len(points.unpack(record.get("failed")))
    record.pop("failed", None)
    if not failed_only:
        count += len(points.unpack(record.get("done")))
        record.pop("done", None)
    return count


def still_running(job: dict, configmaps: dict) -> set[str]:
    if ledgers.job_outcome(job):
        return set()
    ids = run_ids(job, configmaps)
    completed = set(points.expand((job.get("status") or {}).get("completedIndexes")))
    return {rid for i, rid in enumerate(ids) if i not in completed}


def plan(declared: dict, declared_cms: dict, live_jobs: list[dict], live_cms: dict, book):
    """(verb, name, reason, body or None, live Job names to keep) for one declared sweep Job."""
    name, who = declared["metadata"]["name"], workload(declared)
    table = points.keys(cm_data(declared, declared_cms))
    ids = [points.run_id(identity(declared), k) for k in table]
    record = book.data.get("sweeps", {}).get(who, {})
    done, failed = points.unpack(record.get("done")), points.unpack(record.get("failed"))
    same = [j for j in live_jobs if workload(j) == who and identity(j) == identity(declared)]
    running: dict[str, str] = {}
    for j in same:
        for rid in still_running(j, live_cms):
            running[rid] = j["metadata"]["name"]
    wanted = set(ids)
    keep = [j["metadata"]["name"] for j in same if ledgers.job_outcome(j) or (still_running(j, live_cms) & wanted)]
    todo = [i for i, rid in enumerate(ids) if rid not in done and rid not in failed and rid not in running]
    counts = _counts(ids, done, failed, running)
    if not todo:
        return "skip", name, f"sweep {who}: no new points ({counts})", None, keep
    if len(todo) == len(ids):
        body, target = declared, name
    else:
        body = subset(declared, todo)
        target = body["metadata"]["name"]
    if any(j["metadata"]["name"] == target for j in live_jobs):
        return "keep", target, f"sweep {who}: running ({counts})", None, keep + [target]
    return "create", target, f"sweep {who}: {len(todo)} new point(s)" + (f"; {counts}" if counts else ""), body, keep


def _counts(ids: list[str], done: set, failed: set, running: dict) -> str:
    parts = []
    for label, n in (("already done", sum(r in done for r in ids)), ("failed earlier, held", sum(r in failed for r in ids)),
                     ("running in an earlier Job", sum(r in running for r in ids))):
        if n:
            parts.append(f"{n} {label}")
    return ", ".join(parts)


def subset(declared: dict, todo: list[int]) -> dict:
    """The declared sweep Job, running only table indexes `todo`, named after them."""
    body = json.loads(json.dumps(declared))
    spec = body["spec"]
    spec["completions"] = len(todo)
    spec["parallelism"] = min(spec.get("parallelism", 1), len(todo))
    meta = spec["template"].setdefault("metadata", {})
    meta.setdefault("annotations", {})[points.POINTS] = points.compact(todo)
    name = body["metadata"]["name"]
    stem, _, _ = name.rpartition("-")
    suffix = hashlib.sha256(f"{identity(declared)}\0{points.compact(todo)}".encode()).hexdigest()[:8]
    body["metadata"]["name"] = f"{stem}-{suffix}"
    return body
