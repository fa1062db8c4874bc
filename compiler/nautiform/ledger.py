"""The ledger: what each run of a project did, kept where `apply`, `plan`, `status` and `rerun` read it.

A Job leaves the cluster after `ttl_after_finished`, and with it the only record that it ran. The
ledger (ConfigMap `<project>-nautiform-ledger`, JSON) remembers every Job nautiform created: when,
from which commit, and — once someone *saw* it Complete or Failed — how it ended. A declared Job
is run again only if the ledger has no entry for it; `nautiform rerun` is the deliberate way to
run one again. Entries are written with optimistic concurrency (resourceVersion), so two writers
never silently overwrite each other.

States: created (applied, not yet seen finishing) -> succeeded | failed; vanished (gone without
being seen finishing: its TTL after an unobserved finish, or a hand delete — held, never re-run
silently); unknown (the ledger was lost and rebuilt: held the same way); stopped (`nautiform stop`:
held the same way); ran (recorded by nautiform 0.1, which did not keep outcomes).
"""
from __future__ import annotations

import json
import time
from collections import namedtuple

from . import kube
from .owner import MANAGED_BY, REPO

FINISHED = ("succeeded", "failed", "ran")
HELD = ("vanished", "unknown", "stopped")
KEEP_ENTRIES = 500  # the oldest finished entries beyond this are forgotten (a ConfigMap holds 1 MiB)
LEDGER_LABEL = "nautiform.io/ledger"


def ledger_name(project: str) -> str:
    return f"{project}-nautiform-ledger"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Ledger(namedtuple("Ledger", "data resource_version state")):
    """data: the JSON document; resource_version: of the ConfigMap ("" if none); state: ok | missing | corrupt."""

    __slots__ = ()

    @property
    def runs(self) -> dict:
        return self.data.setdefault("runs", {})

    def entry(self, job: str) -> dict | None:
        return self.runs.get(job)


def empty(project: str, namespace: str, repo: str, project_file: str) -> dict:
    return {"version": 2, "project": project, "namespace": namespace, "repo": repo, "project_file": project_file,
            "runs": {}}


def parse(cm: dict | None, project: str, namespace: str, repo: str, project_file: str) -> Ledger:
    if cm is None:
        return Ledger(empty(project, namespace, repo, project_file), "", "missing")
    version = cm["metadata"].get("resourceVersion", "")
    data = cm.get("data") or {}
    if "ledger.json" in data:
        try:
            doc = json.loads(data["ledger.json"])
            if isinstance(doc, dict) and isinstance(doc.get("runs"), dict):
                return Ledger(doc, version, "ok")
        except ValueError:
            pass
        return Ledger(empty(project, namespace, repo, project_file), version, "corrupt")
    if "jobs" in data:  # nautiform 0.1: the names of Jobs applied, nothing else
        doc = empty(project, namespace, repo, project_file)
        for name in data["jobs"].splitlines():
            if name:
                doc["runs"][name] = {"workload": "", "state": "ran", "created": ""}
        return Ledger(doc, version, "ok")
    return Ledger(empty(project, namespace, repo, project_file), version, "corrupt")


def read(namespace: str, project: str, repo: str, project_file: str) -> Ledger:
    return parse(kube.get_one(namespace, "configmap", ledger_name(project)), project, namespace, repo, project_file)


def job_outcome(job: dict) -> tuple[str, str, str] | None:
    """(state, finished-at, reason) of a live Job that has finished; None while it runs."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("status") != "True":
            continue
        if c.get("type") == "Complete":
            return "succeeded", c.get("lastTransitionTime", ""), ""
        if c.get("type") == "Failed":
            reason = c.get("reason", "")
            return "failed", c.get("lastTransitionTime", ""), f"{reason}: {c.get('message', '')}".strip(": ")
    return None


def observe(ledger: Ledger, live_jobs: list[dict]) -> list[str]:
    """Record what the live Jobs show (in place); returns one line per change, for the report."""
    notes = []
    for job in live_jobs:
        name = job["metadata"]["name"]
        entry = ledger.runs.get(name)
        outcome = job_outcome(job)
        if entry is None:
            entry = ledger.runs[name] = {"workload": job["metadata"].get("labels", {}).get("nautiform.io/workload", ""),
                                         "created": job["metadata"].get("creationTimestamp", ""),
                                         "uid": job["metadata"].get("uid", ""), "state": "created"}
        if outcome and entry.get("state") not in FINISHED:
            entry["state"], entry["finished"], entry["reason"] = outcome
            entry["uid"] = job["metadata"].get("uid", entry.get("uid", ""))
            notes.append(f"job/{name} {outcome[0]}" + (f" ({outcome[2]})" if outcome[2] else ""))
    return notes


def hold(ledger: Ledger, name: str, workload: str) -> None:
    """A declared Job that is gone and will not be re-run silently: vanished if nautiform created it
    and never saw it end, unknown if the ledger had lost it."""
    entry = ledger.runs.get(name)
    if entry is None:
        ledger.runs[name] = {"workload": workload, "created": "", "state": "unknown", "finished": now_iso()}
    elif entry.get("state") == "created":
        entry["state"], entry["finished"] = "vanished", now_iso()


def record_created(ledger: Ledger, job: dict, workload: str, commit: str) -> None:
    ledger.runs[job["metadata"]["name"]] = {"workload": workload, "created": now_iso(),
                                           "uid": job["metadata"].get("uid", ""), "commit": commit,
                                           "state": "created"}


def forget(ledger: Ledger, names) -> None:
    for name in names:
        ledger.runs.pop(name, None)


def trimmed(doc: dict) -> dict:
    runs = doc.get("runs", {})
    if len(runs) > KEEP_ENTRIES:
        finished = sorted((r.get("created", ""), n) for n, r in runs.items() if r.get("state") in FINISHED + HELD)
        for _, name in finished[:len(runs) - KEEP_ENTRIES]:
            runs.pop(name)
    return doc


def body(ledger: Ledger, project: str, namespace: str, repo: str) -> dict:
    meta = {"name": ledger_name(project), "namespace": namespace,
            "labels": {MANAGED_BY: "nautiform", LEDGER_LABEL: project}, "annotations": {REPO: repo}}
    if ledger.resource_version:
        meta["resourceVersion"] = ledger.resource_version
    text = json.dumps(trimmed(ledger.data), indent=1, sort_keys=True) + "\n"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"ledger.json": text}}


def write(ledger: Ledger, project: str, namespace: str, repo: str) -> Ledger:
    """Create or replace the ledger; raises kube.Conflict if someone wrote it since it was read."""
    doc = body(ledger, project, namespace, repo)
    verb = "replace" if ledger.resource_version else "create"
    proc = kube.run(verb, "-f", "-", "-o", "json", stdin=json.dumps(doc))
    version = json.loads(proc.stdout)["metadata"]["resourceVersion"]
    return Ledger(ledger.data, version, "ok")


REASON_FIELDS = ("code", "title", "detail", "hint", "where", "setting")


def record_reason(ledger: Ledger, name: str, problem: dict) -> bool:
    """Keep the last explained reason of run `name` (status: Kubernetes events expire within about an
    hour and finished Jobs go with their TTL; the explanation stays here). True if the entry changed."""
    entry = ledger.runs.get(name)
    if entry is None:
        return False
    reason = {k: problem[k] for k in REASON_FIELDS if problem.get(k)}
    old = entry.get("last_reason") or {}
    if (old.get("code"), old.get("title")) == (reason.get("code"), reason.get("title")):
        return False  # the same reason again (its detail may differ: free counts move); no write
    entry["last_reason"] = {**reason, "seen": now_iso()}
    return True


def stop(ledger: Ledger, name: str, workload: str) -> None:
    """`nautiform stop`: the run is held (apply does not start it again); `nautiform rerun` does."""
    entry = ledger.runs.setdefault(name, {"workload": workload, "created": ""})
    entry["state"], entry["finished"] = "stopped", now_iso()


def update(namespace: str, project: str, repo: str, project_file: str, change) -> Ledger | None:
    """Read the ledger, apply `change(ledger) -> bool` (True: something changed) and write it with its
    resourceVersion; a lost race re-reads and applies the change again. A missing or unreadable
    ledger is never created here: apply must see it lost and hold what it cannot account for.
    Returns the ledger written, or None when nothing was (no change, or no ledger)."""
    for _ in range(5):
        book = read(namespace, project, repo, project_file)
        if book.state != "ok" or not change(book):
            return None
        try:
            return write(book, project, namespace, repo)
        except kube.Conflict:
            continue
    raise kube.KubeError("could not write the ledger: it kept changing under us")
