"""Diagnostics are data: every problem nautiform finds is one `Diagnostic`.

Stages never print or raise for user mistakes; they return diagnostics, the CLI
reports them all at once. `UserError` only carries a batch of them across a
stage boundary so that nothing after a failed stage runs.
"""
from __future__ import annotations

from collections import namedtuple

# Named tuples rather than dataclasses: they are immutable, ordered and compared by value all the
# same, and a dataclass costs ~0.5 ms to create at every start (issue 7: the compile's time budget).


class Position(namedtuple("Position", "line col")):
    """1-based line and column."""

    __slots__ = ()


class Diagnostic(namedtuple("Diagnostic", "code message path pos hint severity file loc workload at_key",
                            defaults=("", None, "", "error", "", (), "", False))):
    """code: short machine id, e.g. "type", "unknown-key", "nrp-limits"; path: dotted path in project.yaml,
    e.g. "workloads.train.cpu"; pos: Position or None; severity: "error" | "warning";
    loc: the path as a tuple (`pipeline.place` turns it into `path` and `pos`); workload: the workload a
    rule judged, so that a problem in `defaults` shared by several is reported once, naming them; at_key:
    placed at the key of `loc` rather than its value (a key that should not be there)."""

    __slots__ = ()

    def sort_key(self) -> tuple:
        pos = self.pos or Position(0, 0)
        return (self.file, pos.line, pos.col, self.path, self.code, self.message)


def diag(code: str, loc: tuple, message: str, hint: str = "", severity: str = "error",
         workload: str = "", at_key: bool = False) -> Diagnostic:
    """A diagnostic not yet placed in the file; the pipeline places it from `loc`."""
    return Diagnostic(code, message, dotted(loc), None, hint, severity, loc=tuple(loc), workload=workload,
                      at_key=at_key)


def merge_shared(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per problem: rules judge each workload, so a value set in `defaults` that breaks a
    rule was reported (and counted) once per workload, naming none. Same code, place and message ->
    one diagnostic that names the workloads it applies to."""
    groups: dict = {}
    for d in diags:
        groups.setdefault((d.code, d.loc, d.message, d.hint, d.severity), []).append(d)
    out = []
    for group in groups.values():
        first = group[0]
        if first.loc[:1] == ("defaults",):
            names = sorted({d.workload for d in group if d.workload})
            if names:
                label = "workload" if len(names) == 1 else "workloads"
                first = first._replace(message=f"{first.message} (in {label} {', '.join(names)})")
        out.append(first)
    return out


class UserError(Exception):
    def __init__(self, diagnostics: list[Diagnostic] | None = None):
        super().__init__(diagnostics)
        self.diagnostics = diagnostics if diagnostics is not None else []


def dotted(loc: tuple | list) -> str:
    """('workloads', 'train', 'resources', 0) -> 'workloads.train.resources[0]'"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
