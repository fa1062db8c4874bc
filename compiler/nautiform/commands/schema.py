"""`nautiform schema`: the JSON Schema of project.yaml, for editors and CI."""
from __future__ import annotations

import json

SCHEMA_ID = "https://nautiform.dev/schemas/project.schema.json"


def schema_text() -> str:
    from ..model import Project

    defs: dict = {}
    Project.schema(defs)  # fills defs with every record; the root is Project's
    root = defs.pop("Project")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
              **root, "title": "nautiform project.yaml", "$defs": defs}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
