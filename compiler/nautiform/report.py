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


# GitLab's code-quality report (artifacts:reports:codequality): its MR widget and diff annotations show
# each finding at its line of the project file.
SEVERITY = {"error": "critical", "warning": "minor"}


def as_codequality(diags: list[Diagnostic], project_path: str) -> str:
    """`project_path`: the project file as the repository names it. A finding's fingerprint is its
    file, code, YAML path and message - not its line, so GitLab sees a finding that moved as the same."""
    import hashlib

    out: list[dict] = []
    seen: dict[str, int] = {}
    for d in diags:
        key = "\0".join((project_path, d.code, d.path, d.message))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:  # two identical findings must stay two
            key += f"\0{seen[key]}"
        text = (f"{d.path}: {d.message}" if d.path else d.message) + (f" (hint: {d.hint})" if d.hint else "")
        out.append({"check_name": d.code, "description": text,
                    "fingerprint": hashlib.sha256(key.encode("utf-8")).hexdigest(),
                    "severity": SEVERITY.get(d.severity, "info"),
                    "location": {"path": project_path, "lines": {"begin": d.pos.line if d.pos else 1}}})
    return json.dumps(out, indent=2)
