"""`--format codequality` (issue 16.3): every golden case's diagnostics as GitLab's code-quality report, at
the lines the text diagnostics name, with fingerprints that survive a finding moving to another line."""
from __future__ import annotations

import json
import re
import shutil

import jsonschema
import pytest

from nf_testlib import CASES, nautiform

# The fields GitLab reads from a code-quality report (docs: ci/testing/code_quality, "report format").
REPORT = {"type": "array", "items": {
    "type": "object", "required": ["description", "check_name", "fingerprint", "severity", "location"],
    "properties": {"description": {"type": "string", "minLength": 1}, "check_name": {"type": "string", "minLength": 1},
                   "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
                   "location": {"type": "object", "required": ["path", "lines"],
                                "properties": {"path": {"type": "string"},
                                               "lines": {"type": "object", "required": ["begin"],
                                                         "properties": {"begin": {"type": "integer", "minimum": 1}}}}}}}}
FAILING = sorted(p for p in CASES.iterdir() if (p / "expected.txt").is_file() and (p / "project.yaml").is_file())


@pytest.mark.parametrize("case", FAILING, ids=[p.name for p in FAILING])
def test_every_failing_case_reports_its_findings_where_the_text_does(case, tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(case, work / "sub", ignore=shutil.ignore_patterns("expected*"))
    run = nautiform("check", "sub/project.yaml", "--out", "sub/generated", "--format", "codequality", cwd=work)
    assert run.code == 1
    report = json.loads(run.out)  # stdout is the report alone; the text diagnostics went to stderr
    jsonschema.validate(report, REPORT)
    text = [line for line in (case / "expected.txt").read_text().splitlines() if re.match(r"project\.yaml(:\d+)+: ", line)]
    assert len(report) == len(text)
    for finding, line in zip(report, text):
        where, severity, code = re.match(r"project\.yaml:(\d+):\d+: (\w+)\[([^\]]+)\]", line).groups()
        assert finding["location"] == {"path": "sub/project.yaml", "lines": {"begin": int(where)}}
        assert finding["check_name"] == code and finding["severity"] == {"error": "critical", "warning": "minor"}[severity]
    assert len({f["fingerprint"] for f in report}) == len(report)


def test_fingerprints_are_stable_when_findings_move(tmp_path):
    shutil.copy(CASES / "nautilus-limits-50pct" / "project.yaml", tmp_path / "project.yaml")
    first = json.loads(nautiform("check", "--format", "codequality", cwd=tmp_path).out)
    text = (tmp_path / "project.yaml").read_text()
    (tmp_path / "project.yaml").write_text("# a comment that moves every line\n\n" + text)
    moved = json.loads(nautiform("check", "--format", "codequality", cwd=tmp_path).out)
    assert [f["fingerprint"] for f in moved] == [f["fingerprint"] for f in first]
    assert [f["location"]["lines"]["begin"] for f in moved] == [f["location"]["lines"]["begin"] + 2 for f in first]
    assert "hint: raise the request" in first[0]["description"]


def test_a_clean_project_reports_nothing_and_a_stale_tree_keeps_stdout_a_report(tmp_path):
    shutil.copy(CASES / "minimal-job" / "project.yaml", tmp_path / "project.yaml")
    assert nautiform("compile", cwd=tmp_path).code == 0
    clean = nautiform("check", "--format", "codequality", cwd=tmp_path)
    assert clean.code == 0 and json.loads(clean.out) == [] and "is up to date" in clean.err
    job = next((tmp_path / "generated").glob("job-*.yaml"))
    job.write_text(job.read_text() + "# edited by hand\n")
    stale = nautiform("check", "--format", "codequality", cwd=tmp_path)
    assert stale.code == 1 and json.loads(stale.out) == [] and f"+++ compiled/{job.name}" in stale.err
