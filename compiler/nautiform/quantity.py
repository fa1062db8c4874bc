"""Kubernetes resource quantities, parsed the way the API server parses them.

`500m`, `2`, `16Gi`, `1e3`, `1.5G` are valid; `16GB`, `16gb`, `2 Gi` are not.
Values are exact Fractions so that ratio checks (limit <= 1.2 x request) never
suffer float rounding.
"""
from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL: dict[str, int | Fraction] = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": 1,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")
_MISTAKE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*([a-zA-Z]+)\s*$")
_FIXES = {"kb": "Ki", "k": "Ki", "kib": "Ki", "mb": "Mi", "m": "Mi", "mib": "Mi", "gb": "Gi", "g": "Gi",
          "gib": "Gi", "tb": "Ti", "t": "Ti", "tib": "Ti", "pb": "Pi", "pib": "Pi"}


class QuantityError(ValueError):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


def parse(value: object) -> Fraction:
    """Parse a quantity given as YAML int/float/str; raise QuantityError with a hint."""
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"expected a quantity such as 4, 500m or 16Gi, got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError(f"{value} is not a quantity")
        return Fraction(str(value))
    text = str(value)
    if len(text) > 64:  # no real quantity is this long; Fraction() would refuse > 4300 digits anyway
        raise QuantityError(f"a quantity of {len(text)} characters is out of range", "write e.g. 16Gi")
    m = _RE.match(text)
    if not m:
        raise QuantityError(f"{text!r} is not a Kubernetes quantity", _hint(text))
    number, suffix = m.group(1), m.group(2) or ""
    base = Fraction(number)
    if suffix not in _BINARY and suffix not in _DECIMAL:  # an exponent, e3 or E-2 (E alone is exa, Ei exbi)
        exponent = int(suffix[1:])
        if abs(exponent) > 30:
            raise QuantityError(f"{text!r} is out of range")
        return base * Fraction(10 ** exponent) if exponent >= 0 else base / 10 ** -exponent
    factor: int | Fraction = _BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix]
    return base * factor


def _hint(text: str) -> str:
    m = _MISTAKE.match(text)
    if not m:
        return "write a number with an optional suffix: 500m, 4, 16Gi, 100Mi"
    number, unit = m.groups()
    if unit in _BINARY or unit in _DECIMAL:
        return f"remove the space: {number}{unit}"
    fix = _FIXES.get(unit.lower())
    if fix:
        return f"Kubernetes spells binary units Ki/Mi/Gi/Ti: write {number}{fix}"
    return f"unknown unit {unit!r}; use Ki, Mi, Gi, Ti (binary) or k, M, G, T (decimal)"


def render(value: object) -> str:
    """The quantity as a manifest string; numbers become their canonical spelling."""
    if isinstance(value, str):
        return value
    q = parse(value)
    if q.denominator == 1:
        return str(q.numerator)
    milli = q * 1000
    if milli.denominator == 1:
        return f"{milli.numerator}m"
    raise QuantityError(f"{value} has more precision than Kubernetes keeps (1m)", "round to 3 decimals")


def gib(q: Fraction) -> str:
    """Human form of a byte count for messages."""
    return f"{float(q / 2**30):g}Gi"
