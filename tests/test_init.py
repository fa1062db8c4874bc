"""`nautiform init` in an empty git repository gives a project that compiles and checks at once."""
from __future__ import annotations

import subprocess

from nf_testlib import ROOT, nautiform


def test_init_scaffolds_a_checking_project(tmp_path):
    repo = tmp_path / "My Thesis"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    run = nautiform("init", "--namespace", "lab", cwd=repo)
    assert run.code == 0, run.err
    for name in ("project.yaml", "Dockerfile", ".gitlab-ci.yml", ".gitignore", ".dockerignore"):
        assert (repo / name).is_file(), name
    assert nautiform("check", cwd=repo).code == 0
    text = (repo / "project.yaml").read_text()
    assert "name: my-thesis" in text and "namespace: lab" in text
    assert (repo / "generated" / "kustomization.yaml").is_file()


def test_pipeline_installs_exactly_the_version_that_wrote_generated(tmp_path):
    from nautiform import __version__

    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    assert nautiform("init", "--namespace", "lab", cwd=tmp_path).code == 0
    ci = (tmp_path / ".gitlab-ci.yml").read_text()
    assert f'NAUTIFORM_VERSION: "{__version__}"' in ci and 'NAUTIFORM_PIP: "nautiform==$NAUTIFORM_VERSION"' in ci
    assert f"# nautiform-version: {__version__}\n" in (tmp_path / "generated" / "kustomization.yaml").read_text()


def test_check_under_another_version_says_so_in_one_line(tmp_path):
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    assert nautiform("init", "--namespace", "lab", cwd=tmp_path).code == 0
    kust = tmp_path / "generated" / "kustomization.yaml"
    from nautiform import __version__

    kust.write_text(kust.read_text().replace(f"# nautiform-version: {__version__}", "# nautiform-version: 0.1.9"))
    run = nautiform("check", cwd=tmp_path)
    assert run.code == 1 and run.out == ""
    assert run.err.splitlines() == [
        f"error: generated/ was written by nautiform 0.1.9, this is {__version__}: `pip install nautiform==0.1.9` to check "
        "it as the pipeline does, or upgrade on purpose with `nautiform compile project.yaml`, commit, and read "
        "the plan"]


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "project.yaml").write_text("mine")
    run = nautiform("init", cwd=tmp_path)
    assert run.code == 1 and "nothing was written" in run.err
    assert (tmp_path / "project.yaml").read_text() == "mine"
    assert not (tmp_path / "Dockerfile").exists()


def test_repository_pipeline_is_the_template():
    """This repository's .gitlab-ci.yml is what init writes, but for the example's file name."""
    template = (ROOT / "compiler/nautiform/templates/gitlab-ci.yml").read_text()
    ours = (ROOT / ".gitlab-ci.yml").read_text()
    assert ours == template.replace("NAUTIFORM_PROJECT: project.yaml ", "NAUTIFORM_PROJECT: project.example.yaml")
