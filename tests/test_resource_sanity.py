"""Resource sanity in a whole compile: bad units get a hint, zero and negative sizes and numbers finer
than 1m are errors, and requests above the profile's largest node never reach the cluster."""
from __future__ import annotations

import pytest

from nautiform.pipeline import compile_file

BASE = """version: 1
project: {{name: p, namespace: lab, profile: {profile}}}
image: {{ref: "python:3.11-slim"}}
volumes:
  v: {{size: {size}}}
workloads:
  w:
    kind: job
    command: [python, x.py]
    cpu: {cpu}
    memory: {memory}
    scratch: {{size: {scratch}}}
"""
OK = dict(profile="nautilus", size="10Gi", cpu="500m", memory="16Gi", scratch="1e3")


def _errors(tmp_path, **change):
    path = tmp_path / "project.yaml"
    path.write_text(BASE.format(**{**OK, **change}))
    result = compile_file(path)
    return [(d.code, d.path, d.message, d.hint) for d in result.diagnostics if d.severity == "error"]


def test_kubernetes_forms_compile(tmp_path):
    assert _errors(tmp_path) == []


@pytest.mark.parametrize("field,value,message,hint", [
    ("memory", "16GB", "'16GB' is not a Kubernetes quantity", "Kubernetes spells binary units Ki/Mi/Gi/Ti: write 16Gi"),
    ("size", "0", "0 must be greater than zero", "remove the field to request nothing"),
    ("size", "-5Gi", "'-5Gi' must be greater than zero", "remove the field to request nothing"),
    ("cpu", "-1", "-1 must be greater than zero", "remove the field to request nothing"),
    ("scratch", "0Gi", "'0Gi' must be greater than zero", "remove the field to request nothing"),
    ("cpu", "0.0001", "0.0001 has more precision than Kubernetes keeps (1m)", "round to 3 decimals"),
    ("memory", "\"" + "1" * 70 + "\"", "a quantity of 70 characters is out of range", "write e.g. 16Gi"),
])
def test_bad_quantities(tmp_path, field, value, message, hint):
    path = {"size": "volumes.v.size", "scratch": "workloads.w.scratch.size"}.get(field, f"workloads.w.{field}")
    assert _errors(tmp_path, **{field: value}) == [("quantity", path, message, hint)]


def test_requests_above_the_largest_node(tmp_path):
    assert _errors(tmp_path, cpu="385", memory="2Ti", scratch="18T") == [
        ("capacity", "workloads.w.cpu", "cpu 385 is more than the largest node of nautilus has (384); the pod "
         "would never start", "request less"),
        ("capacity", "workloads.w.memory", "memory 2Ti is more than the largest node of nautilus has (1600G); the "
         "pod would never start", "request less"),
        ("capacity", "workloads.w.scratch.size", "scratch 18T makes the ephemeral-storage request 16763.8Gi, more "
         "than the largest node of nautilus has (17800G); the pod would never start", "use less scratch space"),
    ]


def test_generic_profile_has_no_node_limit(tmp_path):
    assert _errors(tmp_path, profile="generic", cpu="385", memory="2Ti", scratch="18T") == []
