"""`nautiform gpus`: which GPUs can I get now, and does each workload of project.yaml fit.

The GPU table comes from the nodes this account can list; free counts only from a real source
(inventory.py), else "?" with the reason. Each workload's exact compiled pod spec is matched against
the nodes (availability.py) and sent to the API server as a server-side dry run (a Job and a Pod
made from its template), which passes admission: quotas, NRP's policy webhooks, priority classes.
"""
from __future__ import annotations

import json
from pathlib import Path

from .. import availability, inventory, kube, portal, termout
from ..manifests import parse_tree
from ..pipeline import compile_file
from .status import read_or_explain


def gpus(path: Path, fmt: str, portal_opt: str | None, dry_run: bool) -> int:
    inv = read_or_explain("listing nodes…", inventory.read, portal.url_from(portal_opt))
    if inv is None:
        return 1
    doc = {"source": inv.source, "note": inv.note, "gpus": availability.gpu_rows(inv), "workloads": [], "notes": []}
    if path.exists():
        doc["workloads"], notes = _workloads(path, inv, dry_run)
        doc["notes"] += notes
    else:
        doc["notes"].append(f"no {path}: workloads not checked (--project PATH)")
    termout.progress("")
    if fmt == "json":
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        print("\n".join(render(doc, termout.colour_on())))
    return 0


def _workloads(path: Path, inv, dry_run: bool) -> tuple[list, list]:
    result = compile_file(path)
    if not result.ok:
        return [], [f"{path} has errors (`nautiform compile` shows them): workloads not checked"]
    objs = [o for o in parse_tree(result.files) if o.kind in ("Job", "Pod")]
    declared = [w.name for w in result.project.workloads]
    out = []
    for n, name in enumerate(declared):
        obj = next((o for o in objs if o.body["metadata"].get("labels", {}).get("nautiform.io/workload") == name), None)
        if obj is None:
            continue
        spec = obj.body["spec"]
        pod_spec = spec["template"]["spec"] if obj.kind == "Job" else spec
        parallel = int(spec.get("parallelism") or 1) if obj.kind == "Job" else 1
        nodes = availability.nodes_of(pod_spec)
        row = {"name": name, "kind": obj.kind, **(availability.multinode_verdict(pod_spec, inv, nodes) if nodes > 1
                                                  else availability.verdict(pod_spec, inv, parallel))}
        if dry_run:
            termout.progress(f"dry run of {name} ({n + 1}/{len(declared)})…")
            row["dry_run"] = server_dry_run(obj.body)
        out.append(row)
    return out, []


def server_dry_run(body: dict) -> dict:
    """Create the object, and a Pod of its template, with --dry-run=server: admission runs, nothing is made."""
    meta = body["metadata"]
    tries = [body]
    if body["kind"] == "Job":
        template = body["spec"]["template"]
        tries.append({"apiVersion": "v1", "kind": "Pod", "metadata": {**template.get("metadata", {}),
                                                                      "namespace": meta["namespace"]},
                      "spec": template["spec"]})
    for obj in tries:
        probe = json.loads(json.dumps(obj))
        probe["metadata"].pop("name", None)
        probe["metadata"]["generateName"] = meta["name"][:50] + "-"
        try:
            kube.run("create", "--dry-run=server", "-o", "name", "-f", "-", stdin=json.dumps(probe))
        except kube.KubeError as exc:
            return {"accepted": False, "message": str(exc).split(" failed: ", 1)[-1].strip()[:400]}
    return {"accepted": True, "message": "accepted by the API server (dry run)"}


def render(doc: dict, on: bool) -> list[str]:
    out = ["GPUs on the cluster"]
    legend: list = []
    rows = [[r["product"], r["region"], r["nodes"], r["gpus"], _n(r["free"]), _n(r["most_free_on_one"]),
             _access(r["access"], legend)] for r in doc["gpus"]]
    out += termout.table(["PRODUCT", "REGION", "NODES", "GPUS", "FREE", "MAX/NODE", "ACCESS"], rows) if rows \
        else ["  (no GPU nodes visible)"]
    out += [line for mark, text in legend for line in termout.wrap(f"{mark} {text}")]
    out += termout.wrap(f"{'?: ' if doc['source'] == 'none' else ''}{doc['note']}", indent="")
    if doc["workloads"]:
        out += ["", "workloads of project.yaml"]
        for w in doc["workloads"]:
            colour = {"fits now": "green", "never fits": "red"}.get(w["verdict"], "yellow")
            out.append(f"  {w['name']}: {termout.paint(w['verdict'], colour, on)}")
            out += termout.wrap(f"needs {w['needs']}; {w['detail']}", indent="    ")
            if "dry_run" in w:
                verdict = "accepted" if w["dry_run"]["accepted"] else f"REFUSED: {w['dry_run']['message']}"
                out += termout.wrap(f"server dry run: {verdict}", indent="    ")
    if doc["notes"]:
        out += [""] + [line for n in doc["notes"] for line in termout.wrap(f"note: {n}", indent="")]
    return out


def _access(text: str, legend: list) -> str:
    """Short access words in the table; a long taint list goes to a numbered legend below it."""
    if len(text) <= 10:
        return text
    marks = [m for m, t in legend if t == text]
    if not marks:
        marks = [f"[{len(legend) + 1}]"]
        legend.append((marks[0], f"closed by taint {text}: only pods that tolerate it"))
    return f"taint {marks[0]}"


def _n(value) -> str:
    return "?" if value is None else str(value)
