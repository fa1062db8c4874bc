"""Golden cases: tests/cases/<name>/project.yaml compiles to expected/ (a tree) or fails with
expected.txt (the exact diagnostics). A new folder is a new test; refresh with --update-golden."""
from __future__ import annotations

import difflib
import shutil

import pytest

from nf_testlib import CASES, nautiform, tree

CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "project.yaml").is_file())


def _diff(want: str, got: str, name: str) -> str:
    return "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"expected/{name}", f"got/{name}"))


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(case, tmp_path, update_golden):
    work = tmp_path / case.name
    shutil.copytree(case, work, ignore=shutil.ignore_patterns("expected", "expected.txt"))
    out = work / "generated"
    run = nautiform("compile", "project.yaml", "--out", "generated", cwd=work)
    assert "Traceback" not in run.err
    expected_tree, expected_txt = case / "expected", case / "expected.txt"
    if update_golden:
        shutil.rmtree(expected_tree, ignore_errors=True)
        expected_txt.unlink(missing_ok=True)
        if run.code == 0:
            shutil.copytree(out, expected_tree)
        else:
            expected_txt.write_text(run.err)
    if expected_txt.exists():
        assert run.code == 1, f"expected diagnostics, compile exited {run.code}"
        assert not out.exists(), "a failed compile must write nothing"
        assert run.err == expected_txt.read_text(), _diff(expected_txt.read_text(), run.err, "expected.txt")
    else:
        assert run.code == 0, run.err
        want, got = tree(expected_tree), tree(out)
        assert sorted(got) == sorted(want)
        for name in want:
            assert got[name] == want[name], _diff(want[name].decode(), got[name].decode(), name)


def test_every_case_has_an_expectation():
    for case in CASE_DIRS:
        assert (case / "expected").is_dir() or (case / "expected.txt").is_file(), case.name
