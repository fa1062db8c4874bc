"""Broken projects: exit 0 or 1, never a traceback, `file:line:col` diagnostics on 1, a few seconds at most,
and an output directory left byte-for-byte as it was when the compile fails."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from harness import check_outcome, examples, run_in_process
from mutations import mutated

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.large_base_example])


@settings(max_examples=examples(600), **SETTINGS)
@given(mutated())
def test_mutated_projects_fail_cleanly(text):
    with tempfile.TemporaryDirectory() as tmp:
        check_outcome(run_in_process(Path(tmp), text), text)
