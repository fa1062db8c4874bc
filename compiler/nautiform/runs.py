"""What each workload is doing: its live Jobs and Pods (or, once they are gone, the ledger's record),
a state, a sweep's points, and every problem explained. Pure: `Live` in, plain JSON-ready dicts
out; `status` prints them, `--format json` emits them as they are.
"""
from __future__ import annotations

import calendar
import time

from . import diagnose
from . import podpoints, points, search, sweeps
from .problems import Problem

AFTER = "nautiform.io/after"  # what a suspended Job waits for (its gate releases it; issue 13)
COMMIT = "nautiform.io/commit"


def seconds_since(stamp: str, now: float) -> int | None:
    try:
        return max(int(now - calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))), 0)
    except (TypeError, ValueError):
        return None


def job_state(job: dict) -> str:
    """succeeded | failed | waiting | running | pending."""
    if diagnose.condition(job, "Complete") or diagnose.condition(job, "SuccessCriteriaMet"):
        return "succeeded"
    if diagnose.condition(job, "Failed") or diagnose.condition(job, "FailureTarget"):
        return "failed"
    if (job.get("spec") or {}).get("suspend"):
        return "waiting"
    status = job.get("status") or {}
    return "running" if status.get("ready") or (status.get("active") and status.get("ready") is None) else "pending"


def waiting_text(job: dict) -> str:
    after = (job["metadata"].get("annotations") or {}).get(AFTER) or \
        podpoints.template_annotations(job).get(AFTER)
    return f"waiting for {after}" if after else "suspended"


def pod_state(pod: dict) -> str:
    """A few words on where the pod is: running, succeeded, failed, pending, init: <step>."""
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    if pod["metadata"].get("deletionTimestamp"):
        return "stopping"
    if phase != "Pending":
        return phase.lower()
    for c in diagnose.statuses(pod, init=True):
        if "running" in (c.get("state") or {}):
            name = c["name"]
            for prefix, words in (("wait-", "waiting for dataset "), ("stage-", "staging dataset ")):
                if name.startswith(prefix):
                    return f"init: {words}{name[len(prefix):]}"
            return "init: checking out code" if name == "checkout" else f"init: {name}"
    return "pending"


def summarize(view, live, now: float, inventory=None, use: dict | None = None, only: str | None = None) -> dict:
    """The status document. `inventory`: callable (nodes, for scheduling problems); `use`: pod -> GPU use %
    (None: metrics not read)."""
    kinds = view.kinds()
    names = [only] if only else list(kinds)
    workloads = [_workload(view, live, name, kinds[name], now, inventory) for name in names]
    return {"project": view.project, "namespace": view.namespace, "file": view.file, "workloads": workloads}


def _workload(view, live, name: str, kind: str, now: float, inventory) -> dict:
    jobs, pods = live.of(name)
    newest = (jobs or pods or [None])[-1]
    out: dict = {"name": name, "kind": kind, "state": "not deployed", "summary": "not deployed", "age_seconds": None,
           "created": None, "commit": None, "objects": [], "pods": [], "problems": [], "flags": []}
    for obj in jobs + [p for p in pods if not live.job_of(p)]:
        meta = obj["metadata"]
        out["objects"].append({"kind": obj["kind"], "name": meta["name"], "created": meta.get("creationTimestamp"),
                               "commit": (meta.get("annotations") or {}).get(COMMIT),
                               "state": job_state(obj) if obj["kind"] == "Job" else pod_state(obj)})
    if newest is not None:
        meta = newest["metadata"]
        out.update(created=meta.get("creationTimestamp"), commit=(meta.get("annotations") or {}).get(COMMIT),
                   age_seconds=seconds_since(meta.get("creationTimestamp", ""), now))
    for pod in pods:
        out["pods"].append(_pod(view, live, name, pod, inventory))
    for p in out["pods"]:  # the pods' causes first: "OOMKilled" says more than "retries used up"
        if p["problem"]:
            out["problems"].append({**p["problem"], "pod": p["name"], "point": p.get("point"), "job": p.get("job")})
    for job in jobs:
        problem = diagnose.job_problem(job, live.events.get(job["metadata"]["name"], []))
        if problem:
            out["problems"].append(_problem(view, name, problem, job=job["metadata"]["name"]))
    out["problems"] = _grouped(out["problems"])
    study = next(((j.get("metadata", {}).get("annotations") or {}).get("nautiform.io/study") for j in jobs
                  if (j.get("metadata", {}).get("annotations") or {}).get("nautiform.io/study")), None)
    if study:  # an adaptive search: its driver's record says what the trials did (issue 17)
        record = live.configmaps.get(study)
        out["study"] = search.summary({**(record.get("data") or {}), **(record.get("binaryData") or {})}) \
            if record else [f"study {study}: no trial recorded yet"]
    elif kind == "sweep" and jobs:
        out["points"] = sweep_points(live, jobs)
    out["state"], out["summary"] = _state(kind, jobs, pods, out)
    if not jobs and not pods:
        _history(view, live, name, out, now)
    elif jobs and not out["problems"]:
        _recorded(view, live, jobs[-1], out)
    return out


def _pod(view, live, name: str, pod: dict, inventory) -> dict:
    job = live.job_of(pod)
    meta, status = pod["metadata"], pod.get("status") or {}
    problem = diagnose.pod_problem(pod, live.events.get(meta["name"], []), inventory, live.claims)
    entry = {"name": meta["name"], "job": job["metadata"]["name"] if job else None, "state": pod_state(pod),
             "node": (pod.get("spec") or {}).get("nodeName"), "started": status.get("startTime"),
             "restarts": sum(c.get("restartCount", 0) for c in diagnose.statuses(pod)),
             "problem": _problem(view, name, problem) if problem else None}
    point, params = podpoints.pod_point(pod, job, live.configmaps)
    if point is not None:
        entry.update(point=point, params=params)
    return entry


def _problem(view, workload: str, p: Problem, **extra) -> dict:
    out = {**p.as_dict(), **extra}
    if p.scheduler:
        out["scheduler"] = p.scheduler
    where = None
    if p.top and p.top[0] == "claim":
        volume = view.claims().get(p.top[1])
        where = view.at("volumes", volume) if volume else None
    elif p.top:
        where = view.at(*p.top)
    elif p.setting:
        where = view.where(workload, *p.setting)
    if where is not None:
        out.update(where=f"{where.file}:{where.line}", setting=where.path)
        if where.path.startswith("defaults.") and p.setting:
            out["hint"] = f"{out['hint']}; for {workload} alone, set workloads.{workload}.{'.'.join(p.setting)}"
    return out


def _grouped(problems: list[dict]) -> list[dict]:
    """One entry per distinct explanation, naming every pod and point it applies to."""
    out: dict = {}
    for p in problems:
        key = (p["code"], p["detail"] if p.get("point") is None else p["title"], p.get("setting"))
        group = out.setdefault(key, {**{k: v for k, v in p.items() if k not in ("pod", "point", "job")}, "pods": [],
                                     "points": [], "jobs": []})
        if p.get("job") and p["job"] not in group["jobs"]:
            group["jobs"].append(p["job"])
        if p.get("pod"):
            group["pods"].append(p["pod"])
        if p.get("point") is not None:
            group["points"].append(p["point"])
    return list(out.values())


def sweep_points(live, jobs: list[dict]) -> list[dict]:
    """Every point of the sweep with its state and parameter values (later Jobs override earlier ones);
    points no live Job runs are looked up in the ledger's record of the sweep (sweeps.py)."""
    states: dict = {}
    params: dict = {}
    table = None
    for job in jobs:
        table = podpoints.table(live.configmaps.get(podpoints.sweep_configmap_name(job) or "")) or table
        status, jstate = job.get("status") or {}, job_state(job)
        listed = points.job_points(job, int((job.get("spec") or {}).get("completions") or 0))
        done = {podpoints.point_of_index(job, i) for i in points.expand(status.get("completedIndexes"))}
        failed = {podpoints.point_of_index(job, i) for i in points.expand(status.get("failedIndexes"))}
        for pt in listed:
            states[pt] = ("succeeded" if pt in done else "failed" if pt in failed else
                          "waiting" if jstate == "waiting" else "failed" if jstate == "failed" else "pending")
            params[pt] = podpoints.params_of(pt, job, live.configmaps)
        for pod in _by_point(live, job):
            at, _ = podpoints.pod_point(pod, job, live.configmaps)
            if at is not None and states.get(at) == "pending":
                phase = (pod.get("status") or {}).get("phase")
                states[at] = "running" if phase == "Running" else "pending"
    earlier = _earlier(live, jobs[-1])
    for pt in range(table.size if table else 0):
        if pt not in states:
            states[pt], params[pt] = earlier.get(pt, "not run"), table.point(pt) if table else {}
    return [{"point": pt, "state": states[pt], "params": params.get(pt, {})} for pt in sorted(states)]


def _earlier(live, job: dict) -> dict:
    """Point -> "done earlier" | "failed earlier" for the points the ledger says earlier Jobs of the same
    inputs ran (a Job listing its points in nautiform.io/points runs only the others; issue 13)."""
    record = (live.ledger.data.get("sweeps") or {}).get(sweeps.workload(job)) or {}
    keys = points.keys(sweeps.cm_data(job, live.configmaps))
    if not record or not keys:
        return {}
    done, failed = points.unpack(record.get("done")), points.unpack(record.get("failed"))
    out = {}
    for pt, key in enumerate(keys):
        rid = points.run_id(sweeps.identity(job), key)
        if rid in done or rid in failed:
            out[pt] = "done earlier" if rid in done else "failed earlier"
    return out


def _by_point(live, job: dict) -> list[dict]:
    """The job's pods, oldest first, so the newest pod of each index decides."""
    uid = job["metadata"].get("uid")
    return sorted((p for p in live.pods if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])),
                  key=lambda p: p["metadata"].get("creationTimestamp", ""))


def _state(kind: str, jobs: list, pods: list, out: dict) -> tuple[str, str]:
    first = out["problems"][0]["title"] if out["problems"] else ""
    if not jobs and not pods:
        return ("not running", "not running (the next apply starts it)") if kind == "interactive" else \
            ("not deployed", "not deployed")
    if kind == "interactive" or not jobs:
        pod = out["pods"][-1]
        state = pod["state"]
        text = f"{state} on {pod['node']}" if state == "running" and pod["node"] else state
        return state, f"{state}: {first}" if first else text
    state = job_state(jobs[-1])
    if state == "waiting":
        return state, waiting_text(jobs[-1])
    mine = [p for p in out["pods"] if p["job"] == jobs[-1]["metadata"]["name"]]
    running = sum(1 for p in mine if p["state"] == "running")
    if state in ("running", "pending"):  # the pods say it sooner than the Job's counters
        state = "running" if running else "pending"
    if kind == "sweep" and out.get("points"):
        counts: dict = {}
        for p in out["points"]:
            counts[p["state"]] = counts.get(p["state"], 0) + 1
        done = counts.get("succeeded", 0) + counts.get("done earlier", 0)
        parts = [f"{done}/{len(out['points'])} done"] + \
            [f"{counts[s]} {s}" for s in ("running", "pending", "failed") if counts.get(s)]
        text = ", ".join(parts)
        return state, f"{text}: {first}" if first else text
    failed = sum(1 for p in mine if p["state"] == "failed")
    if state == "succeeded":  # earlier failures of a run that then succeeded are history, not its state
        return state, f"succeeded (after {failed} failed: {first})" if failed and first else state
    if state in ("running", "pending") and failed:
        return state, f"retrying ({failed} failed): {first}" if first else f"retrying ({failed} failed)"
    if first:
        return state, f"{state}: {first}"
    return state, f"running ({running} pod{'s' * (running != 1)})" if state == "running" else state


# A workload's last run, once its Job is gone, by its ledger state (ledger.py).
_GONE = {"succeeded": "succeeded", "failed": "failed", "ran": "ran", "stopped": "stopped (held)",
         "vanished": "gone, never seen ending (held)", "created": "gone, never seen ending",
         "unknown": "held (ledger was lost)"}


def _history(view, live, name: str, out: dict, now: float) -> None:
    """No live object: what the ledger remembers of the workload's last run."""
    runs = [(n, e) for n, e in live.ledger.runs.items() if e.get("workload") == name]
    if not runs:
        return
    job, entry = max(runs, key=lambda r: (r[1].get("created", ""), r[0]))
    when = entry.get("finished") or entry.get("created") or ""
    out.update(state=entry.get("state", "unknown"), created=entry.get("created"), commit=entry.get("commit"),
               age_seconds=seconds_since(entry.get("created", ""), now))
    out["objects"].append({"kind": "Job", "name": job, "created": entry.get("created"), "commit": entry.get("commit"),
                           "state": f"gone ({entry.get('state')})"})
    ago = seconds_since(when, now)
    text = _GONE.get(entry.get("state"), entry.get("state"))
    reason = entry.get("last_reason")
    out["summary"] = text + (f": {reason['title']}" if reason else "") + (f", {age(ago)} ago" if ago is not None
                                                                           else "") + "; Job removed"
    if reason:
        out["problems"].append({**reason, "recorded": True, "jobs": [job], "pods": [], "points": []})


def _recorded(view, live, job: dict, out: dict) -> None:
    """A live Job whose pods are gone: the cause seen earlier, from the ledger."""
    entry = live.ledger.entry(job["metadata"]["name"]) or {}
    if entry.get("last_reason") and job_state(job) == "failed":
        out["problems"].append({**entry["last_reason"], "recorded": True, "jobs": [job["metadata"]["name"]],
                                "pods": [], "points": []})


def age(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
