"""writer.py: the tree is replaced whole; a folder holding files nautiform did not write is refused, except
the clutter file browsers leave in any folder (issue 12, item 12: a .DS_Store made `compile` refuse)."""
from __future__ import annotations

import pytest

from nf_testlib import ROOT, nautiform, tree


@pytest.mark.parametrize("clutter", [".DS_Store", "Thumbs.db", "desktop.ini", "._job-train.yaml", ".directory"])
def test_file_browser_clutter_does_not_stop_compile_or_check(tmp_path, clutter):
    (tmp_path / "project.yaml").write_text((ROOT / "project.example.yaml").read_text())
    (tmp_path / "example").symlink_to(ROOT / "example")
    assert nautiform("compile", cwd=tmp_path).code == 0
    (tmp_path / "generated" / clutter).write_bytes(b"\x00\x00\x00\x01Bud1")
    assert nautiform("check", cwd=tmp_path).code == 0
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 0, run.err
    assert clutter not in tree(tmp_path / "generated")


def test_a_file_someone_wrote_still_stops_compile(tmp_path):
    (tmp_path / "project.yaml").write_text((ROOT / "project.example.yaml").read_text())
    (tmp_path / "example").symlink_to(ROOT / "example")
    out = tmp_path / "generated"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 1 and "notes.txt" in run.err
    assert tree(out) == {"notes.txt": b"mine"}
