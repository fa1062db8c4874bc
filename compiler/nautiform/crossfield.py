"""Rules across the fields of one record, declared as data (`rules = (...)` on a Record in model.py).

Each rule is checked by the validator (`check(record)` raises Invalid; records.Record.parse runs them once
every field is valid) and written into the published schema (`schema()`), so the two cannot disagree
(issue 12, item 13: the schema accepted `image: {}` and both `ref` and `build`). A field counts as
"given" when it is present and neither null nor false (`scratch: false` is the same as leaving it out).
"""
from __future__ import annotations

import re

from .records import Invalid

_GIVEN = {"not": {"enum": [None, False]}}


def given(record, name: str) -> bool:
    value = getattr(record, name)
    return value is not None and value is not False


def _listed(names) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _present(*names: str) -> dict:
    return {"required": list(names), "properties": {n: _GIVEN for n in names}}


class ExactlyOne:
    """Exactly one of `names` is given (JSON Schema: oneOf over "this one is given")."""

    def __init__(self, *names: str, where: str = "", message: str = "", hint: str = ""):
        self.names, self.where, self.message, self.hint = names, where, message, hint

    def check(self, record) -> None:
        found = [n for n in self.names if given(record, n)]
        if len(found) != 1:
            raise Invalid("choice", self.message or f"{self.where} needs exactly one of {_listed(self.names)}" +
                          (f"; found {len(found)}" if found else ""), self.hint or f"keep one of {_listed(self.names)}")

    def schema(self) -> dict:
        return {"oneOf": [_present(n) for n in self.names]}


class Excludes:
    """When `name` is given, none of `others` may be (JSON Schema: not {required: both})."""

    def __init__(self, name: str, *others: str, message: str = "", hint: str = ""):
        self.name, self.others, self.message, self.hint = name, others, message, hint

    def check(self, record) -> None:
        if given(record, self.name) and any(given(record, o) for o in self.others):
            raise Invalid("choice", self.message or f"`{self.name}` takes none of {_listed(self.others)}",
                          self.hint or f"remove {_listed(self.others)} or `{self.name}`")

    def schema(self) -> dict:
        return {"allOf": [{"not": _present(self.name, o)} for o in self.others]}


class When:
    """When text field `name` matches `pattern`, `requires` must be given and `forbids` must not (JSON
    Schema: if/then); otherwise `forbids_else` must not be given (else)."""

    def __init__(self, name: str, pattern: str, requires: tuple = (), forbids_else: tuple = (), message: str = "",
                 else_message: str = "", hint: str = "", else_hint: str = "", forbids: tuple = ()):
        self.name, self.pattern, self.regex = name, pattern, re.compile(pattern)
        self.requires, self.forbids_else, self.forbids = requires, forbids_else, forbids
        self.message, self.else_message, self.hint, self.else_hint = message, else_message, hint, else_hint

    def check(self, record) -> None:
        value = getattr(record, self.name)
        if isinstance(value, str) and self.regex.search(value):
            if not all(given(record, n) for n in self.requires) or any(given(record, n) for n in self.forbids):
                raise Invalid("choice", self.message, self.hint)
        elif any(given(record, n) for n in self.forbids_else):
            raise Invalid("choice", self.else_message, self.else_hint)

    def schema(self) -> dict:
        out: dict = {"if": {"required": [self.name], "properties": {self.name: {"type": "string",
                                                                             "pattern": self.pattern}}}}
        if self.requires and not self.forbids:
            out["then"] = _present(*self.requires)
        elif self.forbids:
            out["then"] = {"allOf": ([_present(*self.requires)] if self.requires else []) +
                           [{"not": _present(n)} for n in self.forbids]}
        if self.forbids_else:
            out["else"] = {"allOf": [{"not": _present(n)} for n in self.forbids_else]}
        return out


class Needs:
    """When the nested field `path` (e.g. ("source", "push")) is given, `requires` must be given and
    `forbids` must not (JSON Schema: if the nested object has the key, then ...)."""

    def __init__(self, path: tuple, requires: tuple = (), forbids: tuple = (), message: str = "", hint: str = ""):
        self.path, self.requires, self.forbids, self.message, self.hint = path, requires, forbids, message, hint

    def check(self, record) -> None:
        value = record
        for part in self.path:
            value = getattr(value, part, None)
            if value is None:
                return
        if not all(given(record, n) for n in self.requires) or any(given(record, n) for n in self.forbids):
            raise Invalid("choice", self.message, self.hint)

    def schema(self) -> dict:
        cond: dict = {"required": [self.path[-1]]}
        for part in reversed(self.path[:-1]):
            cond = {"required": [part], "properties": {part: cond}}
        then: dict = {"allOf": [_present(*self.requires)] if self.requires else []}
        then["allOf"] += [{"not": _present(n)} for n in self.forbids]
        return {"if": cond, "then": then}


class Requires:
    """When `name` is given, every one of `needs` must be given too (JSON Schema: if/then)."""

    def __init__(self, name: str, *needs: str, message: str = "", hint: str = ""):
        self.name, self.needs, self.message, self.hint = name, needs, message, hint

    def check(self, record) -> None:
        if given(record, self.name) and not all(given(record, n) for n in self.needs):
            raise Invalid("choice", self.message or f"`{self.name}` needs {_listed(self.needs)}",
                          self.hint or f"add {_listed(self.needs)} or remove `{self.name}`")

    def schema(self) -> dict:
        return {"if": _present(self.name), "then": _present(*self.needs)}
