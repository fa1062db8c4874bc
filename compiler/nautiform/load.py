"""Stage 1, load: YAML text -> plain dicts/lists plus the position of every key and value.

We compose (not construct) with ruamel.yaml's safe composer so that we decide every scalar's type
ourselves: YAML 1.2 core types only, dates stay strings, unknown tags are refused,
duplicate keys and alias bombs become diagnostics instead of surprises.
"""
from __future__ import annotations

import math
import re

from .errors import Diagnostic, Position, UserError, dotted

# Alias expansion is counted against this budget so a "billion laughs" document
# fails fast with a message instead of exhausting memory (issue 6).
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_CHARS = 256 * 1024  # 80 times the example; a dense flow list this long still parses in ~3 s
_MAX_DIGITS = 100

_STD = "tag:yaml.org,2002:"
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S*)", re.M)
# Texts an explicit !!null / !!bool / !!int tag accepts; `!!int python:3.11` crashed int() (issue 6 fuzzing).
_EXPLICIT = {"null": re.compile(r"^(|~|null|Null|NULL)$"), "bool": re.compile(r"^(true|True|TRUE|false|False|FALSE)$"),
             "int": re.compile(r"^[-+]?([0-9][0-9_]*|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$")}
_SURROGATE = re.compile("[\ud800-\udfff]")
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")}


class Loaded:
    def __init__(self, data: object, file: str, positions: dict[tuple, tuple[Position | None, Position]],
                 sources: dict[tuple, str] | None = None):
        self.data = data
        self.file = file
        self.positions = positions  # path tuple -> (key position, value position); the root is ().
        self.sources = sources or {}  # path tuple -> the text of a number, boolean or null as written

    def position(self, path: tuple, *, key: bool = False) -> Position | None:
        """Closest known position for `path`, walking up to the parent when needed."""
        path = tuple(path)
        while True:
            found = self.positions.get(path)
            if found:
                return (found[0] or found[1]) if key else found[1]
            if not path:
                return None
            path = path[:-1]
            key = True  # a missing child is best shown at its parent's key


class _Converter:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[tuple, tuple[Position | None, Position]] = {}
        self.sources: dict[tuple, str] = {}  # path -> text of a plain scalar that is not a string
        self.diagnostics: list[Diagnostic] = []
        self.budget = MAX_NODES

    def error(self, code: str, node, path: tuple, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(code, message, dotted(path), _pos(node), hint, file=self.file))

    def convert(self, node, path: tuple, depth: int = 0):
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        tag = node.tag if isinstance(node.tag, str) else str(node.tag)
        kind = type(node).__name__
        if tag not in _ALLOWED_TAGS:
            self.error("yaml-tag", node, path, f"YAML tag {tag!r} is not supported",
                       "remove the tag; project.yaml uses plain values only")
            return None
        if kind == "MappingNode":
            return self._mapping(node, path, depth)
        if kind == "SequenceNode":
            return [self.convert(item, path + (i,), depth + 1)
                    for i, item in enumerate(self._note_items(node, path))]
        if not self._unicode(node, path):
            return None
        value = self._scalar(node, tag, path)
        if not isinstance(value, str):  # as written: a hint quotes `1e-5`, not Python's 1e-05
            self.sources[path] = node.value
        return value

    def _unicode(self, node, path: tuple) -> bool:
        """Join escaped UTF-16 surrogate pairs ("\\ud83d\\ude00", as JSON writes them); refuse lone ones,
        which no UTF-8 file can hold and which would crash every later stage (issue 6, found by fuzzing)."""
        if not _SURROGATE.search(node.value):
            return True
        try:
            node.value = node.value.encode("utf-16", "surrogatepass").decode("utf-16")
            return True
        except UnicodeDecodeError:
            self.error("yaml-escape", node, path, "an escape gives a lone UTF-16 surrogate (\\ud800-\\udfff)",
                       "write the character itself, or a \\U escape of its code point")
            return False

    def _note_items(self, node, path):
        for i, item in enumerate(node.value):
            self.positions[path + (i,)] = (None, _pos(item))
        return node.value

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        out: dict = {}
        seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if type(key_node).__name__ != "ScalarNode":
                self.error("yaml-key", key_node, path, "mapping keys must be plain strings")
                continue
            if not self._unicode(key_node, path):
                continue
            key = key_node.value
            if key == "<<" and key_node.tag.endswith(":merge"):
                self._merge(out, value_node, path, depth)
                continue
            if key in seen:
                first = seen[key]
                self.error("duplicate-key", key_node, path + (key,),
                           f"duplicate key {key!r} (first defined at line {first.line})",
                           "keep one of them; YAML would silently use the last")
                continue
            seen[key] = _pos(key_node)
            self.positions[path + (key,)] = (_pos(key_node), _pos(value_node))
            out[key] = self.convert(value_node, path + (key,), depth + 1)
        return out

    def _merge(self, out: dict, value_node, path: tuple, depth: int) -> None:
        sources = value_node.value if type(value_node).__name__ == "SequenceNode" else [value_node]
        for src in sources:
            merged = self.convert(src, path, depth + 1)
            if not isinstance(merged, dict):
                self.error("yaml-merge", src, path, "'<<' must merge a mapping")
                continue
            for k, v in merged.items():
                out.setdefault(k, v)

    def _scalar(self, node, tag: str, path: tuple):
        text = node.value
        if node.style:  # quoted or block scalars are always strings
            return text
        short = tag[len(_STD):] if tag.startswith(_STD) else "str"
        if short in _EXPLICIT and not _EXPLICIT[short].match(text):  # only an explicit tag (`!!int x`) gets here
            self.error("yaml-tag", node, path, f"{text!r} is not a YAML {short}",
                       "remove the tag; project.yaml uses plain values only")
            return None
        if short == "null":
            return None
        if short == "bool":
            return text.lower() == "true"
        if short == "int":
            if len(text) > _MAX_DIGITS:  # int() refuses > 4300 digits with a ValueError (crashed; issue 6 fuzzing)
                self.error("number", node, path, f"a number of {len(text)} characters is out of range",
                           "write a smaller number, or quote it if it is text")
                return None
            try:
                return _parse_int(text)
            except ValueError:  # `!!int 0x_`: digits only of underscores
                self.error("yaml-tag", node, path, f"{text!r} is not a YAML int", "write the number plainly")
                return None
        if short == "float":
            value = _parse_float(text)
            if value is not None:
                return value
        return text  # str, timestamp (kept as written), anything else


def _parse_int(text: str) -> int:
    t = text.replace("_", "")
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    if t.startswith(("0x", "0X")):
        return sign * int(t[2:], 16)
    if t.startswith(("0o", "0O")):
        return sign * int(t[2:], 8)
    if t.startswith(("0b", "0B")):
        return sign * int(t[2:], 2)
    return sign * int(t or "0", 10)


def _parse_float(text: str) -> float | None:
    t = text.replace("_", "").lower()
    if t in (".nan",):
        return math.nan
    if t.lstrip("+-") == ".inf":
        return -math.inf if t.startswith("-") else math.inf
    try:
        return float(t)
    except ValueError:
        return None


def _pos(node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


class _TooLarge(Exception):
    def __init__(self, node):
        self.node = node


class _TooDeep(_TooLarge):
    pass


def load_text(text: str, file: str) -> Loaded:
    """Parse `text`; raise UserError with positioned diagnostics on any YAML problem."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if text.startswith("\ufeff"):
        text = text[1:]
    conv = _Converter(file)
    if len(text) > MAX_CHARS:  # the pure-Python parser reads ~200 kB/s: bound the time, not only the memory
        raise UserError([Diagnostic("yaml-size", f"the file has {len(text):,} characters; project.yaml may have "
                                    f"at most {MAX_CHARS:,}", "", Position(1, 1),
                                    "use a sweep grid or random search instead of listing every point",
                                    file=file)])
    directive = _DIRECTIVE.search(text)
    if directive and directive.group(1) != "1.2":  # 1.1 would read `yes` as true; 2.0 crashed ruamel
        raise UserError([Diagnostic("yaml-version", f"YAML {directive.group(1)} is not supported",
                                    "", Position(text[:directive.start()].count("\n") + 1, 1),
                                    "remove the %YAML line: project.yaml is YAML 1.2", file=file)])
    try:
        # The safe composer: the round-trip one also parses comments and crashed on some of them
        # (NotImplementedError "overlap in comment", found by atheris; issue 6). We need no comments.
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise UserError([Diagnostic("yaml-syntax", f"YAML syntax error: {problem}", "", pos,
                                    _syntax_hint(problem), file=file)]) from None
    except YAMLError as exc:  # reader errors (control characters) have no mark
        pos = Position(1, 1)
        index = getattr(exc, "position", None)
        if isinstance(index, int):
            before = text[:index]
            pos = Position(before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)
        raise UserError([Diagnostic("yaml-syntax", f"YAML syntax error: {str(exc).splitlines()[0]}", "",
                                    pos, "remove control characters; save the file as UTF-8",
                                    file=file)]) from None
    except RecursionError:
        raise UserError([Diagnostic("yaml-depth", "YAML nesting is too deep", "", Position(1, 1),
                                    f"project.yaml never needs more than {MAX_DEPTH} levels", file=file)]) from None
    except Exception as exc:  # the parser's own failure on malformed input is still the input's problem
        raise UserError([Diagnostic("yaml-syntax", f"YAML syntax error: the parser gave up ({type(exc).__name__})",
                                    "", Position(1, 1), "check the file with a YAML linter, e.g. yamllint",
                                    file=file)]) from None
    if node is None:
        raise UserError([Diagnostic("empty", "the file is empty", "", Position(1, 1),
                                    "start from project.example.yaml", file=file)])
    try:
        data = conv.convert(node, ())
    except _TooDeep as exc:
        raise UserError([Diagnostic("yaml-depth", "YAML nesting is too deep", "", _pos(exc.node),
                                    f"project.yaml never needs more than {MAX_DEPTH} levels", file=file)]) from None
    except _TooLarge as exc:
        raise UserError([Diagnostic("yaml-size", f"the document expands to more than {MAX_NODES} values",
                                    "", _pos(exc.node),
                                    "anchors/aliases expand exponentially here; write the values out",
                                    file=file)]) from None
    if conv.diagnostics:
        raise UserError(conv.diagnostics)
    conv.positions[()] = (None, _pos(node))
    return Loaded(data, file, conv.positions, conv.sources)


def _syntax_hint(problem: str) -> str:
    if "tab" in problem.lower() or "\\t" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote values that contain ': ' or fix the indentation of this line"
    return "check indentation and quoting on this line and the one above"
