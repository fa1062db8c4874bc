"""The sweep launcher really runs: for every index, /bin/sh + sed give the point `expand` computed."""
from __future__ import annotations

import subprocess

import pytest

from nautiform import launcher
from nautiform.expand import expand
from nautiform.model import SweepSpec


def _run(tmp_path, spec: dict, command: tuple, index: int) -> str:
    sweep = expand(SweepSpec.from_data(spec))
    folder = tmp_path / "sweep"
    folder.mkdir(exist_ok=True)
    for key, value in launcher.data(sweep, command).items():
        (folder / key).write_text(value)
    script = (folder / "run.sh").read_text().replace("d=/etc/nautiform/sweep", f"d={folder}")
    proc = subprocess.run(["/bin/sh", "-c", script], env={"JOB_COMPLETION_INDEX": str(index), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=True)
    return proc.stdout


GRID = {"grid": {"lr": [0.1, 0.01, 0.001], "batch": [16, 32], "opt": ["adam", "sgd"]}}


@pytest.mark.parametrize("index", range(12))
def test_grid_point_per_index(tmp_path, index):
    cmd = ("printf", "%s|", "{lr}", "{batch}", "{opt}", "$LR-{{x}}")
    got = _run(tmp_path, GRID, cmd, index).split("|")[:-1]
    point = expand(SweepSpec.from_data(GRID)).point(index)
    assert got == [point["lr"], point["batch"], point["opt"], "$LR-{x}"]


def test_grid_order_is_itertools_product(tmp_path):
    import itertools

    sweep = expand(SweepSpec.from_data(GRID))
    assert [tuple(sweep.point(i).values()) for i in range(sweep.size)] == list(
        itertools.product(("0.1", "0.01", "0.001"), ("16", "32"), ("adam", "sgd")))


def test_values_with_quotes_and_spaces_stay_one_argument(tmp_path):
    spec = {"points": [{"name": "it's a \"test\" $HOME `x`"}, {"name": "b"}]}
    assert _run(tmp_path, spec, ("printf", "<%s>", "{name}"), 0) == "<it's a \"test\" $HOME `x`>"


def test_parameters_are_exported(tmp_path):
    spec = {"points": [{"seed": 1}, {"seed": 2}]}
    assert _run(tmp_path, spec, ("/bin/sh", "-c", "echo $SEED $SWEEP_POINT"), 1) == "2 1\n"


def test_random_search_is_reproducible():
    spec = SweepSpec.from_data({"random": {"seed": 3, "samples": 50, "params": {
        "lr": {"loguniform": [1e-5, 1e-1]}, "n": {"randint": [1, 4]}, "o": {"choice": ["a", "b"]}}}})
    a, b = expand(spec), expand(spec)
    assert a.columns == b.columns and a.size == 50
    assert all(1e-5 <= float(v) <= 1e-1 for v in a.columns["lr"])
    assert set(a.columns["n"]) <= {"1", "2", "3", "4"}
