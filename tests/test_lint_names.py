"""Rule name-collision (both origins named) and object names kept valid by shortening."""
from __future__ import annotations

import re

import pytest

from hypothesis import given
from hypothesis import strategies as st

from nautiform.names import object_name
from nautiform.pipeline import compile_file

BASE = """version: 1
project: {name: p, namespace: lab, profile: generic}
image: {ref: "python:3.11-slim"}
"""
LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _diags(tmp_path, text, code="name-collision"):
    path = tmp_path / "project.yaml"
    path.write_text(BASE + text)
    result = compile_file(path)
    return [(d.path, d.pos.line, d.message) for d in result.diagnostics if d.code == code]


def test_existing_claim_that_is_a_created_claim(tmp_path):
    text = "volumes:\n  data: {size: 1Gi}\n  old: {existing_claim: p-data}\nworkloads:\n  w: {kind: interactive}\n"
    assert _diags(tmp_path, text) == [("volumes.old.existing_claim", 6, "existing claim 'p-data' is the claim "
                                       "nautiform creates for volumes.data; both volumes would share it")]


def test_env_and_secret_env_from_defaults_and_workload(tmp_path):
    text = ("defaults:\n  env: {TOKEN_FILE: /x}\nworkloads:\n  w:\n    kind: interactive\n"
            "    secret_env: {TOKEN_FILE: {secret: s, key: k}}\n")
    assert _diags(tmp_path, text) == [("workloads.w.secret_env.TOKEN_FILE", 9, "environment variable TOKEN_FILE "
                                       "is set by both defaults.env.TOKEN_FILE and workloads.w.secret_env.TOKEN_FILE")]


def test_sweep_parameter_over_env(tmp_path):
    text = ("workloads:\n  s:\n    kind: sweep\n    command: [python, x.py]\n    env: {LR: '1'}\n"
            "    sweep: {grid: {lr: [1, 2]}}\n")
    assert _diags(tmp_path, text) == [("workloads.s.env.LR", 8, "environment variable LR is set by "
                                       "workloads.s.env.LR and by the sweep parameter 'lr' of workloads.s.sweep, "
                                       "which wins")]


def test_sweep_point_parameter(tmp_path):
    text = "workloads:\n  s:\n    kind: sweep\n    command: [x]\n    sweep: {grid: {sweep_point: [1]}}\n"
    assert [p for p, _, _ in _diags(tmp_path, text)] == ["workloads.s.sweep"]


def test_one_secret_mounted_twice(tmp_path):
    text = ("workloads:\n  w:\n    kind: interactive\n    secret_files:\n      - {secret: s, path: /a}\n"
            "      - {secret: s, path: /b}\n")
    assert _diags(tmp_path, text) == [("workloads.w.secret_files[1].secret", 9, "secret 's' is mounted by both "
                                       "workloads.w.secret_files[0] and workloads.w.secret_files[1]; a pod has one "
                                       "volume per secret")]


def test_long_names_compile_to_valid_names(tmp_path):
    name = "v" * 63
    text = (f"volumes:\n  {name}: {{size: 1Gi}}\nworkloads:\n  {'w' * 63}:\n    kind: interactive\n"
            f"    mounts: {{{name}: /data}}\n    secret_files: [{{secret: {'s' * 63}, path: /s}}]\n")
    path = tmp_path / "project.yaml"
    path.write_text(BASE.replace("name: p,", f"name: {'p' * 63},") + text)
    result = compile_file(path)
    assert result.ok, result.diagnostics
    names = re.findall(rb"\bname: (\S+)", b"".join(result.files.values()))
    bad = [n for n in names if not n.isupper() and (len(n) > 63 or not DNS.match(n.decode()))]  # env: upper
    assert names and not bad, bad


@given(st.lists(LABEL, min_size=1, max_size=3), st.sampled_from(["", "sweep", "0123abcd"]), st.integers(20, 63))
def test_object_names_are_short_valid_and_stable(parts, suffix, limit):
    name = object_name(*parts, suffix=suffix, limit=limit)
    assert len(name) <= limit and DNS.match(name) and name == object_name(*parts, suffix=suffix, limit=limit)
    full = "-".join(parts + ([suffix] if suffix else []))
    assert name == full or len(full) > limit


@pytest.mark.parametrize("setting,path,message", [
    ("priority_class: Not-A-Name", "workloads.w.priority_class", "'Not-A-Name' is not a DNS-1123 subdomain"),
    ("secret_env: {X: {secret: s, key: 'a b'}}", "workloads.w.secret_env.X.key", "'a b' is not a secret key"),
    ("secret_env: {X: {secret: s, key: '.'}}", "workloads.w.secret_env.X.key", "'.' is not a secret key"),
    ("secret_env: {X: {secret: s, key: '..x'}}", "workloads.w.secret_env.X.key", "'..x' is not a secret key"),
    ("region: ['us west']", "workloads.w.region[0]", "'us west' is not a label value"),
    ("gpu: {count: 1, resource: 'gpu please'}", "workloads.w.gpu.resource", "'gpu please' is not a qualified name"),
    ("gpu: {count: 1, products: ['RTX 3090']}", "workloads.w.gpu.products[0]", "'RTX 3090' is not a label value"),
    ("tolerations: [{key: 'a b'}]", "workloads.w.tolerations[0].key", "'a b' is not a qualified name"),
])
def test_names_the_api_server_checks(tmp_path, setting, path, message):
    text = f"workloads:\n  w:\n    kind: interactive\n    {setting}\n"
    assert [(p, m) for p, _, m in _diags(tmp_path, text, "name-format")] == [
        (path, message + ", so the cluster would refuse the object")]


def test_exists_toleration_takes_no_value(tmp_path):
    text = "workloads:\n  w:\n    kind: interactive\n    tolerations: [{key: a, operator: Exists, value: b}]\n"
    assert _diags(tmp_path, text, "name-format") == [("workloads.w.tolerations[0].value", 7, "a toleration with "
                                                      "operator Exists matches any value and takes none; the cluster "
                                                      "would refuse the object")]


def test_storage_class(tmp_path):
    text = "volumes:\n  v: {size: 1Gi, storage_class: Fast_SSD}\nworkloads:\n  w: {kind: interactive}\n"
    assert [p for p, _, _ in _diags(tmp_path, text, "name-format")] == ["volumes.v.storage_class"]
