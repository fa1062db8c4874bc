"""Valid generated projects compile, pass kubernetes-validate --strict and the API server's
other checks (kube.py), and compile to identical bytes twice."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import check_outcome, examples, run_in_process
from kube import problems
from projects import STYLES, projects, to_yaml

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=examples(150), **SETTINGS)
@given(projects(), st.sampled_from(STYLES))
def test_valid_projects_compile_validate_and_repeat(project, style):
    text = to_yaml(project, style)
    with tempfile.TemporaryDirectory() as tmp:
        first = run_in_process(Path(tmp) / "a", text)
        check_outcome(first, text)
        assert first.code == 0, f"{first.err}\n{text}"
        assert "error[" not in first.err
        found = problems(first.files)
        assert not found, "\n".join(found) + "\n" + text
        second = run_in_process(Path(tmp) / "b", text)
        assert second.code == 0 and second.files == first.files
