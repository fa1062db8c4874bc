"""Cluster profiles: NAME.yaml is edited, NAME.json (what a compile reads) is derived from it."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from nautiform.profile import load_profile, profile_json

PROFILES = sorted((Path(__file__).resolve().parent.parent / "compiler" / "nautiform" / "profiles").glob("*.yaml"))


def test_there_are_profiles():
    assert {p.stem for p in PROFILES} >= {"nautilus", "generic"}


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_json_form_is_current(path):
    # If this fails after editing a profile: run `python -m nautiform.profile` and commit the .json.
    assert path.with_suffix(".json").read_text(encoding="utf-8") == profile_json(path)


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_a_compile_sees_the_yaml_data(path):
    pure = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    loaded = load_profile(path.stem)
    assert loaded.data["name"] == path.stem
    assert repr(loaded.data) == repr(pure)  # repr: True vs 1, 1.0 vs 1 and key order all count

