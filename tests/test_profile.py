"""Cluster profiles are plain data files that load on every compile."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from compiler.profile import load_profile

PROFILES = sorted((Path(__file__).resolve().parent.parent / "compiler" / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_profile_is_ascii(path):
    # ruamel.yaml checks non-ASCII text with a regular expression that takes ~3 ms to compile (issue 7).
    assert path.read_bytes().isascii()


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_profile_loads_under_its_name(path):
    assert load_profile(path.stem).data["name"] == path.stem


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_the_c_parser_reads_a_profile_as_the_pure_one_does(path):
    from ruamel.yaml.cyaml import CSafeLoader  # installed with nautiform: profile.py uses it

    text = path.read_text(encoding="utf-8")
    pure = repr(YAML(typ="safe", pure=True).load(text))  # repr: True and 1, 1.0 and 1, key order all differ
    assert repr(CSafeLoader(text).get_single_data()) == pure
    assert repr(load_profile(path.stem).data) == pure
