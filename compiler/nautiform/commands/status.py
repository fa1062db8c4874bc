"""`nautiform status [WORKLOAD]`: every workload of project.yaml, what runs for it, and why what does
not progress is stuck, with the project.yaml line to change.

Reads the project's live objects (livestate.py), explains them (runs.py, diagnose.py), flags NRP
citizenship risks (citizenship.py), and keeps each run's explained reason in the ledger, because
events expire within about an hour and finished Jobs leave with their TTL.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .. import citizenship, gpumetrics, inventory, kube, livestate, portal, runs, sweeps, termout
from .. import ledger as ledgers
from ..points import compact
from ..projectview import view_or_exit

POINT_ROWS = 12  # a sweep's points are listed one per row up to this many in the overview


def status(path: Path, workload: str | None, fmt: str, watch: bool, interval: float, portal_opt: str | None,
           prometheus_opt: str | None) -> int:
    view = view_or_exit(path, workload)
    if view is None:
        return 1
    sources = (portal.url_from(portal_opt), gpumetrics.url_from(prometheus_opt))
    try:
        while True:
            doc = read_or_explain("reading the cluster…", collect, view, workload, *sources)
            if doc is None:
                return 1
            if watch and fmt == "text" and termout.colour_on():
                sys.stdout.write("\033[H\033[2J")
            print(json.dumps(doc, sort_keys=True, indent=None if watch else 2) if fmt == "json"
                  else "\n".join(render(doc, workload, termout.colour_on())), flush=True)
            if not watch:
                return 0
            if fmt == "text":
                print(f"(every {interval:g}s; Ctrl-C stops)", flush=True)
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0


def read_or_explain(progress: str, read, *args):
    """`read(*args)` with a progress line on a terminal; None after printing why it failed (no cluster,
    no permission, no node feed)."""
    termout.progress(progress)
    try:
        return read(*args)
    except kube.KubeError as exc:
        print(kube.explain(exc), file=sys.stderr)
    except portal.PortalError as exc:
        print(portal.explain(exc), file=sys.stderr)
    finally:
        termout.progress("")
    return None


def collect(view, workload: str | None, portal_url: str | None, prometheus_url: str | None) -> dict:
    live = livestate.read(view)
    nodes: dict = {}

    def nodes_once():
        if "inv" not in nodes:
            try:
                nodes["inv"] = inventory.read(portal_url)
            except kube.KubeError as exc:
                if not kube.forbidden(exc):
                    raise
                nodes["inv"] = None
        return nodes["inv"]

    notes = [] if prometheus_url else [citizenship.NOT_CHECKED]
    use = None
    if prometheus_url:
        try:
            use = gpumetrics.gpu_use(prometheus_url, view.namespace)
        except gpumetrics.MetricsError as exc:
            notes.append(f"GPU use not read: {exc}")
    now = time.time()
    doc = runs.summarize(view, live, now, nodes_once, only=workload)
    notes += citizenship.flags(doc, live, use, now)
    if nodes.get("inv") is None and "inv" in nodes:
        notes.append("nodes cannot be listed from this account: scheduling problems show the scheduler's words")
    notes += _remember(view, live, doc)
    doc["notes"] = notes
    return doc


def _remember(view, live, doc: dict) -> list[str]:
    """Record what was seen in the ledger: finished runs, and each run's explained reason."""
    def change(book) -> bool:
        changed = bool(ledgers.observe(book, live.jobs) + sweeps.observe(book, live.jobs, live.configmaps))
        seen = set()
        for w in doc["workloads"]:
            for p in w["problems"]:
                for job in p.get("jobs", []) if not p.get("recorded") else []:
                    if job not in seen:
                        seen.add(job)
                        changed = ledgers.record_reason(book, job, p) or changed
        return changed
    try:
        ledgers.update(view.namespace, view.project, live.repo, view.file, change)
    except kube.KubeError as exc:
        return [f"the ledger was not updated ({str(exc)[:120]}): reasons seen now are not kept"]
    return []


def render(doc: dict, only: str | None, on: bool) -> list[str]:
    out = [f"project {doc['project']} in namespace {doc['namespace']} ({doc['file']})", ""]
    rows, colours = [], []
    for w in doc["workloads"]:
        rows.append([w["name"], w["kind"], w["summary"], runs.age(w["age_seconds"]), (w["commit"] or "-")[:8]])
        colours.append((2, termout.STATE_COLOURS.get(w["state"])))
    out += termout.table(["WORKLOAD", "KIND", "STATE", "AGE", "COMMIT"], rows, flex=2, colours=colours, on=on)
    for w in doc["workloads"]:
        if only:
            out += _details(w, on)
        if w.get("points"):
            out += _points(w, full=bool(only), on=on)
        if w.get("study"):
            out += ["", f"{w['name']}: adaptive search"] + list(w["study"])
    problems = [(w, p) for w in doc["workloads"] for p in w["problems"]]
    if problems:
        out += ["", termout.paint("problems", "bold", on)]
        for w, p in problems:
            out += _problem(w, p, on)
    flags = [(w, f) for w in doc["workloads"] for f in w["flags"]]
    if flags:
        out += ["", termout.paint("NRP citizenship", "bold", on)]
        for w, f in flags:
            out += termout.wrap(f"{w['name']} ({f['pod']}): {f['detail']}")
    if doc.get("notes"):
        out += [""] + [line for n in doc["notes"] for line in termout.wrap(f"note: {n}", indent="")]
    return out


def _problem(w: dict, p: dict, on: bool) -> list[str]:
    subject = _subject(p)
    lines = [f"  {w['name']}: {termout.paint(p['title'], 'red', on)}" + (f" ({subject})" if subject else "")]
    lines += termout.wrap(p["detail"], indent="    ")
    fix = f"{p['where']} {p['setting']}: " if p.get("where") else ""
    if fix or p.get("hint"):
        lines += termout.wrap(fix + (p.get("hint") or "change it"), indent="    ")
    if p.get("recorded"):
        lines.append(f"    (recorded {p.get('seen', '')}; the pods and their events are gone)".replace(" ;", ";"))
    return lines


def _subject(p: dict) -> str:
    if p.get("points"):
        return f"point{'s' * (len(p['points']) > 1)} {compact(p['points'])}"
    if len(p.get("pods") or []) == 1:
        return f"pod {p['pods'][0]}"
    if p.get("pods"):
        return f"{len(p['pods'])} pods"
    return f"job {p['jobs'][0]}" if p.get("jobs") else ""


def _points(w: dict, full: bool, on: bool) -> list[str]:
    pts = w["points"]
    out = ["", f"{w['name']}: {len(pts)} points"]
    if not full and len(pts) > POINT_ROWS:
        by_state: dict = {}
        for p in pts:
            by_state.setdefault(p["state"], []).append(p["point"])
        return out + [f"  {state}: {compact(ix)}" for state, ix in sorted(by_state.items())] + \
            [f"  (`nautiform status {w['name']}` lists each point)"]
    shown = pts[:100]
    rows = [[p["point"], p["state"], " ".join(f"{k}={v}" for k, v in p["params"].items())] for p in shown]
    colours = [(1, termout.STATE_COLOURS.get(p["state"])) for p in shown]
    out += termout.table(["POINT", "STATE", "PARAMETERS"], rows, colours=colours, on=on, indent="  ")
    if len(pts) > len(shown):
        out.append(f"  … {len(pts) - len(shown)} more (--format json lists all)")
    return out


def _details(w: dict, on: bool) -> list[str]:
    out = ["", f"{w['name']}: objects"]
    rows = [[f"{o['kind'].lower()}/{o['name']}", o["state"], (o["commit"] or "-")[:8]] for o in w["objects"]]
    out += termout.table(["OBJECT", "STATE", "COMMIT"], rows, flex=0, indent="  ") if rows else ["  (none)"]
    if w["pods"]:
        rows = [[p["name"], p["state"], p.get("point", "-"), p["node"] or "-", p["restarts"]] for p in w["pods"]]
        out += [""] + termout.table(["POD", "STATE", "POINT", "NODE", "RESTARTS"], rows, flex=0, indent="  ")
    return out
