"""`nautiform compile` and `nautiform check`."""
from __future__ import annotations

import sys
from typing import TextIO
from collections import Counter
from pathlib import Path

from .. import __version__, report
from ..pipeline import Result, compile_file
from ..writer import NotOurs, read_tree, write_tree


def _report(result: Result, path: Path, fmt: str) -> None:
    """json: the diagnostics on stdout; codequality: GitLab's report on stdout and the text on stderr
    (CI keeps the report as an artifact and shows the text in the job log); text: stderr."""
    if fmt == "json":
        print(report.as_json(result.diagnostics))
        return
    if fmt == "codequality":
        print(report.as_codequality(result.diagnostics, _repo_path(path)))
    if result.diagnostics:
        print(report.text(result.diagnostics, report.source_lines_of(path)), file=sys.stderr)


def _repo_path(path: Path) -> str:
    """The project file as a repository path (CI runs at the repository's root): relative, forward slashes."""
    import os

    return Path(os.path.relpath(path) if path.is_absolute() else os.path.normpath(path)).as_posix()


def _say(fmt: str) -> TextIO:
    """Where a command's own lines go: stdout, except where stdout carries a report."""
    return sys.stderr if fmt == "codequality" else sys.stdout


def compile_project(path: Path, out: Path, fmt: str = "text") -> int:
    result = compile_file(path, out)
    _report(result, path, fmt)
    if not result.ok:
        print(f"nothing written: {out}/ is unchanged", file=sys.stderr)
        return 1
    try:
        write_tree(out, result.files)
    except NotOurs as exc:
        print(f"error: {out}/ holds files nautiform did not write: {', '.join(exc.args[0][:5])}\n"
              f"  hint: choose an empty or generated directory with --out; nothing was changed", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write {out}/: {exc.strerror or exc}\n  hint: check the path and its permissions; "
              "nothing was changed", file=sys.stderr)
        return 1
    kinds = Counter(_kind(data) for name, data in result.files.items() if name != "kustomization.yaml")
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    if fmt != "json":
        print(f"compiled {path.name} -> {out}/ ({summary})", file=_say(fmt))
    return 0


def check_project(path: Path, out: Path, fmt: str = "text") -> int:
    result = compile_file(path, out)
    _report(result, path, fmt)
    if not result.ok:
        return 1
    _schema_note(path)
    have = read_tree(out)
    diff = tree_diff(have, result.files, out)
    written_by = tree_version(have)
    if diff and have and written_by != __version__:
        pin = f"`pip install nautiform=={written_by}` to check it as the pipeline does, or " if written_by else ""
        print(f"error: {out}/ was written by nautiform {written_by or 'older than 0.2.0'}, this is {__version__}: "
              f"{pin}upgrade on purpose with `nautiform compile {path}`, commit, and read the plan", file=sys.stderr)
        return 1
    if not diff:
        if fmt != "json":
            print(f"{out}/ is up to date with {path.name}", file=_say(fmt))
        return 0
    print("".join(diff), end="", file=_say(fmt))
    print(f"\n{out}/ does not match {path.name}\n  hint: run `nautiform compile {path}` and commit the result; "
          f"never edit {out}/ by hand", file=sys.stderr)
    return 1


def _schema_note(path: Path) -> None:
    from .schema import stale_note

    try:
        note = stale_note(path, path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):  # compile_file read it a moment ago; nothing to say about a vanished file
        return
    if note:
        print(note, file=sys.stderr)


def tree_version(files: dict[str, bytes]) -> str | None:
    """The nautiform version recorded in a tree's kustomization.yaml (None: written before 0.2.0)."""
    import re

    m = re.search(rb"^# nautiform-version: (\S+)", files.get("kustomization.yaml", b"")[:400], re.M)
    return m.group(1).decode() if m else None


def tree_diff(have: dict[str, bytes], want: dict[str, bytes], out: Path) -> list[str]:
    import difflib  # only a stale tree needs it; compile never does

    lines: list[str] = []
    for name in sorted(set(have) | set(want)):
        a, b = have.get(name), want.get(name)
        if a == b:
            continue
        old = a.decode("utf-8", "replace").splitlines(keepends=True) if a is not None else []
        new = b.decode("utf-8", "replace").splitlines(keepends=True) if b is not None else []
        lines += difflib.unified_diff(old, new, f"{out}/{name}" if a is not None else "/dev/null",
                                      f"compiled/{name}" if b is not None else "/dev/null")
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
    return lines


def _kind(data: bytes) -> str:
    for line in data.decode("utf-8").splitlines():
        if line.startswith("kind: "):
            return line[6:]
    return "?"
