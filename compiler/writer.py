"""The one writer: replace the output directory with the compiled files, all or nothing.

Files go to a temporary sibling directory first; only when every byte is written
is it swapped in, so stale files vanish and a failed or interrupted compile
leaves the old tree as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .emit import HEADER

_MARK = HEADER.split("{file}")[0]


class NotOurs(Exception):
    """The output directory holds something nautiform did not write; we refuse to replace it."""


def foreign_entries(out: Path) -> list[str]:
    if not out.exists():
        return []
    if not out.is_dir():
        return [out.name]
    foreign = []
    for entry in sorted(out.iterdir()):
        if entry.is_dir() or entry.suffix != ".yaml" or _MARK not in entry.read_text(encoding="utf-8", errors="replace")[:400]:
            foreign.append(entry.name)
    return foreign


def read_tree(out: Path) -> dict[str, bytes]:
    if not out.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    foreign = foreign_entries(out)
    if foreign:
        raise NotOurs(foreign)
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for name, data in sorted(files.items()):
            with open(tmp / name, "wb") as fh:
                fh.write(data)
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, old / out.name)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
