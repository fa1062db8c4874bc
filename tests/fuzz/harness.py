"""Run one input through nautiform and check the properties every input must keep (issue 6).

`run_in_process` drives `compile_project` (the CLI's command function, writer included) in this
process, which is ~100x faster than a subprocess; `run_cli` is the real `python -m nautiform`.
Both check: exit 0 or 1, `file:line:col` diagnostics on 1, no traceback, bounded time, and an
output directory left byte-for-byte as it was when the compile fails.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import event

from nautiform.commands.compile import compile_project
from nautiform.emit import HEADER
from nf_testlib import nautiform, tree

# "A few seconds": CPU seconds in-process (steady under a loaded machine), wall seconds for the CLI.
CPU_LIMIT = 5.0
WALL_LIMIT = 30.0
EXAMPLES = int(os.environ.get("NAUTIFORM_FUZZ_EXAMPLES", "0") or 0)
DIAGNOSTIC = re.compile(r"^project\.yaml:(\d+):(\d+): (error|warning)\[[a-z0-9-]+\]", re.M)
# An old, nautiform-written tree: a failed compile must leave exactly these bytes.
SEED_TREE = {
    "job-old.yaml": ("# Source: project.yaml:1 (workloads.old)\n" + HEADER.format(file="project.yaml") +
                     "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: old\n").encode(),
    "kustomization.yaml": (HEADER.format(file="project.yaml") + "kind: Kustomization\nresources:\n"
                           "- job-old.yaml\n").encode(),
}


def examples(default: int) -> int:
    """Examples per property: the default, or NAUTIFORM_FUZZ_EXAMPLES when set (a longer run)."""
    return EXAMPLES or default


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    files: dict  # the output directory after the run
    seconds: float


def prepare(work: Path, text: str | bytes) -> Path:
    """A project directory with project.yaml, a Dockerfile (for image.build) and a seeded generated/."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "project.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    (work / "Dockerfile").write_text("FROM python:3.11-slim\n")
    out = work / "generated"
    out.mkdir(exist_ok=True)
    for name, data in SEED_TREE.items():
        (out / name).write_bytes(data)
    return path


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def run_in_process(work: Path, text: str | bytes) -> Outcome:
    path = prepare(work, text)
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, WALL_LIMIT)
    start = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = compile_project(path, path.parent / "generated")
    except _Hang:
        raise AssertionError(f"compile did not finish within {WALL_LIMIT}s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    seconds = time.process_time() - start
    return Outcome(code, out.getvalue(), err.getvalue(), tree(path.parent / "generated"), seconds)


def run_cli(work: Path, text: str | bytes, *extra: str, env: dict | None = None) -> Outcome:
    prepare(work, text)
    start = time.monotonic()
    run = nautiform("compile", "project.yaml", *extra, cwd=work, env=env, timeout=WALL_LIMIT * 2)
    seconds = time.monotonic() - start
    return Outcome(run.code, run.out, run.err, tree(work / "generated"), seconds)


def check_outcome(o: Outcome, text: str | bytes, limit: float = CPU_LIMIT) -> None:
    """The properties every input keeps, valid or not."""
    event(f"exit {o.code}")  # --hypothesis-show-statistics shows how inputs split
    for code in sorted(set(re.findall(r"(?:error|warning)\[([a-z0-9-]+)\]", o.err))):
        event(f"diagnostic {code}")
    shown = repr(text[:300])
    assert o.code in (0, 1), f"exit {o.code}\n{o.err}\ninput: {shown}"
    assert "Traceback" not in o.out + o.err, f"{o.err}\ninput: {shown}"
    assert "internal error" not in o.err, f"{o.err}\ninput: {shown}"
    assert o.seconds < limit, f"took {o.seconds:.1f}s\ninput: {shown}"
    if o.code == 1:
        found = DIAGNOSTIC.findall(o.err)
        assert found, f"no file:line:col diagnostic in:\n{o.err}\ninput: {shown}"
        lines = max(1, len(_text(text).splitlines()) + 1)
        for line, col, _ in found:
            assert 1 <= int(line) <= lines and int(col) >= 1, f"position {line}:{col} outside the file\n{o.err}"
        assert "nothing written" in o.err
        assert o.files == SEED_TREE, f"a failed compile changed generated/\ninput: {shown}"
    else:
        listed = re.findall(r"^- (\S+)$", o.files.get("kustomization.yaml", b"").decode(), re.M)
        assert set(o.files) == {"kustomization.yaml", *listed}, "a successful compile replaces the whole tree"


def _text(text: str | bytes) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
