"""Every manifest nautiform writes passes `kubernetes-validate --strict` for Kubernetes 1.33."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nf_testlib import ROOT

TREES = [ROOT / "generated"] + sorted((ROOT / "tests" / "cases").glob("*/expected"))


@pytest.mark.parametrize("folder", TREES, ids=[str(p.relative_to(ROOT)) for p in TREES])
def test_strict_schema(folder: Path):
    files = sorted(str(p) for p in folder.glob("*.yaml") if p.name != "kustomization.yaml")
    assert files
    exe = Path(sys.executable).with_name("kubernetes-validate")
    proc = subprocess.run([str(exe), "-k", "1.33.0", "--strict", *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("passed") == len(files), proc.stdout
