"""records.py: the rules every declared record follows (strict types, null = unset, unknown keys,
cross-field checks only on valid fields, declared order) and the JSON Schema agreeing with them."""
from __future__ import annotations

import json

import jsonschema
import pytest

from nautiform.model import Project, SweepSpec
from nautiform.records import (Bool, DictOf, Float, Int, Invalid, ListOf, OneOf, Record, Rejected, Str, Tagged,
                              optional, required)
from nf_testlib import ROOT


class Inner(Record):
    n = optional(Int(ge=1, le=9), 3)


class Thing(Record):
    name = required(Str())
    flag = optional(Bool(), False)
    ratio = optional(Float())
    inner = optional(Inner, Inner)
    tags = optional(ListOf(Str(), 1, 2, "tags"))
    env = optional(DictOf(Str(), Str()))
    mode = optional(OneOf("a", "b"), "a")

    def check(self):
        if self.name == "forbidden":
            raise Invalid("choice", "that name is taken", "pick another")


def problems(data, record=Thing):
    with pytest.raises(Rejected) as caught:
        record.from_data(data)
    return sorted((p.loc, p.code, p.message) for p in caught.value.problems)


def test_defaults_fill_in_and_order_is_declared_not_written():
    thing = Thing.from_data({"mode": "b", "name": "x"})
    assert list(thing.as_dict()) == ["name", "flag", "ratio", "inner", "tags", "env", "mode"]
    assert (thing.flag, thing.ratio, thing.inner.n, thing.mode) == (False, None, 3, "b")


@pytest.mark.parametrize("field,value,code,expected", [
    ("name", 1, "type", "expected text, got a number (1)"),
    ("flag", "true", "type", "expected true or false, got 'true'"),
    ("flag", 1, "type", "expected true or false, got a number (1)"),
    ("ratio", True, "type", "expected a number, got a boolean (true)"),
    ("ratio", "0.5", "type", "expected a number, got '0.5'"),
    ("mode", "c", "value", "expected 'a' or 'b', got 'c'"),
    ("tags", "x", "type", "expected a list, got 'x'"),
    ("env", ["A=1"], "type", "expected a mapping, got a list"),
])
def test_types_are_strict(field, value, code, expected):
    assert problems({"name": "x", field: value}) == [((field,), code, expected)]


def test_int_refuses_bools_and_out_of_range():
    assert problems({"name": "x", "inner": {"n": True}}) == [(("inner", "n"), "type",
                                                               "expected an integer, got a boolean (true)")]
    assert problems({"name": "x", "inner": {"n": 10}}) == [(("inner", "n"), "range", "10 is out of range")]


def test_float_accepts_integers_as_numbers():
    assert Thing.from_data({"name": "x", "ratio": 2}).ratio == 2.0


def test_null_means_unset_only_where_the_default_is_none():
    assert Thing.from_data({"name": "x", "ratio": None}).ratio is None
    assert problems({"name": "x", "flag": None}) == [(("flag",), "type", "expected true or false, got nothing (null)")]
    assert problems({"name": None}) == [(("name",), "type", "expected text, got nothing (null)")]


def test_every_mistake_is_reported_at_once():
    found = problems({"flag": 2, "tags": [], "nam": "x", "env": {"A": 1}})
    assert found == [(("env", "A"), "type", "expected text, got a number (1)"),
                     (("flag",), "type", "expected true or false, got a number (2)"),
                     (("nam",), "unknown-key", "unknown key 'nam'"),
                     (("name",), "missing", "required key 'name' is missing"),
                     (("tags",), "length", "tags has no items")]


def test_unknown_key_hint_names_the_closest_field():
    with pytest.raises(Rejected) as caught:
        Thing.from_data({"name": "x", "flg": True})
    assert caught.value.problems[0].hint == "did you mean 'flag'?"
    assert caught.value.problems[0].at_key


def test_cross_field_check_runs_only_when_fields_are_valid():
    assert problems({"name": "forbidden"}) == [((), "choice", "that name is taken")]
    assert problems({"name": "forbidden", "flag": 3}) == [(("flag",), "type",
                                                           "expected true or false, got a number (3)")]


def test_records_are_frozen_and_defaults_are_not_shared():
    a, b = Thing.from_data({"name": "a"}), Thing.from_data({"name": "b"})
    with pytest.raises(AttributeError):
        a.name = "c"
    assert a.inner == b.inner and a.inner is not b.inner


def test_tagged_union_picks_the_record_by_kind():
    class Cat(Record):
        kind = required(OneOf("cat"))
        lives = optional(Int(), 9)

    class Holder(Record):
        pet = required(Tagged("kind", {"cat": Cat}, "pet"))

    assert Holder.from_data({"pet": {"kind": "cat"}}).pet.lives == 9
    assert problems({"pet": {"kind": "dog"}}, Holder) == [(("pet", "kind"), "value", "unknown pet kind 'dog'")]
    assert problems({"pet": {}}, Holder) == [(("pet", "kind"), "missing", "a pet needs a `kind`")]
    assert problems({"pet": {"kind": "cat", "lifes": 3}}, Holder) == [(("pet", "lifes"), "unknown-key",
                                                                      "unknown key 'lifes'")]


def test_sweep_spec_needs_exactly_one_mode():
    assert problems({"grid": {"lr": [1]}, "random": {"seed": 1, "samples": 2, "params": {"x": {"randint": [0, 3]}}}},
                    SweepSpec) == [((), "choice", "sweep needs exactly one of `grid`, `points`, `random`, `search`; found 2")]


SCHEMA = json.loads((ROOT / "schemas" / "project.schema.json").read_text())
GOOD = {"version": 1, "project": {"name": "demo", "namespace": "lab"}, "image": {"ref": "python:3.11"},
        "workloads": {"train": {"kind": "job", "command": ["python", "train.py"], "cpu": 2}}}


@pytest.mark.parametrize("change", [
    {"version": 2}, {"version": True}, {"project": {"name": "demo"}}, {"extra": 1},
    {"workloads": {}}, {"workloads": {"train": {"kind": "notebook", "command": "x"}}},
    {"workloads": {"train": {"kind": "job", "command": "x", "backoff_limit": "3"}}},
    {"workloads": {"train": {"kind": "job", "command": "x", "gpu": {"count": 65}}}},
    {"workloads": {"Train": {"kind": "job", "command": "x"}}},
    {"volumes": {"data": {"size": "1Gi", "access_mode": "ReadWriteSometimes"}}},
])
def test_schema_and_validator_refuse_the_same_documents(change):
    doc = {**GOOD, **change}
    with pytest.raises(Rejected):
        Project.from_data(doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_schema_and_validator_accept_the_same_document():
    Project.from_data(GOOD)
    jsonschema.validate(GOOD, SCHEMA)
