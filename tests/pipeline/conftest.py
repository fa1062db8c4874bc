"""Fixtures of the pipeline tests: gitlab-ci-local, and a local git server holding the pipeline component
at nautiform's version (gitlab-ci-local clones `include: component:` projects from the consuming
project's git host)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from githttp import serve_component  # noqa: E402


@pytest.fixture(scope="session")
def gitlab_ci_local() -> str:
    proc = subprocess.run([str(HERE / "install-deps")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def component_server(tmp_path_factory):
    from nautiform import __version__

    server = serve_component(tmp_path_factory.mktemp("gitlab"), ROOT, __version__)
    yield server
    server.close()
