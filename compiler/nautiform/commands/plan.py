"""`nautiform plan`: what merging this change will do.

Two views. From git alone (always): generated/ at the base commit against the working tree —
objects created, changed, replaced and pruned, project moves, volumes at risk. With cluster access
(KUBECONFIG set, or --cluster): the same decisions `apply` will take, computed by the same code
(reconcile.py) against the live cluster and the ledger. The git view cannot know which Jobs already
ran, what runs now, or what others made by hand; it says so.
"""
from __future__ import annotations

import os
import sys
from collections import namedtuple
from pathlib import Path

from .. import cost, kube, live, points, sweeps, volumes
from ..gitrepo import GitError, files_at
from ..manifests import Obj, TreeError, declared_tree, parse_tree
from ..owner import commit_id, repo_identity
from ..reconcile import reconcile
from ..writer import read_tree
from . import show

Step = namedtuple("Step", "action kind name note", defaults=("",))
INPUTS = "nautiform.io/inputs"  # create | change | replace | prune | unchanged
CANNOT_KNOW = ("without cluster access this plan cannot know which Jobs already ran (skipped by apply), what runs "
               "now, or objects made by hand; `nautiform apply --dry-run` (or plan with KUBECONFIG) shows them")


def diff_trees(base: list[Obj], head: list[Obj]) -> list[Step]:
    """Objects are matched by file (the stable workload/volume name), so a Job whose hash-suffixed
    name changed shows as 'replace', not as an unrelated create and prune."""
    old = {o.file: o for o in base}
    new = {o.file: o for o in head}
    cms = {o.name: o.body for o in base + head if o.kind == "ConfigMap"}
    steps = []
    for file in sorted(set(old) | set(new), key=lambda f: (f not in new, f)):
        a, b = old.get(file), new.get(file)
        if a is None:
            assert b is not None  # the file is in one of the trees
            steps.append(Step("create", b.kind, b.name, "starts empty" if b.kind == "PersistentVolumeClaim" else ""))
        elif b is None:
            steps.append(Step("prune", a.kind, a.name, "never deleted: kept with its data"
                              if a.kind == "PersistentVolumeClaim" else ""))
        elif a.name != b.name:
            steps.append(Step("replace", b.kind, b.name, _replace_note(a, b)))
        elif a.body != b.body:
            steps.append(Step("change", b.kind, b.name, _pvc_note(a, b) or _same_run_note(a, b, cms)))
        else:
            steps.append(Step("unchanged", b.kind, b.name))
    return steps


def _replace_note(old: Obj, new: Obj | None = None) -> str:
    why = changed_inputs(old.body, new.body) if new is not None else ""
    note = f"replaces {old.name}" + (f"; {why}" if why else "")
    if old.kind == "Job":
        return note + " (runs again; the old Job is stopped and pruned)"
    if old.kind == "Pod":
        return note + " (a running session in the old pod ENDS: unsaved work inside the container is lost)"
    return note


def changed_inputs(old: dict, new: dict) -> str:
    """Which declared inputs differ ("command changed", "image nf-1 -> nf-2", "dataset x changed"), from
    the per-input hashes the builder records in `nautiform.io/inputs`."""
    import json

    get = lambda b: json.loads((b["metadata"].get("annotations") or {}).get(INPUTS, "{}"))  # noqa: E731
    a, b = get(old), get(new)
    if not a or not b:
        return ""
    parts = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        if key == "image":
            parts.append(f"image {_image(old)} -> {_image(new)}")
        elif key.startswith("dataset:"):
            parts.append(f"dataset {key[8:]} " + ("added" if key not in a else "removed" if key not in b
                                                   else "changed"))
        else:
            parts.append(f"{key} changed")
    return ", ".join(parts)


def _image(body: dict) -> str:
    spec = body.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or spec
    ref = pod["containers"][0]["image"]
    return ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else ref


def new_points(a: dict, b: dict, cms: dict) -> tuple[int, int]:
    """(new, kept) points of a sweep whose inputs did not change, by point key."""
    before = set(points.keys(sweeps.cm_data(a, cms)))
    after = points.keys(sweeps.cm_data(b, cms))
    return sum(k not in before for k in after), sum(k in before for k in after)


def _same_run_note(a: Obj, b: Obj, cms: dict) -> str:
    """A Job or Pod whose name (its identity) stayed: no input changed, so nothing runs again."""
    if a.kind == "Job" and sweeps.is_sweep(b.body):
        new, kept = new_points(a.body, b.body, cms)
        return f"sweep: {new} new point(s), {kept} unchanged (not run again)"
    if a.kind in ("Job", "Pod"):
        return "no input changed: not run again (a live one keeps its settings)"
    return ""


def merge_cost(base: list[Obj], head: list[Obj]) -> cost.Cost:
    """The GPU-hours this merge can spend at most: new and replaced runs, and new sweep points."""
    old = {o.file: o for o in base}
    cms = {o.name: o.body for o in base + head if o.kind == "ConfigMap"}
    runs: list[tuple[dict, int | None]] = []
    for o in head:
        if o.kind not in ("Job", "Pod"):
            continue
        a = old.get(o.file)
        if a is None or a.name != o.name:
            runs.append((o.body, None))
        elif sweeps.is_sweep(o.body) and a.body != o.body:
            runs.append((o.body, new_points(a.body, o.body, cms)[0]))
    return cost.total(runs)


def _pvc_note(a: Obj, b: Obj) -> str:
    if a.kind != "PersistentVolumeClaim":
        return ""
    old, new = volumes.facts(a.body)["storage"], volumes.facts(b.body)["storage"]
    return f"storage {old} -> {new}" if old != new else ""


def moves(base: list[Obj], head: list[Obj]) -> list[str]:
    """A project rename, a namespace move, or a volume that looks renamed (one claim removed, one added)."""
    out = []
    where = lambda objs: {(o.namespace, o.project) for o in objs}  # noqa: E731
    if base and head and where(base) != where(head):
        (ns0, p0), (ns1, p1) = sorted(where(base))[0], sorted(where(head))[0]
        what = f"namespace {ns0} -> {ns1}" if p0 == p1 else f"project {p0} -> {p1}" + (
            f" (namespace {ns0} -> {ns1})" if ns0 != ns1 else "")
        out.append(f"{what}: the old runs keep going and the old volumes stay, with their data, where they are; the "
                   "new place starts with new, EMPTY volumes and runs every Job again")
    gone = [o.name for o in base if o.kind == "PersistentVolumeClaim" and o.file not in {h.file for h in head}]
    new = [o.name for o in head if o.kind == "PersistentVolumeClaim" and o.file not in {b.file for b in base}]
    if gone and new and not out:
        out.append(f"volume {gone[0]} removed and {new[0]} added: if this is a rename, {new[0]} starts EMPTY and the "
                   f"data stays in {gone[0]} (keep the old name, or copy the data first)")
    return out


def render(steps: list[Step], losses, found_moves: list[str], base_desc: str, markdown: bool,
           spend: cost.Cost | None = None) -> str:
    counts = {a: sum(s.action == a for s in steps) for a in ("create", "replace", "change", "prune", "unchanged")}
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items() if n and a != "unchanged") or "no changes"
    shown = [s for s in steps if s.action != "unchanged"]
    if markdown:
        lines = [f"### nautiform plan: {summary}", "", f"Compared with `{base_desc}`.", ""]
        if shown:
            lines += ["| action | kind | name | note |", "|---|---|---|---|"]
            lines += [f"| {s.action} | {s.kind} | `{s.name}` | {s.note} |" for s in shown]
        if spend is not None:
            lines.append(f"\n**GPU-hours**: {cost.describe(spend)}")
        lines += [f"\n**MOVE** — {m}" for m in found_moves]
        lines += [f"\n**DATA LOSS** — PersistentVolumeClaim `{x.name}` {x.what}: {x.detail}" for x in losses]
        return "\n".join(lines) + "\n"
    width = max([len(s.name) for s in shown] + [4])
    lines = [f"nautiform plan: generated/ at {base_desc} -> working tree: {summary}"]
    if shown:
        lines.append(f"  {'ACTION':<9} {'KIND':<22} {'NAME':<{width}}  NOTE")
        lines += [f"  {s.action:<9} {s.kind:<22} {s.name:<{width}}  {s.note}".rstrip() for s in shown]
    if spend is not None:
        lines.append(f"GPU-hours: {cost.describe(spend)}")
    lines += [f"MOVE: {m}" for m in found_moves]
    lines += [f"DATA LOSS: PersistentVolumeClaim {x.name} {x.what}: {x.detail}" for x in losses]
    return "\n".join(lines) + "\n"


def plan(out: Path, base: str | None, allow_data_loss: bool, markdown_file: Path | None,
         allow_move: bool = False, cluster: bool | None = None) -> int:
    try:
        base_desc, base_files = files_at(base, out)
    except GitError as exc:
        print(f"error: {exc}\n  hint: run plan inside the project's git repository, or pass --base REF", file=sys.stderr)
        return 1
    before, after = parse_tree(base_files), parse_tree(read_tree(out))
    steps, found_moves = diff_trees(before, after), moves(before, after)
    pvcs = lambda objs: {o.name: o.body for o in objs if o.kind == "PersistentVolumeClaim"}  # noqa: E731
    losses = volumes.losses(pvcs(before), pvcs(after), _existing_claims(after))
    for name, declared, kept in volumes.shrinks(pvcs(before), pvcs(after)):  # impossible, not a loss
        steps = [s._replace(note=f"storage cannot shrink ({kept} -> {declared}): it stays {kept}")
                 if s.name == name and s.kind == "PersistentVolumeClaim" else s for s in steps]
    spend = merge_cost(before, after)
    text = render(steps, losses, found_moves, base_desc, markdown=False, spend=spend)
    md = render(steps, losses, found_moves, base_desc, markdown=True, spend=spend)
    live_ok, live_text = _live(out, allow_data_loss, allow_move, cluster)
    print(text + live_text, end="")
    if markdown_file:
        markdown_file.write_text(md + "\n```\n" + live_text + "```\n")
    code = 0
    if losses and not allow_data_loss:
        print(f"refusing: {len(losses)} change(s) would lose data\n  hint: restore the volume in project.yaml, or "
              "release it from the project (`nautiform release pvc NAME`: data kept); --allow-data-loss to go on "
              "anyway (nautiform still never deletes a PVC)", file=sys.stderr)
        code = 1
    if found_moves and not allow_move:
        print("refusing: the project moves (see MOVE)\n  hint: if you mean it, pass --allow-move to plan and apply "
              "(README: renaming or moving a project)", file=sys.stderr)
        code = 1
    return code if live_ok else 1


def _existing_claims(objs: list[Obj]) -> set[str]:
    out = set()
    for o in objs:
        spec = o.body.get("spec") or {}
        pod = (spec.get("template") or {}).get("spec") or spec
        for v in pod.get("volumes") or [] if isinstance(pod, dict) else []:
            if "persistentVolumeClaim" in v:
                out.add(v["persistentVolumeClaim"]["claimName"])
    return out


def _live(out: Path, allow_data_loss: bool, allow_move: bool, cluster: bool | None) -> tuple[bool, str]:
    """(guards passed, text) of what apply would do on the live cluster; a note when it cannot be asked."""
    if cluster is False or (cluster is None and not os.environ.get("KUBECONFIG")):
        return True, f"note: {CANNOT_KNOW}\n"
    try:
        tree = declared_tree(read_tree(out))
    except TreeError as exc:
        return False, f"error: {out}/: {exc}\n"
    from .apply import marked, observe

    repo = repo_identity()
    try:
        snap = live.snapshot(tree, repo)
    except kube.KubeError as exc:
        if cluster:
            return False, f"error: {exc}\n"
        return True, f"note: the cluster could not be asked ({exc}); {CANNOT_KNOW}\n"
    observe(snap.ledger, snap)  # in memory only: plan writes nothing
    outcome = reconcile(marked(tree, repo, commit_id()), snap, tree.project, tree.namespace, repo)
    ok = show.guards_pass(outcome, tree, allow_data_loss, allow_move, snap)
    spend = cost.total([(a.body, None) for a in outcome.actions if a.verb in ("create", "recreate") and a.body])
    lines = [f"on the cluster (namespace {tree.namespace}), apply will: {show.summary(outcome)}; "
             f"GPU-hours: {cost.describe(spend)}"]
    lines += show.render(outcome) + [f"  note      {n}" for n in outcome.notes]
    return ok, "\n".join(lines) + "\n"
