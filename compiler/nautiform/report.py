"""Print diagnostics for people (file:line:col, source line, hint) or as JSON for machines."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import Diagnostic


def text(diags: list[Diagnostic], source_lines: dict[str, list[str]]) -> str:
    out = []
    for d in diags:
        pos = d.pos
        where = f"{d.file}:{pos.line}:{pos.col}" if pos else d.file
        path = f" {d.path}:" if d.path else ""
        out.append(f"{where}: {d.severity}[{d.code}]{path} {d.message}")
        lines = source_lines.get(d.file) or []
        # A secret's own line would print the secret into CI logs: show only where it is.
        if pos and 0 < pos.line <= len(lines) and d.code != "secret-literal":
            src = lines[pos.line - 1].replace("\t", " ")
            out.append(f"  {pos.line:>4} | {src}")
            out.append(f"       | {' ' * (pos.col - 1)}^")
        if d.hint:
            out.append(f"  hint: {d.hint}")
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    if diags:
        out.append(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return "\n".join(out)


def as_json(diags: list[Diagnostic]) -> str:
    return json.dumps([{"file": d.file, "line": d.pos.line if d.pos else None, "col": d.pos.col if d.pos else None,
                        "severity": d.severity, "code": d.code, "path": d.path, "message": d.message,
                        "hint": d.hint} for d in diags], indent=2)


def source_lines_of(path: Path) -> dict[str, list[str]]:
    try:
        return {path.name: path.read_text(encoding="utf-8-sig").splitlines()}
    except (OSError, UnicodeDecodeError):
        return {}
