"""The loader's defences, one regression per input that once crashed nautiform (issue 6 fuzzing)."""
from __future__ import annotations

import pytest

from nautiform.errors import UserError
from nautiform.load import MAX_CHARS, load_text

# atheris: ruamel's round-trip composer raised NotImplementedError("overlap in comment") on this shape.
COMMENT_OVERLAP = """image:
  build:                           # built by CI
    repositoreric` for any other cluster

image:
  build:                           # built by CI, y:ault
  mounts:
    data: /data
"""


def _refused(text: str) -> tuple:
    with pytest.raises(UserError) as err:
        load_text(text, "project.yaml")
    d = err.value.diagnostics[0]
    return d.code, d.pos.line, d.pos.col, d.message


def test_escaped_surrogate_pair_is_one_character():
    assert load_text('a: "\\ud83d\\ude00"\n', "project.yaml").data == {"a": "\U0001F600"}


@pytest.mark.parametrize("text,pos", [('a: "\\ud83d"\n', (1, 4)), ('"\\udc00": 1\n', (1, 1)),
                                      ('a: [x, "\\ud800 y"]\n', (1, 8))])
def test_lone_surrogate_is_refused(text, pos):
    assert _refused(text)[:3] == ("yaml-escape", *pos)


@pytest.mark.parametrize("version", ["1.1", "2.0", "1.3"])
def test_only_yaml_1_2(version):
    assert _refused(f"# c\n%YAML {version}\n---\na: yes\n") == ("yaml-version", 2, 1, f"YAML {version} is not supported")


def test_yaml_1_2_directive_is_fine():
    assert load_text("%YAML 1.2\n---\na: yes\n", "project.yaml").data == {"a": "yes"}


def test_huge_integer():
    assert _refused("a: 1\nb: " + "9" * 5000 + "\n") == ("number", 2, 4, "a number of 5000 characters is out of range")


def test_comment_shapes_the_round_trip_parser_choked_on():
    assert _refused(COMMENT_OVERLAP)[0] == "duplicate-key"


def test_file_size_limit():
    assert _refused("a: " + "x" * MAX_CHARS)[0] == "yaml-size"


@pytest.mark.parametrize("text", ["a: !!int python:3.11-slim", "a: !!int 0x_", "a: !!bool maybe", "a: !!null x"])
def test_explicit_tag_that_does_not_fit_its_text(text):
    # `!!int python:3.11-slim` crashed int() in the CLI fuzz run
    assert _refused(text)[:3] == ("yaml-tag", 1, 4)
