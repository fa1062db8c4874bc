"""The committed example: compiles to the committed generated/, and `check` guards it."""
from __future__ import annotations

import shutil

from nf_testlib import ROOT, nautiform, tree


def test_example_compiles_to_committed_generated(tmp_path):
    run = nautiform("compile", "project.example.yaml", "--out", str(tmp_path / "x"))
    assert run.code == 0, run.err
    assert tree(tmp_path / "x") == tree(ROOT / "generated")


def test_check_passes_on_committed_tree():
    run = nautiform("check", "project.example.yaml")
    assert run.code == 0, run.out + run.err
    assert "up to date" in run.out


def _copy_example(tmp_path):
    for name in ("project.example.yaml", "example", "generated"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)


def test_check_fails_with_diff_after_hand_edit(tmp_path):
    _copy_example(tmp_path)
    job = next((tmp_path / "generated").glob("job-train.yaml"))
    job.write_text(job.read_text().replace("backoffLimit: 2", "backoffLimit: 9"))
    run = nautiform("check", "project.example.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "-  backoffLimit: 9" in run.out and "+  backoffLimit: 2" in run.out
    assert "does not match" in run.err


def test_check_fails_on_forgotten_compile_and_stale_file(tmp_path):
    _copy_example(tmp_path)
    (tmp_path / "generated" / "job-old.yaml").write_text((tmp_path / "generated" / "job-train.yaml").read_text())
    example = tmp_path / "project.example.yaml"
    example.write_text(example.read_text().replace("parallelism: 3", "parallelism: 2"))
    run = nautiform("check", "project.example.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "generated/job-old.yaml" in run.out and "-  parallelism: 3" in run.out


def test_compile_removes_stale_files(tmp_path):
    _copy_example(tmp_path)
    (tmp_path / "generated" / "job-old.yaml").write_text((tmp_path / "generated" / "job-train.yaml").read_text())
    assert nautiform("compile", "project.example.yaml", cwd=tmp_path).code == 0
    assert tree(tmp_path / "generated") == tree(ROOT / "generated")


def test_a_job_is_named_by_its_inputs_not_by_its_ttl(tmp_path):
    """Identity = own inputs (issue 13): a new TTL keeps the name (apply leaves the run alone), a new
    command gives a new name (the run starts again)."""
    _copy_example(tmp_path)
    example = tmp_path / "project.example.yaml"
    name = lambda: next(line for line in (tmp_path / "generated" / "job-train.yaml").read_text().splitlines()  # noqa: E731
                        if line.startswith("  name: "))
    before = name()
    example.write_text(example.read_text().replace("ttl_after_finished: 3d", "ttl_after_finished: 2d"))
    assert nautiform("compile", "project.example.yaml", cwd=tmp_path).code == 0
    assert name() == before
    example.write_text(example.read_text().replace("--name, horse2zebra,\n              --model", "--name, h2z,\n"
                                                   "              --model", 1))
    assert nautiform("compile", "project.example.yaml", cwd=tmp_path).code == 0
    assert name() != before and name().startswith("  name: cyclegan-train-")
