"""The real command, end to end (`python -m nautiform compile`): exit codes, no traceback, diagnostics,
an untouched output directory on failure, and the same bytes under different hash seeds."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import SEED_TREE, WALL_LIMIT, check_outcome, examples, run_cli, run_in_process
from mutations import mutated
from projects import STYLES, projects, to_yaml

# A subprocess costs ~0.5 s, so this is a small sample next to the in-process runs.
SETTINGS = dict(deadline=None, max_examples=max(examples(15) // 20, 15),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(**SETTINGS)
@given(mutated())
def test_cli_on_broken_input(text):
    with tempfile.TemporaryDirectory() as tmp:
        check_outcome(run_cli(Path(tmp), text), text, limit=WALL_LIMIT)


@settings(**SETTINGS)
@given(mutated())
def test_cli_json_format_on_broken_input(text):
    with tempfile.TemporaryDirectory() as tmp:
        o = run_cli(Path(tmp), text, "--format", "json")
    assert o.code in (0, 1) and "Traceback" not in o.out + o.err, o.err
    diags = json.loads(o.out) if o.out.strip() else []
    if o.code == 1:
        assert o.files == SEED_TREE
        errors = [d for d in diags if d["severity"] == "error"]
        assert errors and all(isinstance(d["line"], int) and isinstance(d["col"], int) for d in errors), o.out


@settings(**SETTINGS)
@given(projects(), st.sampled_from(STYLES))
def test_cli_valid_projects_same_bytes_under_any_hash_seed(project, style):
    text = to_yaml(project, style)
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_cli(Path(tmp) / seed, text, env={"PYTHONHASHSEED": seed}) for seed in ("0", "4242")]
        here = run_in_process(Path(tmp) / "here", text)
    for o in runs:
        check_outcome(o, text, limit=WALL_LIMIT)
        assert o.code == 0, o.err
    assert runs[0].files == runs[1].files == here.files
