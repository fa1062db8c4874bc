"""`nautiform plan`: what merging this change will create, change and prune — data loss flagged."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ..dataloss import pvc_losses
from ..gitrepo import GitError, files_at
from ..manifests import Obj, parse_tree
from ..writer import read_tree


@dataclass(frozen=True)
class Step:
    action: str  # create | change | replace | prune | unchanged
    kind: str
    name: str
    note: str = ""


def diff_trees(base: list[Obj], head: list[Obj]) -> list[Step]:
    """Objects are matched by file (the stable workload/volume name), so a Job whose hash-suffixed
    name changed shows as 'replace', not as an unrelated create and prune."""
    old = {o.file: o for o in base}
    new = {o.file: o for o in head}
    steps = []
    for file in sorted(set(old) | set(new), key=lambda f: (f not in new, f)):
        a, b = old.get(file), new.get(file)
        if a is None:
            steps.append(Step("create", b.kind, b.name))
        elif b is None:
            steps.append(Step("prune", a.kind, a.name, "never deleted" if a.kind == "PersistentVolumeClaim" else ""))
        elif a.name != b.name:
            note = f"replaces {a.name}" + (" (runs again; the old Job is stopped and pruned)" if b.kind == "Job" else "")
            steps.append(Step("replace", b.kind, b.name, note))
        elif a.body != b.body:
            steps.append(Step("change", b.kind, b.name, _pvc_note(a, b)))
        else:
            steps.append(Step("unchanged", b.kind, b.name))
    return steps


def _pvc_note(a: Obj, b: Obj) -> str:
    if a.kind != "PersistentVolumeClaim":
        return ""
    size = lambda o: o.body["spec"]["resources"]["requests"]["storage"]  # noqa: E731
    return f"storage {size(a)} -> {size(b)}" if size(a) != size(b) else ""


def render(steps: list[Step], losses, base_desc: str, markdown: bool) -> str:
    counts = {a: sum(s.action == a for s in steps) for a in ("create", "replace", "change", "prune", "unchanged")}
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items() if n and a != "unchanged") or "no changes"
    shown = [s for s in steps if s.action != "unchanged"]
    if markdown:
        lines = [f"### nautiform plan: {summary}", "", f"Compared with `{base_desc}`.", ""]
        if shown:
            lines += ["| action | kind | name | note |", "|---|---|---|---|"]
            lines += [f"| {s.action} | {s.kind} | `{s.name}` | {s.note} |" for s in shown]
        for loss in losses:
            lines.append(f"\n**DATA LOSS** — PersistentVolumeClaim `{loss.name}` {loss.what}: {loss.detail}")
        return "\n".join(lines) + "\n"
    width = max([len(s.name) for s in shown] + [4])
    lines = [f"nautiform plan: generated/ at {base_desc} -> working tree: {summary}"]
    if shown:
        lines.append(f"  {'ACTION':<9} {'KIND':<22} {'NAME':<{width}}  NOTE")
        lines += [f"  {s.action:<9} {s.kind:<22} {s.name:<{width}}  {s.note}".rstrip() for s in shown]
    for loss in losses:
        lines.append(f"DATA LOSS: PersistentVolumeClaim {loss.name} {loss.what}: {loss.detail}")
    return "\n".join(lines) + "\n"


def plan(out: Path, base: str | None, allow_data_loss: bool, markdown_file: Path | None) -> int:
    try:
        base_desc, base_files = files_at(base, out)
    except GitError as exc:
        print(f"error: {exc}\n  hint: run plan inside the project's git repository, or pass --base REF", file=sys.stderr)
        return 1
    before, after = parse_tree(base_files), parse_tree(read_tree(out))
    steps = diff_trees(before, after)
    pvcs = lambda objs: {o.name: o.body for o in objs if o.kind == "PersistentVolumeClaim"}  # noqa: E731
    losses = pvc_losses(pvcs(before), pvcs(after))
    print(render(steps, losses, base_desc, markdown=False), end="")
    if markdown_file:
        markdown_file.write_text(render(steps, losses, base_desc, markdown=True))
    if losses and not allow_data_loss:
        print(f"refusing: {len(losses)} change(s) would lose data\n  hint: restore the volume in project.yaml; if "
              "you really mean it, pass --allow-data-loss (nautiform still never deletes a PVC: delete it by hand)",
              file=sys.stderr)
        return 1
    return 0
