"""Hypothesis strategies that break a valid project the ways people (and editors) break YAML.

Structural mutations change the data before it is written (wrong types, unknown and misspelled
keys, missing keys, huge and negative numbers, unicode, deep nesting); textual mutations change
the written text (tabs, BOM, control characters, duplicate keys, YAML tags, anchors/aliases and
alias bombs, merge keys, truncation, CRLF, invalid UTF-8, extra documents, directives).
"""
from __future__ import annotations

import copy

from hypothesis import strategies as st

from projects import STYLES, projects, to_yaml

HUGE = [10**30, -10**30, 2**63, -2**63 - 1, 2**31, -1, 0, -0.0, 1e308, -1e-308, 10**400]
JUNK = st.one_of(
    st.none(), st.booleans(), st.sampled_from(HUGE), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                               max_size=2),
    st.sampled_from(["", " ", "16GB", "-1", "-5Gi", "0", "0m", "1e400", "1e-400", "NaN", "∞", "١٢", "4\u200b",
                     "Gi", "1.5.5", "0x10", "１６Gi", "500m ", "\u202e16Gi", "😀", "a" * 5000, "x\ny", "0755",
                     "yes", "~", "2024-01-01", "sleep infinity", "{lr}", "{", "}}", "-1s", "0s", "99999999d",
                     "1.5h", "6H", "/", "..", "../../etc", "kind", "interactive", 0.0001, 5e-324, 1.0000001,
                     1e-3, 123456789.123456789, "9" * 5000, "1" * 70 + "Gi"]))
KEYS = st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(
    ["kind", "gpu", "count", "cpu", "memory", "Kind", "CPU", "extra", "<<", "version", "workloads", "sweep", "env"]))


def paths(data, prefix=()):
    """Every path into `data` (the root too)."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths(v, prefix + (i,))


def _get(data, path):
    for p in path:
        data = data[p]
    return data


def _set(data, path, value):
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def nested(depth: int, leaf) -> object:
    for i in range(depth):
        leaf = [leaf] if i % 2 else {"k": leaf}
    return leaf


def misspell(key: str, i: int, how: int) -> str:
    if not key:
        return "x"
    i %= len(key)
    if how == 0:
        return key[:i] + key[i + 1:] or key + key  # drop a letter
    if how == 1:
        return key[:i] + key[i] + key[i:]  # double a letter
    if how == 2 and len(key) > 1:
        j = min(i + 1, len(key) - 1)
        swapped = key[:i] + key[j] + key[i] + key[j + 1:]
        return swapped if swapped != key else key.upper()
    return key.upper() if key.upper() != key else key.lower() + "_"


@st.composite
def structural(draw, data):
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(data))))
        node = _get(data, path)
        op = draw(st.sampled_from(["replace", "delete", "unknown", "misspell", "nest", "wrap"]))
        if op == "replace" or (op in ("delete", "misspell", "unknown") and not isinstance(node, dict)):
            data = _set(data, path, draw(JUNK))
        elif op == "delete" and node:
            node.pop(draw(st.sampled_from(sorted(node, key=str))))
        elif op == "unknown":
            node[draw(KEYS)] = draw(JUNK)
        elif op == "misspell" and node:
            key = draw(st.sampled_from(sorted(node, key=str)))
            new = misspell(str(key), draw(st.integers(0, 50)), draw(st.integers(0, 3)))
            node[new] = node.pop(key)
        elif op == "nest":
            data = _set(data, path, nested(draw(st.integers(1, 120)), draw(JUNK)))
        elif op == "wrap":
            data = _set(data, path, draw(st.sampled_from([[node], {"value": node}, str(node)])))
        if not isinstance(data, dict):
            break
    return data


def alias_bomb(levels: int, width: int) -> str:
    lines = ['l0: &l0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


TAGS = ["!!python/object:os.system", "!!python/name:os.system", "!!binary", "!!set", "!!omap", "!custom", "!!str",
        "!!int", "!!float", "!!null", "!!bool", "!<tag:yaml.org,2002:str>", "!!timestamp", "!!map", "!!seq",
        "!<tag:example.com:x>", "!!merge", "!e!x"]
CONTROL = [chr(c) for c in list(range(0, 9)) + [11, 12] + list(range(14, 32)) + [0x7f, 0x85, 0xfeff, 0xfffe,
                                                                                 0x2028, 0x2029, 0x202e]]


@st.composite
def textual(draw, text: str) -> str | bytes:
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["tab", "bom", "control", "dup-line", "tag", "anchor", "bomb", "truncate",
                                   "crlf", "cr", "invalid-utf8", "documents", "directive", "merge", "insert",
                                   "delete", "deep-flow", "long-line", "indent", "number", "wide"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[i] if lines else ""
        col = draw(st.integers(0, len(line)))
        if op == "tab":
            lines[i] = "\t" + line.lstrip(" ") if draw(st.booleans()) else line[:col] + "\t" + line[col:]
        elif op == "bom":
            lines[i] = line[:col] + "\ufeff" + line[col:] if draw(st.booleans()) else line
            if lines and not lines[0].startswith("\ufeff"):
                lines[0] = "\ufeff" + lines[0]
        elif op == "control":
            lines[i] = line[:col] + draw(st.sampled_from(CONTROL)) + line[col:]
        elif op == "dup-line":
            lines.insert(i, line)
        elif op == "tag":
            pos = line.find(": ")
            tag = draw(st.sampled_from(TAGS))
            lines[i] = line[:pos + 2] + tag + " " + line[pos + 2:] if pos >= 0 else tag + " " + line
        elif op == "anchor":
            pos = line.find(": ")
            if pos >= 0:
                lines[i] = line[:pos + 2] + "&a " + line[pos + 2:]
                j = draw(st.integers(0, len(lines) - 1))
                target = lines[j].find(": ")
                if target >= 0:
                    lines[j] = lines[j][:target + 2] + draw(st.sampled_from(["*a", "*b", "*a *a", "[*a, *a]"]))
        elif op == "bomb":
            bomb = alias_bomb(draw(st.integers(2, 12)), draw(st.integers(2, 12)))
            lines = bomb.split("\n") + lines if draw(st.booleans()) else lines + bomb.split("\n")
        elif op == "truncate":
            return "\n".join(lines)[: draw(st.integers(0, len(text)))]
        elif op == "crlf":
            return "\r\n".join(lines)
        elif op == "cr":
            return "\r".join(lines)
        elif op == "invalid-utf8":
            raw = "\n".join(lines).encode()
            at = draw(st.integers(0, len(raw)))
            return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"])) \
                + raw[at:]
        elif op == "documents":
            extra = draw(st.sampled_from(["---\n", "---\nversion: 1\n", "...\n", "--- !!str x\n", "---\n---\n"]))
            lines = extra.split("\n") + lines if draw(st.booleans()) else lines + extra.split("\n")
        elif op == "directive":
            lines.insert(0, draw(st.sampled_from(["%YAML 1.1", "%YAML 1.2", "%YAML 2.0", "%TAG !e! tag:x.com,2000:",
                                                  "%FOO bar", "%YAML 1.1\n%YAML 1.1"])) + "\n---")
        elif op == "merge":
            lines.insert(i, line[:len(line) - len(line.lstrip(" "))] + draw(st.sampled_from(
                ["<<: {cpu: 1}", "<<: [*a]", "<<: 5", "<<: [{a: 1}, 3]", "<<: *a", "? [a, b]\n: c", "? {a: 1}"])))
        elif op == "insert":
            lines[i] = line[:col] + draw(st.text(max_size=5)) + line[col:]
        elif op == "delete":
            end = draw(st.integers(col, len(line)))
            lines[i] = line[:col] + line[end:]
        elif op == "deep-flow":
            depth = draw(st.sampled_from([10, 63, 64, 65, 200, 1000, 5000]))
            lines[i] = line[:col] + "[" * depth + "]" * depth + line[col:]
        elif op == "long-line":
            lines[i] = line + " " + "x" * draw(st.sampled_from([1000, 100_000, 300_000]))
        elif op == "wide":  # a flow list of many values; 140,000 goes over the 256 KiB file limit
            lines[i] = line[:col] + "[" + ",".join(["1"] * draw(st.sampled_from([1000, 50_000, 140_000]))) + "]" \
                + line[col:]
        elif op == "number":  # a scalar value becomes an extreme number
            pos = line.find(": ")
            number = draw(st.sampled_from(["1" * 5000, "0x" + "f" * 5000, "-" + "9" * 400, "1e400", "-1e400",
                                           "0.0001", "5e-324", "1.0000001", "-0.0", "0o777", "0b101", "1_000",
                                           ".inf", "-.inf", ".nan", "9" * 5000 + "Gi", '"' + "9" * 5000 + '"']))
            lines[i] = (line[:pos + 2] + number) if pos >= 0 else line[:col] + number + line[col:]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 3)) + line
    return "\n".join(lines)


@st.composite
def mutated(draw) -> str | bytes:
    """A valid project, broken structurally, textually, or both."""
    data = draw(projects())
    kind = draw(st.sampled_from(["structural", "textual", "both"]))
    if kind != "textual":
        data = draw(structural(data))
    style = draw(st.sampled_from([s for s in STYLES if s != "json" or kind == "structural"]))
    text = _render(data, style)
    if kind != "structural":
        text = draw(textual(text))
    return text


def _render(data, style: str) -> str:
    try:
        return to_yaml(data, style)
    except (ValueError, TypeError, RecursionError, OverflowError):  # e.g. non-string keys in JSON
        return to_yaml(data, "nautiform")
