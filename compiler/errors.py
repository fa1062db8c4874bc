"""Diagnostics are data: every problem nautiform finds is one `Diagnostic`.

Stages never print or raise for user mistakes; they return diagnostics, the CLI
reports them all at once. `UserError` only carries a batch of them across a
stage boundary so that nothing after a failed stage runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    col: int  # 1-based


@dataclass(frozen=True)
class Diagnostic:
    code: str  # short machine id, e.g. "type", "unknown-key", "nrp-limits"
    message: str
    path: str = ""  # dotted path in project.yaml, e.g. "workloads.train.cpu"
    pos: Position | None = None
    hint: str = ""
    severity: str = "error"  # "error" | "warning"
    file: str = ""
    loc: tuple = ()  # path as a tuple; `place` turns it into `path` and `pos`

    def sort_key(self) -> tuple:
        pos = self.pos or Position(0, 0)
        return (self.file, pos.line, pos.col, self.path, self.code, self.message)


def diag(code: str, loc: tuple, message: str, hint: str = "", severity: str = "error") -> Diagnostic:
    """A diagnostic not yet placed in the file; the pipeline places it from `loc`."""
    return Diagnostic(code, message, dotted(loc), None, hint, severity, loc=tuple(loc))


@dataclass
class UserError(Exception):
    diagnostics: list[Diagnostic] = field(default_factory=list)


def dotted(loc: tuple | list) -> str:
    """('workloads', 'train', 'resources', 0) -> 'workloads.train.resources[0]'"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
