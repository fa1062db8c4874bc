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


class Diagnostic(namedtuple("Diagnostic", "code message path pos hint severity file loc",
                            defaults=("", None, "", "error", "", ()))):
    """code: short machine id, e.g. "type", "unknown-key", "nrp-limits"; path: dotted path in project.yaml,
    e.g. "workloads.train.cpu"; pos: Position or None; severity: "error" | "warning";
    loc: the path as a tuple (`pipeline.place` turns it into `path` and `pos`)."""

    __slots__ = ()

    def sort_key(self) -> tuple:
        pos = self.pos or Position(0, 0)
        return (self.file, pos.line, pos.col, self.path, self.code, self.message)


def diag(code: str, loc: tuple, message: str, hint: str = "", severity: str = "error") -> Diagnostic:
    """A diagnostic not yet placed in the file; the pipeline places it from `loc`."""
    return Diagnostic(code, message, dotted(loc), None, hint, severity, loc=tuple(loc))


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
