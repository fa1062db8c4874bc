"""The click-free path for a plain `compile` / `check` reads every command line it accepts exactly as
click does, and leaves all others to click (issue 7: importing click was ~10 ms of every compile)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from nautiform import cli, cli_click
from nf_testlib import ROOT, nautiform

COMMANDS = ["compile", "check", "plan", "--help"]
TOKENS = ["project.yaml", "x.yaml", "", "-", "--", "--out", "--out=o", "--out=", "out", "--format", "--format=json",
          "--format=text", "--format=yaml", "json", "text", "JSON", "-h", "--help", "--version", "--ou", "--out=a=b",
          "-o", "--format=", "--no-such-flag", "compile", "--out", "--format", "json", "o"]


def _calls(monkeypatch, entry, argv: list[str]) -> tuple | None:
    """(command, path, out, fmt) that `entry` hands to the command functions, or None if it never does."""
    seen = []
    for name in ("compile_project", "check_project"):
        monkeypatch.setattr(f"nautiform.commands.compile.{name}",
                            lambda path, out, fmt="text", name=name: seen.append((name, path, out, fmt)) or 0)
    monkeypatch.setattr(sys, "argv", ["nautiform", *argv])
    with pytest.raises(SystemExit):
        entry()
    return seen[0] if seen else None


def _same_as_click(monkeypatch, argv: list[str]) -> None:
    plain = cli.plain_args(argv)
    if plain is None:
        return
    command, path, out, fmt = plain
    assert _calls(monkeypatch, cli.main, argv) == (f"{command}_project", path, out, fmt)
    assert _calls(monkeypatch, cli_click.run, argv) == (f"{command}_project", path, out, fmt)


@pytest.mark.parametrize("argv", [["compile"], ["check"], ["compile", "p.yaml"], ["compile", "--out", "o", "p.yaml"],
                                  ["check", "p.yaml", "--out=o", "--format", "json"], ["compile", "--format=text"],
                                  ["compile", "--out", "a", "--out", "b"], ["compile", "a=b"], ["compile", "--out="]])
def test_plain_command_lines_skip_click_and_match_it(monkeypatch, argv):
    assert cli.plain_args(argv) is not None
    _same_as_click(monkeypatch, argv)


@pytest.mark.parametrize("argv", [[], ["--help"], ["compile", "--help"], ["compile", "-h"], ["--version"],
                                  ["plan"], ["compile", "a", "b"], ["compile", "--out"], ["compile", "--format", "yaml"],
                                  ["compile", "--no-such-flag"], ["compile", "--", "a"], ["compile", "--out", "-x"],
                                  ["compile", "--ou", "x"], ["compile", "--format=JSON"]])
def test_everything_else_goes_to_click(argv):
    assert cli.plain_args(argv) is None


def test_shell_completion_goes_to_click(monkeypatch):
    monkeypatch.setenv("_NAUTIFORM_COMPLETE", "bash_source")
    assert cli.plain_args(["compile"]) is None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(COMMANDS), st.lists(st.sampled_from(TOKENS), max_size=5))
def test_any_command_line_the_plain_path_takes_click_reads_the_same(command, rest):
    argv = [command, *rest]
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same_as_click(monkeypatch, argv)


# Modules whose import the compile path was freed of (issue 7), with what each cost at every run.
OFF_THE_COMPILE_PATH = ("click",  # ~10 ms
                        "pydantic", "pydantic_core",  # ~85 ms with the schema build; records.py replaced it
                        "git",  # gitpython: only `plan` needs it
                        "dataclasses", "inspect", "tempfile", "shutil", "difflib", "random", "importlib.resources")


def test_a_plain_compile_imports_none_of_the_slow_modules(tmp_path):
    code = ("import sys; from nautiform import cli; sys.argv = ['nautiform', 'compile', 'project.example.yaml', "
            f"'--out', {str(tmp_path / 'out')!r}]\ntry:\n    cli.main()\nexcept SystemExit as e:\n"
            "    assert e.code == 0, e.code\n"
            f"print(sorted(m for m in {OFF_THE_COMPILE_PATH!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert run.stdout.splitlines()[-1] == "[]"


def test_help_and_usage_errors_are_still_clicks():
    assert "Compile PATH" in nautiform("compile", "--help").out
    run = nautiform("compile", "--format", "yaml")
    assert run.code == 2 and "Invalid value for '--format'" in run.err


def test_a_plain_compile_leaves_nothing_for_the_teardown_it_skips(tmp_path):
    """cli.entry ends a plain compile with os._exit: no atexit callback, thread or open file may need it."""
    code = f"""
import atexit, os, sys
from nautiform import cli
sys.argv = ["nautiform", "compile", "project.example.yaml", "--out", {str(tmp_path / "out")!r}]
try:
    cli.main()
except SystemExit as exc:
    assert exc.code == 0, exc.code
assert atexit._ncallbacks() == 0, "an atexit callback"
assert "threading" not in sys.modules or sys.modules["threading"].active_count() == 1, "a thread"
fds = os.listdir("/proc/self/fd")  # stdin, stdout, stderr and the one listdir opens
assert len(fds) == 4, fds
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_program_flushes_its_output_before_the_fast_exit(tmp_path):
    run = nautiform("compile", "project.example.yaml", "--out", str(tmp_path / "out"))
    assert run.code == 0 and run.out.startswith("compiled project.example.yaml")
