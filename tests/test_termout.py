"""Tables fit 80 columns; colour only on a terminal and never with NO_COLOR."""
from __future__ import annotations

import io

from nautiform import termout


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_column_is_clipped_to_80():
    rows = [["train", "job", "pending: " + "very long reason " * 10, "3h"], ["dev", "interactive", "running", "-"]]
    lines = termout.table(["WORKLOAD", "KIND", "STATE", "AGE"], rows, flex=2)
    assert all(len(line) <= 80 for line in lines)
    assert lines[0] == "WORKLOAD  KIND         STATE" + " " * 49 + "AGE" and len(lines[0]) == 80
    assert lines[1].startswith("train     job          pending: very long") and lines[1].endswith("…  3h")
    assert lines[2] == "dev       interactive  running" + " " * 47 + "-"


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert termout.colour_on(Tty()) and not termout.colour_on(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not termout.colour_on(Tty())
    assert termout.paint("failed", "red", True) == "\033[31mfailed\033[0m"
    assert termout.paint("failed", "red", False) == "failed"
    colours = termout.table(["A", "STATE"], [["x", "failed"]], colours=[(1, "red")], on=True)
    assert colours[1] == "x  \033[31mfailed\033[0m"


def test_progress_only_on_a_terminal():
    plain, tty = io.StringIO(), Tty()
    termout.progress("waiting…", plain)
    termout.progress("waiting…", tty)
    assert plain.getvalue() == "" and tty.getvalue() == "\r\033[Kwaiting…"


def test_wrap_keeps_80_columns():
    lines = termout.wrap("word " * 50, indent="    ")
    assert all(len(line) <= 80 for line in lines) and lines[1].startswith("      word")
