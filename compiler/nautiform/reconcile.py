"""Plan = apply: the actions `apply` takes, computed from the declared tree, the live cluster and
the ledger. Pure: `apply` executes what this returns, `plan` and `apply --dry-run` print it.

Rules (README, "Ownership"):
- Only top-level objects nautiform applied for this project from this repository are changed or
  pruned; a Job's pods belong to their Job. An object with a declared name that nautiform did not
  create is never adopted: the apply is refused and the adopting command printed.
- A live Job or Pod with the declared name is left alone (its name carries its identity); a
  declared Job that is gone runs again only if the ledger has no record of it.
- PersistentVolumeClaims are never deleted (volumes.py).
"""
from __future__ import annotations

from collections import namedtuple

from . import ledger as ledgers
from . import sweeps, volumes
from .owner import PROJECT_LABEL, REPO, WORKLOAD_LABEL, adopt_command, is_top_level, ownership

Action = namedtuple("Action", "verb kind name reason body", defaults=("", None))
# verbs: create update unchanged keep skip hold recreate prune keep-pvc release refuse ignore
SHORT = {"PersistentVolumeClaim": "pvc", "ConfigMap": "configmap", "Job": "job", "Pod": "pod",
         "ServiceAccount": "serviceaccount", "Role": "role", "RoleBinding": "rolebinding", "Service": "service",
         "Deployment": "deployment"}
CHANGES = ("create", "update", "patch", "recreate", "prune", "release")


class Snapshot(namedtuple("Snapshot", "labelled named ledger other_ledgers")):
    """labelled: live objects with the project label (Jobs, Pods, ConfigMaps, PVCs; owned or not);
    named: live objects with a declared name, any labels; ledger: ledger.Ledger;
    other_ledgers: ledger ConfigMaps in the namespace written from this repository for other projects."""

    __slots__ = ()


class Outcome(namedtuple("Outcome", "actions losses shrinks refusals notes ledger_lost moves")):
    __slots__ = ()

    @property
    def changes(self) -> list:
        return [a for a in self.actions if a.verb in CHANGES]


def claimed_keys(names: set[str]) -> set[tuple[str, str]]:
    return {("Job", n) for n in names}


def key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def reconcile(declared: list, snap: Snapshot, project: str, namespace: str, repo: str) -> Outcome:
    """`declared`: manifests.Obj of generated/, already carrying the apply-time marks."""
    want = {(o.kind, o.name): o.body for o in declared}
    named = {key(o): o for o in snap.named}
    mine = {key(o): o for o in snap.labelled if is_top_level(o) and ownership(o, project, repo) == "ours"}
    live_pods = [o for o in snap.labelled if o["kind"] == "Pod"]
    ledger_lost = snap.ledger.state != "ok" and bool(mine)
    actions, refusals, notes = [], [], []
    claimed: set[str] = set()  # live Jobs of a sweep that keep running its points

    live_jobs = [o for (k, _), o in mine.items() if k == "Job"]
    live_cms = {n: o for (k, n), o in mine.items() if k == "ConfigMap"}
    declared_cms = {n: b for (k, n), b in want.items() if k == "ConfigMap"}
    for (kind, name), body in list(want.items()):
        if kind == "Job" and sweeps.is_sweep(body):
            if any(e.get("workload") == workload_of(body) and e.get("state") == "stopped"
                   for e in snap.ledger.runs.values()):
                actions.append(Action("hold", kind, name, "stopped with `nautiform stop`; `nautiform rerun "
                                      f"{workload_of(body)}` starts it again", body))
                del want[(kind, name)]
                continue
            verb, target, reason, new, keep = sweeps.plan(body, declared_cms, live_jobs, live_cms, snap.ledger)
            actions.append(Action(verb, kind, target, reason, new))
            claimed.update(keep)
            del want[(kind, name)]
            if new is not None:
                want[(kind, target)] = new

    for (kind, name), body in want.items():
        if (kind, name) in claimed_keys(claimed) or any(a.name == name and a.kind == kind for a in actions):
            continue  # a sweep's Job: decided above
        live = named.get((kind, name))
        if live is not None and ownership(live, project, repo) != "ours":
            refusals.append(_refusal(live, kind, name, namespace, project, repo))
            continue
        actions.append(_declared(kind, name, body, live, snap.ledger, ledger_lost))

    reused = {v["persistentVolumeClaim"]["claimName"] for b in want.values() for v in _volumes(b)
              if "persistentVolumeClaim" in v}
    # What stays after the apply: the live object where one is kept (a running Job still mounts the
    # ConfigMaps it started with), the declared one where it is created.
    stays = [mine.get(k) or b for k, b in want.items()] + [mine[k] for k in claimed_keys(claimed) if k in mine]
    referenced = {v["configMap"]["name"] for b in stays for v in _volumes(b) if "configMap" in v}
    for (kind, name), live in sorted(mine.items()):
        if (kind, name) in want or (kind == "Job" and name in claimed):
            continue
        if kind == "PersistentVolumeClaim":
            actions.append(Action("release" if name in reused else "keep-pvc", kind, name,
                                  "now used through existing_claim: released from the project, data kept"
                                  if name in reused else "no longer declared; nautiform never deletes a volume"))
        elif kind == "ConfigMap" and name in referenced:
            actions.append(Action("keep", kind, name, "no longer declared, but a running Job or Pod still mounts it"))
        else:
            actions.append(Action("prune", kind, name, _prune_reason(live, want, live_pods)))
    for obj in snap.labelled:
        if is_top_level(obj) and key(obj) not in mine and key(obj) not in want \
                and ownership(obj, project, repo) == "unmarked":
            notes.append(f"left alone: {SHORT.get(obj['kind'], obj['kind'])}/{obj['metadata']['name']} has the "
                         f"project label but was not created by nautiform")

    actions = _waiting(actions, mine, snap.ledger)
    live_pvcs = {n: o for (k, n), o in mine.items() if k == "PersistentVolumeClaim"}
    want_pvcs = {n: b for (k, n), b in want.items() if k == "PersistentVolumeClaim"}
    moves = [o["metadata"].get("labels", {}).get(ledgers.LEDGER_LABEL, "?") for o in snap.other_ledgers]
    return Outcome(actions, volumes.losses(live_pvcs, want_pvcs, reused), volumes.shrinks(live_pvcs, want_pvcs),
                   refusals, notes, ledger_lost, moves)


AFTER = "nautiform.io/after"
GATE_WORKLOAD = "nautiform-gate"


def after_of(body: dict) -> list[str]:
    return [n for n in (body["metadata"].get("annotations") or {}).get(AFTER, "").split(",") if n]


def _waiting(actions: list, mine: dict, ledger) -> list:
    """Runs whose prerequisites are not done yet wait without a GPU: a Job is created suspended (the gate
    releases it), an interactive pod is deferred (the gate creates it). One whose prerequisites are done
    is created ready. The gate itself is created only while something waits."""
    live = {n: o for (k, n), o in mine.items() if k == "Job"}

    def done(name: str) -> bool:
        if name in live:
            return (ledgers.job_outcome(live[name]) or ("",))[0] == "succeeded"
        return (ledger.entry(name) or {}).get("state") in ("succeeded", "ran")

    out, waits = [], False
    for a in actions:
        pending = [n for n in after_of(a.body) if not done(n)] if a.verb == "create" and a.body else []
        if a.verb == "create" and a.body and after_of(a.body):
            if a.kind == "Job" and not pending:
                a = a._replace(reason=f"{a.reason}; what it waits for is done")
            elif a.kind == "Job":
                waits = True
                body = {**a.body, "spec": {**a.body["spec"], "suspend": True}}
                a = a._replace(body=body, reason=f"{a.reason}; waits suspended (no pod, no GPU) for "
                               f"{', '.join(pending)}")
            elif pending:
                waits = True
                a = a._replace(verb="defer", reason=f"starts when {', '.join(pending)} has finished (the gate "
                               "creates it)")
        out.append(a)
    waits = waits or any(j["spec"].get("suspend") and after_of(j) for j in live.values())
    if not waits:
        out = [a._replace(verb="skip", reason="nothing waits for it", body=None)
               if a.verb == "create" and a.kind == "Job" and workload_of(a.body) == GATE_WORKLOAD else a
               for a in out]
    return out


def _declared(kind: str, name: str, body: dict, live: dict | None, ledger, ledger_lost: bool) -> Action:
    if kind == "Job":
        return _job(name, body, live, ledger, ledger_lost)
    if kind == "Pod":
        if live is None:
            return Action("create", kind, name, "new", body)
        phase = (live.get("status") or {}).get("phase", "Pending")
        if phase in ("Succeeded", "Failed"):
            why = (live.get("status") or {}).get("reason") or phase
            return Action("recreate", kind, name, f"it ended ({why}); a fresh pod is started", body)
        return Action("keep", kind, name, f"{phase.lower()}, unchanged")
    if live is None:
        return Action("create", kind, name, "new", body)
    if kind == "PersistentVolumeClaim":
        size = volumes.larger(volumes.live_size(live), volumes.facts(body)["storage"])
        if size:
            body = volumes.with_size(body, size)
    if _same(body, live):
        return Action("unchanged", kind, name)
    return Action("update", kind, name, _update_reason(kind, body, live), body)


# A Job's run policy that is not part of its identity and that the API server lets change in place.
MUTABLE = ("ttlSecondsAfterFinished", "activeDeadlineSeconds")


def _job(name: str, body: dict, live: dict | None, ledger, ledger_lost: bool) -> Action:
    if live is not None:
        changed = {f: body["spec"].get(f) for f in MUTABLE if body["spec"].get(f) != live["spec"].get(f)}
        if changed:
            what = ", ".join(f"{f} {live['spec'].get(f)} -> {v}" for f, v in changed.items())
            return Action("patch", "Job", name, f"the same run; changed in place: {what}", {"spec": changed})
        outcome = ledgers.job_outcome(live)
        return Action("keep", "Job", name, outcome[0] if outcome else _running(live))
    entry = ledger.entry(name)
    if entry is None:
        if ledger_lost:
            return Action("hold", "Job", name, "the ledger was lost; it may already have run (`nautiform rerun "
                          f"{workload_of(body)}` runs it again)", body)
        return Action("create", "Job", name, "new", body)
    state = entry.get("state")
    if state in ledgers.FINISHED:
        when = f" {entry.get('finished') or entry.get('created') or ''}".rstrip()
        return Action("skip", "Job", name, f"already ran ({state}{when}); `nautiform rerun {workload_of(body)}` "
                      "runs it again")
    if state == "stopped":
        return Action("hold", "Job", name, f"stopped with `nautiform stop`; `nautiform rerun {workload_of(body)}` "
                      "starts it again", body)
    return Action("hold", "Job", name, "it is gone but nautiform never saw it finish (removed by hand, or by its "
                  f"TTL after an unobserved end); not re-run silently: `nautiform rerun {workload_of(body)}`", body)


def _running(job: dict) -> str:
    status = job.get("status") or {}
    if job["spec"].get("suspend"):
        return "suspended, waiting for its inputs"
    active = status.get("active", 0)
    return f"running ({active} pod{'s' * (active != 1)} active)" if active else "unchanged"


def workload_of(body: dict) -> str:
    return body["metadata"].get("labels", {}).get(WORKLOAD_LABEL, body["metadata"]["name"])


def _prune_reason(live: dict, want: dict, pods: list) -> str:
    workload = live["metadata"].get("labels", {}).get(WORKLOAD_LABEL)
    successor = next((n for (k, n), b in want.items() if k == live["kind"] and workload
                      and b["metadata"].get("labels", {}).get(WORKLOAD_LABEL) == workload), None)
    reason = f"replaced by {successor}" if successor else "no longer declared"
    if live["kind"] == "Job":
        active = (live.get("status") or {}).get("active", 0)
        if active:
            reason += f"; stops {active} running pod{'s' * (active != 1)}"
    if live["kind"] == "Pod" and (live.get("status") or {}).get("phase") in ("Running", "Pending"):
        reason += "; THE RUNNING SESSION ENDS (processes and files inside the container are lost)"
    return reason


def _same(body: dict, live: dict) -> bool:
    for field in ("data", "immutable", "rules", "roleRef", "subjects"):
        if body.get(field) != live.get(field):
            return False
    if body["kind"] == "PersistentVolumeClaim":
        if volumes.facts(body)["storage"] != volumes.facts(live)["storage"]:
            return False
    meta, live_meta = body["metadata"], live["metadata"]
    return all((live_meta.get(f) or {}).get(k) == v for f in ("labels", "annotations")
               for k, v in (meta.get(f) or {}).items())


def _update_reason(kind: str, body: dict, live: dict) -> str:
    if kind == "PersistentVolumeClaim":
        old, new = volumes.facts(live)["storage"], volumes.facts(body)["storage"]
        if old != new:
            return f"storage {old} -> {new}"
    if live["metadata"].get("annotations", {}).get(REPO) is None:
        return "ownership marks added"
    if kind == "ConfigMap" and body.get("data") != live.get("data"):
        return "its data changed (submit-time values: pods started from now on read the new ones)"
    if kind == "Service":
        return "its ports or selector changed"
    if kind == "Deployment":
        return "its pod template or replicas changed: its pods are replaced one by one (Recreate: all at once)"
    return "labels or annotations changed"


def _refusal(live: dict, kind: str, name: str, namespace: str, project: str, repo: str) -> str:
    owner = live["metadata"].get("annotations", {}).get(REPO)
    other = live["metadata"].get("labels", {}).get(PROJECT_LABEL)
    short = SHORT.get(kind, kind)
    if other and other != project:
        who = f"belongs to project {other!r} (names collide: `{project}` + a volume or workload name gives the same)"
    elif owner and owner != repo:
        who = f"was deployed from another repository, {owner}"
    else:
        who = "exists but was not created by nautiform"
    return (f"{short}/{name} {who}; nautiform never takes over an object it did not create\n"
            f"  hint: rename the project or the {short} in project.yaml; or, if it really is this project's, adopt "
            f"it on purpose: {adopt_command(short, name, namespace, project, repo)}")


def _volumes(body: dict) -> list:
    spec = body.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or spec
    return pod.get("volumes") or [] if isinstance(pod, dict) else []
