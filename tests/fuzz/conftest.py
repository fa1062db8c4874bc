"""Everything under tests/fuzz carries the `fuzz` mark: `pytest -m "not fuzz"` leaves it out,
`pytest -m fuzz` runs only it.

A default run tries 150 valid projects (each compiled twice and checked against the API's rules),
600 broken ones, 200 with a planted credential, 45 through the real CLI and 3,000 atheris inputs:
about a minute. NAUTIFORM_FUZZ_EXAMPLES=N tries N per property (N/20 through the CLI, N atheris runs).
"""
from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: property/fuzz tests of issue 6 (NAUTIFORM_FUZZ_EXAMPLES=N for longer)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.fuzz)
