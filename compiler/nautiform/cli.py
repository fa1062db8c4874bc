"""Command line entry: the error boundary, and a click-free path for a plain `compile` or `check`.

Exit codes: 0 ok, 1 user error (diagnostics printed), 2 usage, 3 internal bug
(traceback saved to a log file, never shown as the error), 130 interrupted.

Importing click costs ~10 ms, about a seventh of issue 7's budget for a whole compile, and CI runs
`nautiform compile` and `nautiform check` on every push. So `plain_args` reads those two command
lines when they are plain (a path, `--out DIR`, `--format text|json|codequality`) and gives exactly the values
click would (tests/test_cli.py compares the two parsers); anything else (help, --version, other
commands, an unknown or malformed option, shell completion) goes to click in cli_click.py, with
its own help texts and usage errors.
"""
from __future__ import annotations

import errno
import gc
import os
import sys
from pathlib import Path

COMMANDS = ("compile", "check")
DEFAULTS = {"path": "project.yaml", "--out": "generated", "--format": "text"}
_FORMATS = ("text", "json", "codequality")


def entry() -> None:
    """The `nautiform` program and `python -m nautiform`. Other commands run `main` as it is; a plain
    compile or check, a short run over a bounded input (load.py), is made cheaper at both ends (issue 7):
    - the cyclic garbage collector is off: its passes over a heap that is nearly all live (modules, the
      parse) were ~3 ms; peak memory of a 100,000-point sweep stayed the same;
    - it exits with os._exit once stdout and stderr are flushed: the interpreter's teardown freed every
      module and object one by one, ~10 ms, for memory the OS takes back anyway. A compile leaves no
      thread, atexit callback or unclosed file behind (tests/test_cli.py checks)."""
    if plain_args(sys.argv[1:]) is None:
        main()
        return
    gc.disable()
    try:
        main()
    except SystemExit as exc:
        if not isinstance(exc.code, (int, type(None))):
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # e.g. a closed pipe: let the interpreter report it as it always did
            raise exc from None
        os._exit(exc.code or 0)


def main() -> None:
    """Run the command line: ends in SystemExit with the exit code, or returns (0) after a command
    that printed its output and exits by returning (`schema`)."""
    try:
        plain = plain_args(sys.argv[1:])
        if plain is None:
            from .cli_click import run

            run()
        else:
            _run_plain(*plain)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception:  # the error boundary: a bug in nautiform, not in the user's file
        _crash()


def plain_args(argv: list[str]) -> tuple[str, Path, Path, str] | None:
    """(command, path, out, format) of a plain compile/check command line; None if click must read it."""
    if not argv or argv[0] not in COMMANDS or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None
    values: dict[str, str] = {}
    rest = argv[1:]
    while rest:
        token = rest.pop(0)
        name, eq, value = token.partition("=")
        if name in ("--out", "--format"):
            if not eq:  # `--out DIR`; a value that looks like an option is click's to judge
                if not rest or rest[0].startswith("-"):
                    return None
                value = rest.pop(0)
            values[name] = value  # the last one wins, as in click
        elif token.startswith("-") or "path" in values:  # help, unknown options, `--`, `-`, a second path
            return None
        else:
            values["path"] = token
    path, out, fmt = (values.get(k, DEFAULTS[k]) for k in ("path", "--out", "--format"))
    if fmt not in _FORMATS or not (_readable_or_missing(path) and _readable_or_missing(out)):
        return None
    return argv[0], Path(path), Path(out), fmt


def _readable_or_missing(path: str) -> bool:
    """click.Path (readable=True by default) refuses an existing path it cannot read; click says so."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return True
    return os.access(path, os.R_OK)


def _run_plain(command: str, path: Path, out: Path, fmt: str) -> None:
    from .commands.compile import check_project, compile_project

    run = compile_project if command == "compile" else check_project
    try:
        code = run(path, out, fmt)
    except (EOFError, KeyboardInterrupt):  # as click does: a blank line closes the terminal's ^C echo
        print(file=sys.stderr)
        sys.exit(130)
    except OSError as exc:  # as click does: the reader went away (`nautiform check | head`); exit 1 quietly
        if exc.errno != errno.EPIPE:
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.dup2(devnull, sys.stderr.fileno())
        sys.exit(1)
    sys.exit(code)


def _crash() -> None:
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile("w", prefix="nautiform-crash-", suffix=".log", delete=False) as fh:
        traceback.print_exc(file=fh)
    print(f"internal error: nautiform has a bug (not your project.yaml). Details: {fh.name}\n"
          "  please report it with that file", file=sys.stderr)
    sys.exit(3)
