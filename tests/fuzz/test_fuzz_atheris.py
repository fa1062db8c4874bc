"""A short coverage-guided run of atheris_load.py (the long run is documented in that file)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import examples

HERE = Path(__file__).parent


def test_atheris_finds_no_crash_in_the_loader(tmp_path):
    runs = examples(3000)
    proc = subprocess.run([sys.executable, str(HERE / "atheris_load.py"), f"-runs={runs}", "-timeout=5",
                           "-rss_limit_mb=2048", f"-dict={HERE / 'yaml.dict'}", f"-artifact_prefix={tmp_path}/"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=max(120, runs // 50))
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"Done {runs} runs" in proc.stderr
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*"))
