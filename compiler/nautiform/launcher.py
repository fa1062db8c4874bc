"""The sweep launcher: a POSIX sh script (in the sweep's ConfigMap) that turns the pod's
JOB_COMPLETION_INDEX into its point's parameters, exports them and execs the command.

It needs only /bin/sh and sed, which every image with a shell has; its arithmetic is
the same mixed-radix reading as `expand.Sweep.point`, which the tests check by
running this script for every index.

A Job that runs only some points (apply runs only points not done before: sweeps.py) lists their
table indexes in the pod annotation `nautiform.io/points`, which reaches the launcher as
NAUTIFORM_POINTS ("0-3,7"); the completion index is a position in that list. Each point also has a
key made of its parameter values (`lr=0.001,batch=64`; a hash for a value that is long or unusual):
SWEEP_POINT_KEY, the name of its outputs prefix, the same wherever the point sits in the table.
"""
from __future__ import annotations

import hashlib
import re

from .expand import Sweep

MOUNT = "/etc/nautiform/sweep"
POINTS_ENV = "NAUTIFORM_POINTS"
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._+-]{1,40}\Z")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def env_name(param: str) -> str:
    return param.upper()


def placeholders(word: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(word) if m.group(1) is not None]


def shell_word(word: str) -> str:
    """One argv element as a sh word; {param} becomes "${PARAM}", the rest is single-quoted."""
    parts, last = [], 0
    for m in _PLACEHOLDER.finditer(word):
        literal = word[last:m.start()] + ("{" if m.group(0) == "{{" else "}" if m.group(0) == "}}" else "")
        if literal:
            parts.append(_quote(literal))
        if m.group(1) is not None:
            parts.append('"${%s}"' % env_name(m.group(1)))
        last = m.end()
    if word[last:] or not parts:
        parts.append(_quote(word[last:]))
    return "".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def data_key(sweep: Sweep, param: str) -> str:
    return f"{sweep.mode}.{param}"


def key_part(param: str, value: str) -> str:
    """`param=value`, or `param=h<hash>` when the value could not be part of a path as it is."""
    if _SAFE_VALUE.match(value):
        return f"{param}={value}"
    return f"{param}=h{hashlib.sha256(value.encode()).hexdigest()[:10]}"


def _needs_key_column(sweep: Sweep, param: str) -> bool:
    return any(not _SAFE_VALUE.match(v) for v in sweep.columns[param])


def point_keys(sweep: Sweep) -> list[str]:
    """Every point's key, in table order (points.keys reads the same from the ConfigMap)."""
    return [",".join(key_part(p, v) for p, v in sweep.point(i).items()) for i in range(sweep.size)]


_MAP_INDEX = (
    'if [ -n "${%s:-}" ]; then  # this Job runs only these table indexes\n'
    '  rest="$%s,"; n=$i\n'
    '  while [ -n "$rest" ]; do\n'
    '    part=${rest%%%%,*}; rest=${rest#*,}; lo=${part%%-*}; hi=${part#*-}\n'
    '    if [ "$n" -le $((hi - lo)) ]; then i=$((lo + n)); break; fi\n'
    '    n=$((n - hi + lo - 1))\n'
    '  done\n'
    'fi'
) % (POINTS_ENV, POINTS_ENV)


def script(sweep: Sweep, command: tuple[str, ...]) -> str:
    lines = [
        "#!/bin/sh",
        "# Written by nautiform: sweep point JOB_COMPLETION_INDEX -> parameters -> command.",
        "set -eu",
        f"d={MOUNT}",
        'i="${JOB_COMPLETION_INDEX:?not an Indexed Job pod}"',
        'pick() { sed -n "$(($2 + 1))p" "$d/$1"; }',
    ]
    lines.append(_MAP_INDEX)
    names = [env_name(p) for p in sweep.params]
    if sweep.mode == "grid":
        lines.append("r=$i; k=")
        for p in reversed(sweep.params):
            n = len(sweep.columns[p])
            lines.append(f'{env_name(p)}=$(pick {data_key(sweep, p)} $((r % {n}))); '
                         f'k="$(pick point.grid.{p} $((r % {n})))${{k:+,$k}}"; r=$((r / {n}))')
        lines.append('SWEEP_POINT_KEY=$k')
    else:
        lines += [f'{env_name(p)}=$(pick {data_key(sweep, p)} "$i")' for p in sweep.params]
        lines.append("k=")
        for p in sweep.params:  # a value that is not path-safe has its key part written out; the rest is p=value
            part = f'$(pick point.table.{p} "$i")' if _needs_key_column(sweep, p) else f"{p}=${{{env_name(p)}}}"
            lines.append(f'k="${{k:+$k,}}{part}"')
        lines.append('SWEEP_POINT_KEY=$k')
    lines.append("SWEEP_POINT=$i")
    lines.append("export " + " ".join(names + ["SWEEP_POINT", "SWEEP_POINT_KEY"]))
    shown = " ".join(f"{n}=${{{n}}}" for n in names)
    lines.append(f'echo "nautiform: sweep point $i: {shown}" >&2')
    lines.append("exec " + " ".join(shell_word(w) for w in command))
    return "\n".join(lines) + "\n"


def data(sweep: Sweep, command: tuple[str, ...]) -> dict:
    out = {data_key(sweep, p): "\n".join(sweep.columns[p]) + "\n" for p in sweep.params}
    # Point keys sit under `point.`, apart from the parameters' own `grid.*` / `table.*` files. A table's
    # key parts are written out only for parameters with values that are not path-safe: a 100,000-point
    # random sweep of numbers must still fit its ConfigMap.
    out["point.order"] = " ".join(sweep.params) + "\n"
    for p in sweep.params:
        if sweep.mode == "grid":
            out[f"point.grid.{p}"] = "\n".join(key_part(p, v) for v in sweep.columns[p]) + "\n"
        elif _needs_key_column(sweep, p):
            out[f"point.table.{p}"] = "\n".join(key_part(p, v) for v in sweep.columns[p]) + "\n"
    out["run.sh"] = script(sweep, command)
    return out
