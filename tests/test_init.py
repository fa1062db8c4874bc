"""`nautiform init` in an empty git repository gives a project that compiles and checks at once, whose
pipeline is the component pinned at this version, and whose editor support works offline (issue 16.4)."""
from __future__ import annotations

import json
import subprocess

import jsonschema
from ruamel.yaml import YAML

from nf_testlib import nautiform


def test_init_scaffolds_a_checking_project(tmp_path):
    repo = tmp_path / "My Thesis"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    run = nautiform("init", "--namespace", "lab", cwd=repo)
    assert run.code == 0, run.err
    for name in ("project.yaml", "Dockerfile", ".gitlab-ci.yml", ".gitignore", ".dockerignore", "project.schema.json"):
        assert (repo / name).is_file(), name
    assert nautiform("check", cwd=repo).code == 0
    text = (repo / "project.yaml").read_text()
    assert "name: my-thesis" in text and "namespace: lab" in text
    assert (repo / "generated" / "kustomization.yaml").is_file()


def test_pipeline_is_the_component_at_exactly_the_version_that_wrote_generated(tmp_path):
    from nautiform import __version__

    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    assert nautiform("init", "--namespace", "lab", cwd=tmp_path).code == 0
    ci = YAML(typ="safe", pure=True).load((tmp_path / ".gitlab-ci.yml").read_text())
    assert ci["include"] == [{"component": f"$CI_SERVER_FQDN/nautiform/nautiform/pipeline@{__version__}",
                              "inputs": {"project": "project.yaml"}}]
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


def test_editors_get_the_schema_from_next_to_the_project(tmp_path):
    """The first line names ./project.schema.json, which init wrote: `nautiform schema`, no network needed."""
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    assert nautiform("init", "--namespace", "lab", cwd=tmp_path).code == 0
    text = (tmp_path / "project.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=./project.schema.json"
    local = tmp_path / "project.schema.json"
    assert local.read_text() == nautiform("schema").out
    jsonschema.validate(YAML(typ="safe", pure=True).load(text), json.loads(local.read_text()))
    assert "project.schema.json" in (tmp_path / ".dockerignore").read_text().splitlines()  # never rebuilds the image
    check = nautiform("check", cwd=tmp_path)
    assert check.code == 0 and check.err == ""


def test_check_says_in_one_line_when_the_schema_is_stale(tmp_path):
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    assert nautiform("init", "--namespace", "lab", cwd=tmp_path).code == 0
    from nautiform import __version__

    local = tmp_path / "project.schema.json"
    local.write_text(local.read_text().replace('"version"', '"old_version"'))
    stale = nautiform("check", cwd=tmp_path)
    assert stale.code == 0 and stale.err.splitlines() == [
        f"warning: project.schema.json is not the schema of nautiform {__version__}; refresh it: "
        "nautiform schema > project.schema.json"]
    local.write_text(nautiform("schema").out)  # the command the warning names
    assert nautiform("check", cwd=tmp_path).err == ""
    local.unlink()
    assert nautiform("check", cwd=tmp_path).err.splitlines() == [
        "warning: project.schema.json, the schema named in project.yaml, cannot be read; write it: "
        "nautiform schema > project.schema.json"]
    project = tmp_path / "project.yaml"
    project.write_text(project.read_text().replace("$schema=./project.schema.json",
                                                   "$schema=https://nautiform.dev/schemas/project.schema.json"))
    assert nautiform("check", cwd=tmp_path).err.splitlines() == [
        "warning: project.yaml points editors at https://nautiform.dev/schemas/project.schema.json, which nobody "
        "serves (no completion); nautiform schema > project.schema.json and begin project.yaml with "
        "`# yaml-language-server: $schema=./project.schema.json`"]


KUBECONFIG = """apiVersion: v1
kind: Config
current-context: nautilus
contexts:
- name: other
  context: {cluster: nautilus, user: me, namespace: someone-else}
- name: nautilus
  context: {cluster: nautilus, user: me, namespace: ucsd-vision-lab}
"""


def test_init_takes_the_namespace_of_the_current_kubectl_context(tmp_path):
    config = tmp_path / "config"
    config.write_text(KUBECONFIG)
    repo = tmp_path / "thesis"
    repo.mkdir()
    run = nautiform("init", cwd=repo, env={"KUBECONFIG": f"{tmp_path / 'absent'}:{config}"})
    assert run.code == 0, run.err
    assert "namespace: ucsd-vision-lab\n" in (repo / "project.yaml").read_text()
    assert "kubectl context 'nautilus'" in run.out
    # --namespace wins over the context; with no kubeconfig at all, the project's name is the namespace
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    assert nautiform("init", "--namespace", "lab", cwd=tmp_path / "a", env={"KUBECONFIG": str(config)}).code == 0
    assert "namespace: lab\n" in (tmp_path / "a" / "project.yaml").read_text()
    assert nautiform("init", cwd=tmp_path / "b", env={"KUBECONFIG": str(tmp_path / "absent")}).code == 0
    assert "namespace: b\n" in (tmp_path / "b" / "project.yaml").read_text()
