"""The published schema and the validator agree (issue 12, item 13): for generated documents, valid ones
and ones mutated at a random place, the validator accepts exactly when schemas/project.schema.json does.

Left out, each for a reason the schema cannot express (README, "What the schema cannot say"):
- NaN and infinities: JSON has neither, so no schema keyword can name them;
- a range [low, high] with low >= high: JSON Schema cannot compare two values of a document;
- quantities finer than 1m (cpu: 0.0001) and durations over 3650d: both need arithmetic on the number;
- an image reference holding a credential: the validator lets it through so that `secret-literal`
  reports it without echoing it; the schema refuses it.
References between sections (a mount of an undeclared volume, an unknown dataset) are lint rules, not
validation: neither side judges them here.
"""
from __future__ import annotations

import json
import math

import jsonschema
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from harness import examples
from nautiform import quantity
from nautiform.fields import _duration
from nautiform.lint.secrets import find
from nautiform.model import Project
from nautiform.records import Invalid, Rejected
from mutations import _get, paths
from nf_testlib import ROOT
from projects import projects

SCHEMA = jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "project.schema.json").read_text()))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Values a person (or an editor's completion) puts in the wrong place.
ODD = st.sampled_from([None, 0, -1, 1, 0.5, True, False, "", " ", "x", "0", "0s", "0Gi", "-5Gi", "1e3", "16GB",
                       "500m", "1.5", "6h", "90s", "ftp://x", "s3://b/p", "volume://v/x", "/data", "/data/", "//x",
                       "/./", "/..", "rel/path", "../up", "0" * 64, "a" * 64, "git@host:org/repo",
                       "https://h/r.git", "x@sha256:" + "0" * 64, "x@sha256:REPLACE", "ReadWriteMany", "job",
                       "sweep", "interactive", "NVIDIA-A10", [], [1, 2], [2, 1], [0, 1], ["a"], {}, {"x": 1},
                       {"size": "1Gi"}, {"existing_claim": "c"}, {"ref": "x"}, {"build": {"repository": "r"}},
                       {"http": {"url": "u", "sha256": "a" * 64}}])
KEYS = st.sampled_from(["ref", "build", "size", "existing_claim", "storage_class", "ssh_key", "credentials",
                        "scratch", "volume", "path", "deadline", "cpu", "to", "grid", "points", "random", "choice",
                        "uniform", "loguniform", "randint", "http", "s3", "unknown_key"])


def validator_accepts(doc) -> bool:
    try:
        Project.from_data(doc)
    except Rejected:
        return False
    return True


def outside_schema(doc) -> str:
    """The reason this document is one the schema cannot judge like the validator, or ''."""
    for path, value in _walk(doc):
        if isinstance(value, float) and not math.isfinite(value):
            return "NaN or infinity"
        key = path[-1] if path else None
        if key in ("uniform", "loguniform", "randint") and isinstance(value, list) and len(value) == 2 and \
                all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) and \
                not value[0] < value[1]:
            return "an empty range"
        if key in ("cpu", "memory", "ephemeral_storage", "size", "shm", "min_memory") and _too_fine(value):
            return "a quantity finer than 1m"
        if key in ("deadline", "ttl_after_finished") and isinstance(value, str) and _too_long(value):
            return "a duration over 3650d"
        if key == "ref" and path[-2:-1] == ("image",) and isinstance(value, str) and find(value):
            return "a credential in image.ref"
    return ""


def _walk(value):
    """(path, value) for every place in `value`."""
    return ((p, _get(value, p)) for p in paths(value))


def _too_fine(value) -> bool:
    try:
        q = quantity.parse(value)
    except (quantity.QuantityError, ValueError, ZeroDivisionError):
        return False
    return q > 0 and (q * 1000).denominator != 1


def _too_long(value: str) -> bool:
    try:
        _duration(value)
    except Invalid as exc:
        return "out of range" in exc.message and not value.startswith("0")
    return False


@st.composite
def mutated(draw):
    """A valid project with one to three edits at random places: a value replaced, a key removed or added."""
    doc = json.loads(json.dumps(draw(projects())))  # a plain copy (tuples become lists)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p, v in _walk(doc) if isinstance(v, dict) and p]
        if not places:
            break
        place = draw(st.sampled_from(places))
        node = doc
        for part in place:
            node = node[part]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "add" or not node:
            node[draw(KEYS)] = draw(ODD)
        elif action == "remove":
            del node[draw(st.sampled_from(sorted(node)))]
        else:
            node[draw(st.sampled_from(sorted(node)))] = draw(ODD)
    return doc


@settings(max_examples=examples(300), **SETTINGS)
@given(st.one_of(projects(), mutated()))
def test_validator_and_schema_agree(doc):
    doc = json.loads(json.dumps(doc, allow_nan=True))
    reason = outside_schema(doc)
    event(f"left out: {reason}" if reason else "compared")
    assume(not reason)
    by_validator, by_schema = validator_accepts(doc), SCHEMA.is_valid(doc)
    event("both accept" if by_validator and by_schema else "both refuse" if by_validator == by_schema else "differ")
    note(json.dumps(doc, indent=1))
    if not by_schema:
        note("schema: " + "; ".join(e.message[:200] for e in SCHEMA.iter_errors(doc)))
    assert by_validator == by_schema, f"validator {'accepts' if by_validator else 'refuses'}, schema " \
                                      f"{'accepts' if by_schema else 'refuses'}"


@given(st.just(None))
@settings(max_examples=1)
def test_the_issue_examples_are_refused_by_both(_):
    base = {"version": 1, "project": {"name": "p", "namespace": "n"}, "image": {"ref": "python:3.12"},
            "workloads": {"t": {"kind": "job", "command": ["python"]}}}
    job = base["workloads"]["t"]
    bad = [{"image": {}}, {"image": {"ref": "x", "build": {"repository": "r"}}}, {"volumes": {"d": {}}},
           {"workloads": {"t": {**job, "deadline": 0}}}, {"workloads": {"t": {**job, "cpu": 0}}},
           {"workloads": {"t": {**job, "outputs": {"to": "ftp://x"}}}}, {"code": {"repo": "git@h:o/r"}},
           {"datasets": {"a": {"source": {"http": {"url": "u", "sha256": "0" * 64}}, "scratch": True}}},
           {"image": {"ref": "x@sha256:REPLACE_ME"}}]
    assert validator_accepts(base) and SCHEMA.is_valid(base)
    for change in bad:
        doc = {**base, **change}
        assert not validator_accepts(doc) and not SCHEMA.is_valid(doc), change
