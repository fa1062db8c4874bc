"""Terminal output for the day-two commands: tables that fit 80 columns, colour only on a TTY.

Colour is off when the stream is not a terminal, when NO_COLOR is set (https://no-color.org) or
TERM is `dumb`; text never depends on it (states are words, not colours).
"""
from __future__ import annotations

import os
import sys

WIDTH = 80
_CODES = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}
STATE_COLOURS = {"running": "green", "succeeded": "green", "failed": "red", "pending": "yellow",
                 "waiting": "yellow", "stopped": "dim", "not deployed": "dim", "not run": "dim",
                 "done earlier": "green", "failed earlier": "red"}


def colour_on(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, colour: str | None, on: bool) -> str:
    if not on or not colour or not text:
        return text
    return f"\033[{_CODES[colour]}m{text}\033[0m"


def clip(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def table(headers: list[str], rows: list[list], flex: int = -1, width: int = WIDTH, colours=None,
          on: bool = False, indent: str = "") -> list[str]:
    """Rows as left-aligned columns two spaces apart; column `flex` (default: the last) is clipped so
    each line fits `width`. `colours`: per row, an optional (column, colour) painted after padding."""
    cells = [[str(c) if c is not None else "-" for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    flex = flex % len(headers)
    room = width - len(indent) - sum(w for i, w in enumerate(widths) if i != flex) - 2 * (len(headers) - 1)
    widths[flex] = max(min(widths[flex], room), len(headers[flex]), 4)
    out = []
    for n, row in enumerate([headers] + cells):
        parts = [clip(c, widths[i]).ljust(widths[i]) if i < len(row) - 1 else clip(c, widths[i])
                 for i, c in enumerate(row)]
        pick = colours[n - 1] if colours and n > 0 else None
        if pick:
            col, colour = pick
            parts[col] = paint(parts[col], colour, on)
        out.append((indent + "  ".join(parts)).rstrip())
    return out


def wrap(text: str, indent: str = "  ", width: int = WIDTH) -> list[str]:
    """Words onto lines of at most `width` (a word longer than a line is kept whole)."""
    lines, line = [], indent
    for word in text.split():
        if line.strip() and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + "  " + word
        else:
            line = f"{line} {word}" if line.strip() else line + word
    if line.strip():
        lines.append(line)
    return lines


def progress(text: str, stream=None) -> None:
    """A transient line on a terminal's stderr (long waits show progress); nothing elsewhere."""
    stream = stream or sys.stderr
    try:
        if stream.isatty():
            stream.write(f"\r\033[K{clip(text, WIDTH - 1)}" if text else "\r\033[K")
            stream.flush()
    except (AttributeError, ValueError):
        pass
