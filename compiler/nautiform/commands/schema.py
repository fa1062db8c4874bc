"""`nautiform schema`: the JSON Schema of project.yaml, for editors and CI.

Editors find it through the first line of project.yaml (`# yaml-language-server: $schema=...`). `init`
writes it next to the project and points there, so completion works offline and matches the nautiform
that wrote the project; `check` says when that copy is stale or the line points at nothing.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

SCHEMA_ID = "https://nautiform.dev/schemas/project.schema.json"  # an identifier; nobody serves it
LOCAL = "project.schema.json"  # written by init next to project.yaml
_MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.M)


def schema_text() -> str:
    from ..model import Project

    defs: dict = {}
    Project.schema(defs)  # fills defs with every record; the root is Project's
    root = defs.pop("Project")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
              **root, "title": "nautiform project.yaml", "$defs": defs}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale_note(project: Path, text: str) -> str | None:
    """One line when the schema project.yaml points editors at is not this nautiform's (None if it is,
    or if the file names another schema on purpose)."""
    from .. import __version__

    m = _MODELINE.search(text[:2000])
    if m is None:
        return None
    ref = m.group(1)
    fix = f"nautiform schema > {LOCAL} and begin {project.name} with `# yaml-language-server: $schema=./{LOCAL}`"
    if ref == SCHEMA_ID:
        return f"warning: {project.name} points editors at {ref}, which nobody serves (no completion); {fix}"
    if "://" in ref:
        return None
    target = os.path.normpath(project.parent / ref)
    try:
        have = Path(target).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return f"warning: {target}, the schema named in {project.name}, cannot be read; write it: nautiform schema > {target}"
    if have != schema_text():
        return f"warning: {target} is not the schema of nautiform {__version__}; refresh it: nautiform schema > {target}"
    return None
