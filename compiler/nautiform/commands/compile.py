"""`nautiform compile` and `nautiform check`."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from .. import __version__, report
from ..pipeline import Result, compile_file
from ..writer import NotOurs, read_tree, write_tree


def _report(result: Result, path: Path, fmt: str) -> None:
    if fmt == "json":
        print(report.as_json(result.diagnostics))
    elif result.diagnostics:
        print(report.text(result.diagnostics, report.source_lines_of(path)), file=sys.stderr)


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
        print(f"compiled {path.name} -> {out}/ ({summary})")
    return 0


def check_project(path: Path, out: Path, fmt: str = "text") -> int:
    result = compile_file(path, out)
    _report(result, path, fmt)
    if not result.ok:
        return 1
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
            print(f"{out}/ is up to date with {path.name}")
        return 0
    print("".join(diff), end="")
    print(f"\n{out}/ does not match {path.name}\n  hint: run `nautiform compile {path}` and commit the result; "
          f"never edit {out}/ by hand", file=sys.stderr)
    return 1


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
