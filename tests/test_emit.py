"""The YAML writer: whatever it writes, a YAML 1.1 reader (kubectl's) and a 1.2 reader read back unchanged."""
from __future__ import annotations

import yaml as pyyaml  # YAML 1.1, like kubectl and the API server
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from nautiform.emit import dump

keys = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
                    st.sampled_from(["yes", "on", "off", "0755", "1e3", "2024-01-01", "~", "- x", "a: b", "#x",
                                     "500m", "16Gi", "1:20", ".inf", "-", "", " lead", "trail ", "line\nbreak\n",
                                     "a\n\nb", "tab\there", "0x1F", "null", "Y", "|", ">", "@x", "`x", "!x", "*x",
                                     "&x", "%x", "{x}", "[x]", "x #y", "'q'", '"q"']))
docs = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, docs, min_size=1, max_size=5))
def test_round_trip(doc):
    text = dump(doc)
    assert pyyaml.safe_load(text) == doc
    assert YAML(typ="safe", pure=True).load(text) == doc
