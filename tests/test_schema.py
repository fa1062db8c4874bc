"""schemas/project.schema.json is what `nautiform schema` prints, and the example satisfies it."""
from __future__ import annotations

import json

import jsonschema
from ruamel.yaml import YAML

from nf_testlib import ROOT, nautiform


def test_committed_schema_is_current():
    run = nautiform("schema")
    assert run.code == 0
    assert run.out == (ROOT / "schemas" / "project.schema.json").read_text()


def test_example_and_good_cases_validate_against_schema():
    schema = json.loads((ROOT / "schemas" / "project.schema.json").read_text())
    files = [ROOT / "project.example.yaml"] + [p.parent / "project.yaml" for p in (ROOT / "tests/cases").glob("*/expected")]
    assert len(files) > 3
    for path in files:
        jsonschema.validate(YAML(typ="safe", pure=True).load(path.read_text()), schema)


def test_example_points_editors_at_the_schema():
    first = (ROOT / "project.example.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=schemas/project.schema.json"


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads((ROOT / "schemas" / "project.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
