"""The pipeline definition: valid for GitLab, and the kaniko path (not run here: no container engine)
checked for syntax, NRP's recommended settings and variables that really exist."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FILES = [ROOT / ".gitlab-ci.yml", ROOT / "compiler/nautiform/templates/gitlab-ci.yml"]


class Reference:  # GitLab's !reference tag, for reading the file in tests
    yaml_tag = "!reference"


def load(path: Path) -> dict:
    yaml = YAML(typ="safe", pure=True)
    yaml.register_class(Reference)
    return yaml.load(path.read_text())


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_valid_against_gitlab_schema(path):
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", "--data-transform",
                           "gitlab-ci", "--regex-variant", "nonunicode", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stages_and_deploy_safety():
    ci = load(ROOT / ".gitlab-ci.yml")
    assert ci["stages"] == ["check", "build", "review", "deploy"]
    deploy = ci["deploy"]
    assert deploy["stage"] == "deploy" and deploy["resource_group"] and deploy["environment"]["name"]
    assert deploy["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert any("nautiform apply" in line for line in deploy["script"])
    assert not any("delete" in line for job in ci.values() if isinstance(job, dict)
                   for line in job.get("script", []) if isinstance(line, str))


def test_kaniko_job_follows_nrp_practice():
    job = load(ROOT / ".gitlab-ci.yml")["build:kaniko"]
    assert job["image"]["name"] == "ghcr.io/osscontainertools/kaniko:debug"
    assert job["variables"]["GODEBUG"] == "http2client=0"
    script = "\n".join(job["script"])
    assert "/kaniko/executor --cache=true" in script and '--destination "$NAUTIFORM_IMAGE"' in script
    assert "$CI_REGISTRY_USER" in script and "$CI_REGISTRY_PASSWORD" in script


def test_build_jobs_use_only_variables_that_exist(tmp_path):
    ci = load(ROOT / ".gitlab-ci.yml")
    produced = subprocess.run([str(BIN / "nautiform"), "image", "project.example.yaml"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    known = {line.split("=", 1)[0] for line in produced.splitlines()} | set(ci["variables"]) | {"NAUTIFORM_IMAGE_EXISTS"}
    known |= {"NAUTIFORM_REGISTRY_INSECURE"}  # optional, documented in the README
    for name in ("build:kaniko", "build:buildah"):
        used = set(re.findall(r"\$\{?(NAUTIFORM_[A-Z_]+)", "\n".join(ci[name]["script"])))
        assert used and used <= known, (name, used - known)


def test_gitlab_ci_local_picks_the_builder(tmp_path):
    gcl = subprocess.run([str(ROOT / "tests/pipeline/install-deps")], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    (tmp_path / ".gitlab-ci.yml").write_text((ROOT / ".gitlab-ci.yml").read_text())
    for builder, expected in (("kaniko", "build:kaniko"), ("buildah", "build:buildah")):
        proc = subprocess.run([gcl, "--list", "--no-color", "--variable", f"NAUTIFORM_BUILDER={builder}"],
                              cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        names = {line.split()[0] for line in proc.stdout.splitlines()[1:] if line.strip()}
        assert expected in names and ({"build:kaniko", "build:buildah"} - {expected}).isdisjoint(names), proc.stdout
