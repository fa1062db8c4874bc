"""The sweep launcher: a POSIX sh script (in the sweep's ConfigMap) that turns the pod's
JOB_COMPLETION_INDEX into its point's parameters, exports them and execs the command.

It needs only /bin/sh and sed, which every image with a shell has; its arithmetic is
the same mixed-radix reading as `expand.Sweep.point`, which the tests check by
running this script for every index.
"""
from __future__ import annotations

import re

from .expand import Sweep

MOUNT = "/etc/nautiform/sweep"
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


def script(sweep: Sweep, command: tuple[str, ...]) -> str:
    lines = [
        "#!/bin/sh",
        "# Written by nautiform: sweep point JOB_COMPLETION_INDEX -> parameters -> command.",
        "set -eu",
        f"d={MOUNT}",
        'i="${JOB_COMPLETION_INDEX:?not an Indexed Job pod}"',
        'pick() { sed -n "$(($2 + 1))p" "$d/$1"; }',
    ]
    names = [env_name(p) for p in sweep.params]
    if sweep.mode == "grid":
        lines.append("r=$i")
        for p in reversed(sweep.params):
            n = len(sweep.columns[p])
            lines.append(f'{env_name(p)}=$(pick {data_key(sweep, p)} $((r % {n}))); r=$((r / {n}))')
    else:
        lines += [f'{env_name(p)}=$(pick {data_key(sweep, p)} "$i")' for p in sweep.params]
    lines.append(f"SWEEP_POINT=$i")
    lines.append("export " + " ".join(names + ["SWEEP_POINT"]))
    shown = " ".join(f"{n}=${{{n}}}" for n in names)
    lines.append(f'echo "nautiform: sweep point $i: {shown}" >&2')
    lines.append("exec " + " ".join(shell_word(w) for w in command))
    return "\n".join(lines) + "\n"


def data(sweep: Sweep, command: tuple[str, ...]) -> dict:
    out = {data_key(sweep, p): "\n".join(sweep.columns[p]) + "\n" for p in sweep.params}
    out["run.sh"] = script(sweep, command)
    return out
