"""Progress lines: a redrawn bar on a terminal, nothing but occasional plain lines elsewhere."""
from __future__ import annotations

import io

from nautiform.progress import Progress, count, human, rate


def test_terminal_gets_a_redrawn_bar_and_a_final_newline():
    out = io.StringIO()
    p = Progress("pushing", 4, 4096, stream=out, tty=True)
    p.every = 0  # draw on every update
    for _ in range(4):
        p.add(1, 1024)
    p.close()
    text = out.getvalue()
    assert text.count("\r[") == 5 and text.endswith("\n")
    assert "\r[########################] pushing 4/4 files, 4.0 KiB/4.0 KiB, " in text


def test_a_pipe_gets_no_carriage_returns_and_a_quick_job_no_line():
    out = io.StringIO()
    p = Progress("hashing", 2, 10, stream=out, tty=False)
    p.add(2, 10)
    p.close()
    assert out.getvalue() == ""
    p.every = 0
    p.add(0, 0)
    assert out.getvalue().startswith("hashing 2/2 files, 10 B/10 B, ") and "\r" not in out.getvalue()


def test_units():
    assert [human(n) for n in (0, 1023, 1024, 5 << 20, 3 << 30)] == ["0 B", "1023 B", "1.0 KiB", "5.0 MiB", "3.0 GiB"]
    assert count(1, "file") == "1 file" and count(1500, "file") == "1,500 files"
    assert rate(0, 0) == "-" and rate(2048, 2) == "1.0 KiB/s"
