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


def pytest_collection_modifyitems(config, items):
    """`torch` tests are opt-in: they need a 5.4 GB PyTorch install (tests/torch/install), so they run
    only when the -m expression names them (`pytest -m torch tests/torch`)."""
    if "torch" in (config.option.markexpr or ""):
        return
    keep = [i for i in items if i.get_closest_marker("torch") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker("torch") is not None])
        items[:] = keep
