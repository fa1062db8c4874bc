"""The one writer: replace the output directory with the compiled files, all or nothing.

Files go to a temporary sibling directory first; only when every byte is written
is it swapped in, so stale files vanish and a failed or interrupted compile
leaves the old tree as it was.

The trees are flat (any subdirectory makes the output foreign, see `foreign_entries`), so
`_new_dir` and `_remove` replace tempfile and shutil here: importing those two cost ~3 ms of
every compile (issue 7).
"""
from __future__ import annotations

import os
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
        if entry.is_file() and _clutter(entry.name):
            continue  # written by a file browser, not a person: replaced with the rest (issue 12, item 12)
        if entry.is_dir() or entry.suffix != ".yaml" or _MARK not in _head(entry):
            foreign.append(entry.name)
    return foreign


# Files that macOS Finder, Windows Explorer and KDE Dolphin leave in any folder a person opens.
_CLUTTER = (".DS_Store", "Thumbs.db", "desktop.ini", ".directory")


def _clutter(name: str) -> bool:
    return name in _CLUTTER or name.startswith("._")  # ._x: macOS metadata beside x on non-Apple disks


def _head(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read(400)


def read_tree(out: Path) -> dict[str, bytes]:
    if not out.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not _clutter(p.name)}


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    foreign = foreign_entries(out)
    if foreign:
        raise NotOurs(foreign)
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_dir(out.parent, f".{out.name}.new-")
    try:
        for name, data in sorted(files.items()):
            with open(tmp / name, "wb") as fh:
                fh.write(data)
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
        if out.exists():
            old = _new_dir(out.parent, f".{out.name}.old-")
            os.rename(out, old / out.name)
            os.rename(tmp, out)
            _remove(old)
        else:
            os.rename(tmp, out)
    finally:
        if tmp.exists():
            _remove(tmp)


def _new_dir(parent: Path, prefix: str) -> Path:
    """A new private directory `parent/prefix<random>`, as tempfile.mkdtemp makes it."""
    while True:
        path = parent / f"{prefix}{os.urandom(6).hex()}"
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue


def _remove(path: Path) -> None:
    """Delete a directory tree nautiform made; like shutil.rmtree(ignore_errors=True), symlinks not followed."""
    try:
        with os.scandir(path) as entries:
            for entry in list(entries):
                if entry.is_dir(follow_symlinks=False):
                    _remove(Path(entry.path))
                else:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        pass
        os.rmdir(path)
    except OSError:
        pass
