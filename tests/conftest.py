"""pytest hooks: the golden-file update switch; stopping a control plane this run started."""
from __future__ import annotations

import sys

import pytest


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def pytest_sessionfinish(session):
    harness = sys.modules.get("cluster_harness")  # imported only when a cluster test ran
    if harness is not None:
        harness.stop_if_started_here()
