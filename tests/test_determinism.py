"""Same project.yaml -> same bytes, whatever the hash seed or the order of keys in the file."""
from __future__ import annotations

import shutil

from ruamel.yaml import YAML

from nf_testlib import ROOT, nautiform, tree


def _compile(tmp_path, name, text, seed):
    work = tmp_path / name
    work.mkdir()
    (work / "project.yaml").write_text(text)
    shutil.copytree(ROOT / "example", work / "example")
    run = nautiform("compile", "project.yaml", cwd=work, env={"PYTHONHASHSEED": seed})
    assert run.code == 0, run.err
    return tree(work / "generated")


def _without_source_lines(files):
    return {k: b"\n".join(l for l in v.split(b"\n") if not l.startswith(b"# Source:")) for k, v in files.items()}


def test_hash_seed_does_not_change_bytes(tmp_path):
    text = (ROOT / "project.example.yaml").read_text()
    runs = [_compile(tmp_path, f"s{seed}", text, seed) for seed in ("0", "1", "4242")]
    assert runs[0] == runs[1] == runs[2]


def test_key_order_does_not_change_manifests(tmp_path):
    yaml = YAML()
    data = yaml.load((ROOT / "project.example.yaml").read_text())

    def reverse(node):
        if isinstance(node, dict):
            items = list(node.items())[::-1]
            node.clear()
            for k, v in items:
                node[k] = reverse(v)
        return node

    # Reverse every mapping except sweep axes, whose order defines the point numbering.
    for name, workload in data["workloads"].items():
        sweep = workload.get("sweep")
        if sweep is not None:
            workload.pop("sweep")
        reverse(workload)
        if sweep is not None:
            workload["sweep"] = sweep
    for key in ("project", "defaults", "volumes"):
        reverse(data[key])
    workloads = list(data["workloads"].items())[::-1]  # the workloads themselves, not their contents again
    data["workloads"].clear()
    data["workloads"].update(workloads)
    reversed_file = tmp_path / "reversed.yaml"
    with open(reversed_file, "w") as fh:
        yaml.dump(data, fh)
    original = _compile(tmp_path, "a", (ROOT / "project.example.yaml").read_text(), "1")
    shuffled = _compile(tmp_path, "b", reversed_file.read_text(), "2")
    assert _without_source_lines(original) == _without_source_lines(shuffled)
    assert original != shuffled  # the Source lines do follow the file


def test_image_tag_depends_only_on_build_inputs(tmp_path):
    text = (ROOT / "project.example.yaml").read_text()
    first = _compile(tmp_path, "a", text, "1")
    work = tmp_path / "b"
    work.mkdir()
    (work / "project.yaml").write_text(text)
    shutil.copytree(ROOT / "example", work / "example")
    (work / "example" / "requirements.txt").write_text("torch\n")
    assert nautiform("compile", "project.yaml", cwd=work).code == 0
    tag = lambda files: [l for l in files["job-train.yaml"].split(b"\n") if b"image: gitlab" in l]  # noqa: E731
    assert tag(first) != tag(tree(work / "generated"))
