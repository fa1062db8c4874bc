"""Helpers shared by the tests: run the real CLI in a subprocess, read a tree of files."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"


@dataclass
class Run:
    code: int
    out: str
    err: str


def nautiform(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 60) -> Run:
    """Run `python -m nautiform ARGS` as a user would; never through in-process shortcuts."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "nautiform", *args], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def tree(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())} if path.is_dir() else {}
