"""Progress of a long transfer: a redrawn bar on a terminal, a plain line now and then otherwise
(CI logs and pipes get no carriage returns), and the figures for the summary."""
from __future__ import annotations

import sys
import threading
import time

_WIDTH = 24


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop always returns


def count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def rate(nbytes: int, seconds: float) -> str:
    return f"{human(nbytes / seconds)}/s" if seconds > 0 else "-"


class Progress:
    """Thread-safe counter of files and bytes done out of a known total."""

    def __init__(self, what: str, files: int, nbytes: int, stream=None, tty: bool | None = None,
                 every: float = 10.0):
        self.what, self.total_files, self.total_bytes = what, files, nbytes
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = 0.1 if self.tty else every
        self.files = self.bytes = 0
        self.started = time.monotonic()
        self._shown = self.started  # the first line after `every`: a quick job prints none
        self._lock = threading.Lock()

    def add(self, files: int, nbytes: int) -> None:
        with self._lock:
            self.files += files
            self.bytes += nbytes
            now = time.monotonic()
            if now - self._shown >= self.every:
                self._shown = now
                self._draw()

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        with self._lock:
            if self.tty:
                self._draw()
                self.stream.write("\n")
                self.stream.flush()

    def _draw(self) -> None:
        frac = self.bytes / self.total_bytes if self.total_bytes else (
            self.files / self.total_files if self.total_files else 1.0)
        line = (f"{self.what} {self.files}/{self.total_files} files, {human(self.bytes)}/"
                f"{human(self.total_bytes)}, {rate(self.bytes, self.seconds())}")
        if self.tty:
            bar = "#" * int(_WIDTH * min(frac, 1.0))
            self.stream.write(f"\r[{bar:<{_WIDTH}}] {line}\x1b[K")
        else:
            self.stream.write(f"{line} ({frac:.0%})\n")
        self.stream.flush()
