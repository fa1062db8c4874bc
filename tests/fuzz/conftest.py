"""Everything under tests/fuzz carries the `fuzz` mark: `pytest -m "not fuzz"` leaves it out,
`pytest -m fuzz` runs only it. NAUTIFORM_FUZZ_EXAMPLES=N runs N inputs per property (see harness.py)."""
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
