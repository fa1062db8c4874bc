"""Declared records: the project.yaml language is written once, as classes of typed fields.

One declaration gives (1) validation of the loader's plain data into frozen records, collecting
every mistake with its path, and (2) the JSON Schema for editors and CI.

Why not pydantic: importing it and building its schema took ~85 ms of every run, more than the
whole compile budget of issue 7 (1.5x `kubectl kustomize`, ~80 ms). This module imports nothing heavy.

Rules the language relies on:
- strict types: "3" is not an integer, true is not a number, 1 is not text;
- a field whose default is None also accepts an explicit null (= not set);
- unknown keys are refused, with the closest known key as a hint;
- a record's own `check` (rules across its fields) runs only when every field is valid.
"""
from __future__ import annotations

from typing import Any, Callable

_BAD = object()  # a value that failed; its problem is already recorded
REQUIRED = object()


class Invalid(Exception):
    """A value's mistake, raised by value checks and `Record.check`; collected as a `Problem`."""

    def __init__(self, code: str, message: str, hint: str = ""):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


class Problem:
    """One mistake found in the data (plain slots: typing.NamedTuple costs ~1 ms per class at import)."""

    __slots__ = ("loc", "code", "message", "hint", "at_key")

    def __init__(self, loc: tuple, code: str, message: str, hint: str, at_key: bool = False):
        self.loc = loc  # path of the value in the document
        self.code, self.message, self.hint = code, message, hint
        self.at_key = at_key  # show it at the key (unknown or missing keys) rather than the value

    def __repr__(self):
        return f"Problem({self.loc!r}, {self.code!r}, {self.message!r}, {self.hint!r}, at_key={self.at_key})"


class Rejected(Exception):
    """Raised by `Record.from_data` with every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.loc}: {p.message}" for p in problems))
        self.problems = problems


def show(value: Any) -> str:
    """How a wrong value is named in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _wrong(out: list, loc: tuple, expected: str, value: Any, hint: str = "") -> object:
    out.append(Problem(loc, "type", f"expected {expected}, got {show(value)}", hint))
    return _BAD


# ---- value types: parse(value, loc, out) -> value or _BAD; schema(defs) -> JSON Schema -------------

class Str:
    def parse(self, value, loc, out):
        return value if type(value) is str else _wrong(out, loc, "text", value)

    def schema(self, defs):
        return {"type": "string"}


class Bool:
    def parse(self, value, loc, out):
        return value if type(value) is bool else _wrong(out, loc, "true or false", value)

    def schema(self, defs):
        return {"type": "boolean"}


class Int:
    def __init__(self, ge: int | None = None, le: int | None = None):
        self.ge, self.le = ge, le

    def parse(self, value, loc, out):
        if type(value) is not int:
            return _wrong(out, loc, "an integer", value, _number_hint(value))
        if (self.ge is not None and value < self.ge) or (self.le is not None and value > self.le):
            out.append(Problem(loc, "range", f"{value} is out of range", _range_hint(self.ge, self.le)))
            return _BAD
        return value

    def schema(self, defs):
        bounds = {"minimum": self.ge, "maximum": self.le}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}


class Float:
    def __init__(self, gt: float | None = None):
        self.gt = gt

    def parse(self, value, loc, out):
        if type(value) is float or type(value) is int:
            if value != value or value in (float("inf"), float("-inf")):  # .nan, .inf: JSON has neither
                out.append(Problem(loc, "range", f"{value} is not a finite number", "write a number"))
                return _BAD
            if self.gt is not None and not value > self.gt:
                out.append(Problem(loc, "range", f"{value} is out of range", f"use a number above {self.gt}"))
                return _BAD
            return float(value)
        return _wrong(out, loc, "a number", value, _number_hint(value))

    def schema(self, defs):
        return {"type": "number", **({"exclusiveMinimum": self.gt} if self.gt is not None else {})}


def _number_hint(value) -> str:
    return "remove the quotes" if isinstance(value, str) else "write a number" if isinstance(value, bool) else ""


def _range_hint(ge, le) -> str:
    if le is None:
        return f"use {ge} or more"
    return f"use {le} or less" if ge is None else f"use a value from {ge} to {le}"


class OneOf:
    """One of a few fixed values (a YAML 1 is not true, and 'true' is not true)."""

    def __init__(self, *values):
        self.values = values

    def parse(self, value, loc, out):
        if any(type(value) is type(v) and value == v for v in self.values):
            return value
        shown = [repr(v) for v in self.values]
        expected = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        out.append(Problem(loc, "value", f"expected {expected}, got {show(value)}", ""))
        return _BAD

    def schema(self, defs):
        return {"const": self.values[0]} if len(self.values) == 1 else {"enum": list(self.values)}


class ListOf:
    def __init__(self, item, min_len: int = 0, max_len: int | None = None, what: str = ""):
        self.item, self.min_len, self.max_len, self.what = item, min_len, max_len, what

    def parse(self, value, loc, out):
        if type(value) is not list:
            return _wrong(out, loc, "a list", value, "write a list: [a, b] or one '- item' per line")
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            out.append(Problem(loc, "length", f"{self.what or 'the list'} has {_items(len(value))}",
                               _length_hint(self.min_len, self.max_len)))
            return _BAD
        item, parsed = self.item, []
        for i, v in enumerate(value):
            parsed.append(item.parse(v, loc + (i,), out))
        return _BAD if _BAD in parsed else parsed

    def schema(self, defs):
        s = {"type": "array", "items": self.item.schema(defs)}
        if self.min_len:
            s["minItems"] = self.min_len
        if self.max_len is not None:
            s["maxItems"] = self.max_len
        return s


def _items(n: int) -> str:
    return "no items" if n == 0 else "1 item" if n == 1 else f"{n} items"


def _length_hint(low: int, high: int | None) -> str:
    if high == low:
        return f"write exactly {low} items"
    return f"write at least {_items(low)}" if high is None else f"write {low} to {high} items"


class DictOf:
    def __init__(self, key, value, min_len: int = 0, what: str = "", hint: str = ""):
        self.key, self.value, self.min_len, self.what, self.hint = key, value, min_len, what, hint

    def parse(self, value, loc, out):
        if type(value) is not dict:
            return _not_mapping(out, loc, value)
        if len(value) < self.min_len:
            out.append(Problem(loc, "length", f"{self.what or 'the mapping'} needs at least {self.min_len}, "
                               f"found {len(value)}", self.hint))
            return _BAD
        parsed, bad = {}, False
        for k, v in value.items():
            where = loc + (k,)
            key_problems: list = []
            if self.key.parse(k, where, key_problems) is _BAD:
                for p in key_problems:
                    p.at_key = True
                out.extend(key_problems)
                bad = True
            v = self.value.parse(v, where, out)
            bad = bad or v is _BAD
            parsed[k] = v
        return _BAD if bad else parsed

    def schema(self, defs):
        s = {"type": "object", "additionalProperties": self.value.schema(defs)}
        key = self.key.schema(defs)
        if key != {"type": "string"}:
            s["propertyNames"] = key
        if self.min_len:
            s["minProperties"] = self.min_len
        return s


def _not_mapping(out, loc, value):
    hint = ("fill in the keys below it, or remove the empty key" if value is None
            else "write `key: value` pairs indented under this key")
    return _wrong(out, loc, "a mapping", value, hint)


class Value:
    """A value with its own check: `check(value)` returns the value to keep or raises Invalid."""

    def __init__(self, check: Callable[[Any], Any], schema: dict):
        self.check, self._schema = check, schema

    def parse(self, value, loc, out):
        try:
            return self.check(value)
        except Invalid as exc:
            out.append(Problem(loc, exc.code, exc.message, exc.hint))
            return _BAD

    def schema(self, defs):
        return dict(self._schema)


class OrFalse:
    """A record, or `false` to say "none" where leaving the key out means "inherit" (a workload's `code`)."""

    def __init__(self, record: type[Record]):
        self.record = record

    def parse(self, value, loc, out):
        if value is False:
            return False
        if type(value) is not dict:
            return _wrong(out, loc, "a mapping or false", value, "write `false` for none, or the settings as "
                          "`key: value` pairs indented under this key")
        return self.record.parse(value, loc, out)

    def schema(self, defs):
        return {"anyOf": [{"const": False}, self.record.schema(defs)]}


class Tagged:
    """One of several records, told apart by the value of `key` (e.g. a workload's `kind`)."""

    def __init__(self, key: str, options: dict[str, type[Record]], what: str):
        self.key, self.options, self.what = key, options, what

    def parse(self, value, loc, out):
        if type(value) is not dict:
            return _not_mapping(out, loc, value)
        kinds = ", ".join(self.options)
        if self.key not in value:
            out.append(Problem(loc + (self.key,), "missing", f"a {self.what} needs a `{self.key}`",
                               f"{self.key} is one of: {kinds}", at_key=True))
            return _BAD
        tag = value[self.key]
        if type(tag) is not str:
            return _wrong(out, loc + (self.key,), f"a {self.what} {self.key} (text)", tag, f"{self.key} is one of: {kinds}")
        record = self.options.get(tag)
        if record is None:
            out.append(Problem(loc + (self.key,), "value", f"unknown {self.what} {self.key} {show(tag)}",
                               f"{self.key} is one of: {kinds}"))
            return _BAD
        return record.parse(value, loc, out)

    def schema(self, defs):
        refs = {tag: record.schema(defs)["$ref"] for tag, record in self.options.items()}
        return {"oneOf": [{"$ref": r} for r in refs.values()],
                "discriminator": {"propertyName": self.key, "mapping": refs}}


# ---- records --------------------------------------------------------------------------------------

class Field:
    __slots__ = ("type", "default", "doc")

    def __init__(self, type_, default, doc: str):
        self.type = type_  # a value type above or a Record class
        self.default = default  # REQUIRED, a value, or a Record class whose empty record is the default
        self.doc = doc

    def default_value(self):
        d = self.default
        if isinstance(d, type) and issubclass(d, Record):
            return d.from_data({})  # a record with required fields cannot be a default: Rejected says so
        return d.copy() if isinstance(d, (dict, list)) else d


def required(type_, doc: str = "") -> Any:
    return Field(type_, REQUIRED, doc)


def optional(type_, default: Any = None, doc: str = "") -> Any:
    """A field that may be left out; `default` None means "not set" and also accepts null."""
    return Field(type_, default, doc)


class Record:
    """Base of the declared records. Subclasses list their fields as class attributes."""

    fields: dict[str, Field] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        own = {name: f for name, f in vars(cls).items() if isinstance(f, Field)}
        cls.fields = {**cls.fields, **own}
        for name in own:  # the class attribute would shadow a field left unset; values live on instances
            delattr(cls, name)
        cls._required = tuple(n for n, f in cls.fields.items() if f.default is REQUIRED)

    _required: tuple = ()
    rules: tuple = ()  # declared rules across fields (ExactlyOne, Excludes, When): validator and schema

    def check(self) -> None:
        """Rules across fields that are not `rules` data; raise Invalid. Runs only when every field is valid.
        Anything written here the schema cannot say: keep it empty where a declared rule can."""

    @classmethod
    def parse(cls, value, loc: tuple, out: list):
        if type(value) is not dict:
            return _not_mapping(out, loc, value)
        fields, bad = cls.fields, False
        values: dict = {}
        for key, v in value.items():
            f = fields.get(key) if isinstance(key, str) else None
            if f is None:
                out.append(_unknown(key, loc, fields))
                bad = True
            elif v is None and f.default is None:
                values[key] = None
            else:
                v = f.type.parse(v, loc + (key,), out)
                bad = bad or v is _BAD
                values[key] = v
        for name in cls._required:
            if name not in value:
                out.append(Problem(loc + (name,), "missing", f"required key {name!r} is missing", "",
                                   at_key=True))
                bad = True
        if bad:
            return _BAD
        record = object.__new__(cls)
        record.__dict__.update(  # in declared order, whatever the order in the file
            (name, values[name] if name in values else f.default_value()) for name, f in fields.items())
        try:
            for rule in cls.rules:
                rule.check(record)
            record.check()
        except Invalid as exc:
            out.append(Problem(loc, exc.code, exc.message, exc.hint))
            return _BAD
        return record

    @classmethod
    def from_data(cls, data):
        problems: list[Problem] = []
        record = cls.parse(data, (), problems)
        if record is _BAD:
            raise Rejected(problems)
        return record

    @classmethod
    def schema(cls, defs: dict) -> dict:
        name = cls.__name__
        if name not in defs:
            defs[name] = {}  # placeholder: records refer to each other
            props = {key: _field_schema(f, defs) for key, f in cls.fields.items()}
            body = {"type": "object", "title": name, "properties": props, "additionalProperties": False}
            if cls._required:
                body["required"] = list(cls._required)
            if cls.__doc__:
                body["description"] = " ".join(cls.__doc__.split())
            if cls.rules:
                body["allOf"] = [rule.schema() for rule in cls.rules]
            defs[name] = body
        return {"$ref": f"#/$defs/{name}"}

    def as_dict(self, drop_none: bool = False) -> dict:
        return {k: v for k, v in self.__dict__.items() if not (drop_none and v is None)}

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other):
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]  # records hold dicts and lists: unhashable, as a dict

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if v is not None)
        return f"{type(self).__name__}({inner})"


def _field_schema(f: Field, defs: dict) -> dict:
    s = f.type.schema(defs)
    if f.default is None:
        s = {"anyOf": [s, {"type": "null"}]}
    elif f.default is not REQUIRED and not callable(f.default):
        s = {**s, "default": list(f.default) if isinstance(f.default, tuple) else f.default}
    if f.doc:
        s = {**s, "description": f.doc}
    return s


def _unknown(key, loc: tuple, fields: dict) -> Problem:
    import difflib  # only on this error path: its import is not free

    allowed = list(fields)
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    hint = (f"did you mean {close[0]!r}?" if close else
            f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it")
    return Problem(loc + (key,), "unknown-key", f"unknown key {key!r}", hint, at_key=True)
