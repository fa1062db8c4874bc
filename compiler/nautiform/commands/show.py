"""How `apply`, `apply --dry-run` and the live part of `plan` print reconcile's decisions, and the
guards all three share (foreign objects, data loss, project moves)."""
from __future__ import annotations

import json
import sys

from .. import kube, rbac, volumes
from ..owner import FIELD_MANAGER
from ..reconcile import CHANGES, SHORT

PAST = {"create": "created", "update": "updated", "patch": "patched", "recreate": "recreated", "prune": "pruned",
        "release": "released", "keep-pvc": "kept", "unchanged": "unchanged", "keep": "kept", "skip": "skipped",
        "hold": "held", "defer": "deferred"}
def line(a, done: bool = False) -> str:
    verb = PAST.get(a.verb, a.verb) if done else a.verb
    reason = f": {a.reason}" if a.reason else ""
    return f"  {verb:<9} {SHORT.get(a.kind, a.kind)}/{a.name}{reason}"


def render(outcome, shown=None) -> list[str]:
    """Plan lines: every action except the quiet ones (unchanged volumes and ConfigMaps)."""
    return [line(a) for a in outcome.actions if a.verb != "unchanged" and (shown is None or a.verb in shown)]


def summary(outcome) -> str:
    counts: dict[str, int] = {}
    for a in outcome.actions:
        if a.verb in CHANGES + ("skip", "hold"):
            counts[a.verb] = counts.get(a.verb, 0) + 1
    return ", ".join(f"{n} to {v}" for v, n in counts.items()) or "nothing to change"


def guards_pass(outcome, tree, allow_data_loss: bool, allow_move: bool, snap) -> bool:
    ok = True
    for text in outcome.refusals:
        print(f"error: {text}", file=sys.stderr)
        ok = False
    pods = [o for o in snap.labelled if o["kind"] == "Pod"]
    for loss in outcome.losses:
        print(f"DATA LOSS: PersistentVolumeClaim {loss.name} {loss.what}: {loss.detail}\n"
              f"  hint: {volumes.way_out(loss, tree.namespace, volumes.mounted_by(pods, loss.name))}", file=sys.stderr)
    if outcome.losses and not allow_data_loss:
        print("  (--allow-data-loss applies anyway; the claim is still never deleted)", file=sys.stderr)
        ok = False
    for name, declared, kept in outcome.shrinks:
        print(f"warning: pvc/{name} is {kept} on the cluster, project.yaml says {declared}; volumes cannot shrink, "
              f"it stays {kept}\n  hint: set its size to {kept} in project.yaml", file=sys.stderr)
    for old in outcome.moves:
        print(f"MOVE: this repository also deployed project {old!r} in {tree.namespace}; its runs and volumes stay "
              f"there (a rename starts {tree.project!r} with new, empty volumes)\n"
              f"  hint: `nautiform cleanup {old}` stops its runs and releases its volumes (data kept); "
              "pass --allow-move if the rename is intended", file=sys.stderr)
    if outcome.moves and not allow_move:
        ok = False
    if outcome.ledger_lost:
        print(f"warning: the ledger of {tree.project} is missing or unreadable; declared Jobs that are not on the "
              "cluster are held, not re-run (they may have finished); `nautiform rerun WORKLOAD` runs one again",
              file=sys.stderr)
    return ok


def dry_run(outcome, tree) -> int:
    """Permissions for every verb the apply would use, then the API server's own dry run of every write."""
    needed = rbac.needed(outcome.changes)
    denied = [(v, r) for v, r in sorted(needed) if kube.can_i(tree.namespace, v, r) is False]
    writes = [a.body for a in outcome.actions if a.verb in ("create", "update", "recreate") and a.body]
    if writes:
        kube.run("apply", "--server-side", "--dry-run=server", f"--field-manager={FIELD_MANAGER}", "--force-conflicts",
                 "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": writes}))
    print(f"nautiform apply --dry-run: {summary(outcome)} in namespace {tree.namespace} (server accepted "
          f"{len(writes)} write(s))")
    print("\n".join(render(outcome)) or "  (nothing)")
    for note in outcome.notes:
        print(f"  note      {note}")
    for verb, resource in denied:
        print(f"error: not allowed to {verb} {resource} in {tree.namespace}\n  hint: grant it to the deploy "
              "account (`nautiform rbac` writes a Role with exactly what apply needs)", file=sys.stderr)
    return 1 if denied else 0
