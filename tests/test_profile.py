"""Cluster profiles are plain data files that load on every compile."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler.profile import load_profile

PROFILES = sorted((Path(__file__).resolve().parent.parent / "compiler" / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_profile_is_ascii(path):
    # ruamel.yaml checks non-ASCII text with a regular expression that takes ~3 ms to compile (issue 7).
    assert path.read_bytes().isascii()


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_profile_loads_under_its_name(path):
    assert load_profile(path.stem).data["name"] == path.stem
