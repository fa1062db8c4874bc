"""The compiler type-checks: mypy (pinned in the `test` extra, configured in pyproject.toml) over
compiler/nautiform, with bodies of unannotated functions checked too. Part of `make test`, so CI runs it."""
from __future__ import annotations

import subprocess
import sys

from nf_testlib import ROOT


def test_mypy_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null", "--config-file",
                           str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
