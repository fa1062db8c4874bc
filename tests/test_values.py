"""Submit-time values (values.py): generated/ holds only defaults and the declaration, whatever the
environment of the compile; apply fills them from --value, NAUTIFORM_VALUE_<NAME>, from_env, default."""
from __future__ import annotations

import json

from nautiform import values
from nf_testlib import nautiform

PROJECT = """\
version: 1
project: {name: lab, namespace: lab, profile: generic}
image: {ref: "python:3.12"}
values:
  run_id: {from_env: CI_PIPELINE_ID, default: local}
  sweep_id: {description: the W&B sweep}
workloads:
  agents: {kind: job, command: [wandb, agent], cpu: 1, memory: 1Gi, value_env: {SWEEP_ID: sweep_id, RUN: run_id}}
"""


def test_a_compile_never_writes_values_from_its_environment(tmp_path):
    (tmp_path / "project.yaml").write_text(PROJECT)
    env = {"NAUTIFORM_VALUE_SWEEP_ID": "abc123", "CI_PIPELINE_ID": "4242"}
    assert nautiform("compile", cwd=tmp_path, env=env).code == 0
    text = (tmp_path / "generated" / "configmap-values.yaml").read_text()
    assert "abc123" not in text and "4242" not in text and "run_id: local" in text
    assert nautiform("check", cwd=tmp_path).code == 0  # the same bytes without that environment


def _configmap(data=None) -> dict:
    decl = {"run_id": {"from_env": "CI_PIPELINE_ID", "required": False}, "sweep_id": {"required": True}}
    return {"kind": "ConfigMap", "metadata": {"annotations": {values.DECLARATION: json.dumps(decl)}},
            "data": data or {"run_id": "local"}}


def test_values_come_from_the_option_then_the_variables_then_the_default():
    body, errors = values.fill(_configmap(), {"sweep_id": "a"}, {"NAUTIFORM_VALUE_SWEEP_ID": "b"})
    assert (body["data"], errors) == ({"run_id": "local", "sweep_id": "a"}, [])
    body, _ = values.fill(_configmap(), {}, {"NAUTIFORM_VALUE_SWEEP_ID": "b", "CI_PIPELINE_ID": "7"})
    assert body["data"] == {"run_id": "7", "sweep_id": "b"}
    body, _ = values.fill(_configmap(), {}, {"NAUTIFORM_VALUE_RUN_ID": "8", "CI_PIPELINE_ID": "7",
                                             "NAUTIFORM_VALUE_SWEEP_ID": "b"})
    assert body["data"]["run_id"] == "8"


def test_a_required_value_nothing_gives_is_an_error_that_names_every_source():
    body, errors = values.fill(_configmap(), {}, {})
    assert errors == ["value 'sweep_id' has no default and was not given\n"
                      "  hint: give it with --value sweep_id=... or NAUTIFORM_VALUE_SWEEP_ID"]
    assert values.parse(("sweep_id=x", "bad")) == ({"sweep_id": "x"}, [
        "--value 'bad' is not NAME=TEXT\n  hint: e.g. --value wandb_sweep=abc123"])
