"""The sweep launcher really runs: for every index, /bin/sh + sed give the point `expand` computed."""
from __future__ import annotations

import subprocess

import pytest

from nautiform import launcher
from nautiform.expand import expand
from nautiform.model import SweepSpec


def _run(tmp_path, spec: dict, command: tuple, index: int, points: str | None = None) -> str:
    sweep = expand(SweepSpec.from_data(spec))
    folder = tmp_path / "sweep"
    folder.mkdir(exist_ok=True)
    for key, value in launcher.data(sweep, command).items():
        (folder / key).write_text(value)
    script = (folder / "run.sh").read_text().replace("d=/etc/nautiform/sweep", f"d={folder}")
    env = {"JOB_COMPLETION_INDEX": str(index), "PATH": "/usr/bin:/bin"}
    if points is not None:
        env["NAUTIFORM_POINTS"] = points
    proc = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, check=True)
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


RANDOM = {"random": {"seed": 3, "samples": 50, "params": {
    "lr": {"loguniform": [1e-5, 1e-1]}, "n": {"randint": [1, 4]}, "o": {"choice": ["a", "b"]}}}}


def test_random_search_is_reproducible_across_processes_and_hash_seeds():
    """The draws are a function of the seed alone: another process, under another hash seed, draws the same
    values (the test compared one process's expand() with itself and could not fail; issue 12, item 14)."""
    import json
    import sys

    here = expand(SweepSpec.from_data(RANDOM))
    code = ("import json, sys; from nautiform.expand import expand; from nautiform.model import SweepSpec; "
            "print(json.dumps(expand(SweepSpec.from_data(json.loads(sys.argv[1]))).columns))")
    for seed in ("0", "12345"):
        there = subprocess.run([sys.executable, "-c", code, json.dumps(RANDOM)], capture_output=True, text=True,
                               check=True, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
        assert json.loads(there) == {k: list(v) for k, v in here.columns.items()}
    assert here.size == 50
    assert all(1e-5 <= float(v) <= 1e-1 for v in here.columns["lr"])
    assert set(here.columns["n"]) <= {"1", "2", "3", "4"} and len(set(here.columns["n"])) > 1


def test_random_search_draws_are_pinned():
    """The first points for seed 3, written down: a change to the drawing (order of parameters, rounding,
    the generator) changes every sweep's points, which must be a decision, not an accident."""
    sweep = expand(SweepSpec.from_data(RANDOM))
    assert [sweep.point(i) for i in range(3)] == PINNED


def test_another_seed_draws_other_points():
    other = expand(SweepSpec.from_data({"random": {**RANDOM["random"], "seed": 4}}))
    assert other.columns != expand(SweepSpec.from_data(RANDOM)).columns


PINNED = [{"lr": "8.95073e-05", "n": "2", "o": "b"}, {"lr": "0.0461083", "n": "4", "o": "a"},
          {"lr": "0.00264483", "n": "4", "o": "b"}]


SPECS = [GRID, {"points": [{"lr": 0.1, "name": "a b/c"}, {"lr": 0.5, "name": "plain"}]},
         {"random": {"seed": 3, "samples": 7, "params": {"lr": {"loguniform": [0.0001, 0.1]},
                                                          "layers": {"randint": [2, 8]}}}}]


@pytest.mark.parametrize("spec", SPECS, ids=["grid", "points", "random"])
def test_point_keys_are_the_ones_apply_reads_back(tmp_path, spec):
    """SWEEP_POINT_KEY (the outputs prefix) equals what apply computes from the ConfigMap (points.keys), and a
    key is made of the point's values, so it does not depend on where the point sits in the table."""
    from nautiform import points

    sweep = expand(SweepSpec.from_data(spec))
    keys = points.keys(launcher.data(sweep, ("true",)))
    assert keys == launcher.point_keys(sweep) and len(set(keys)) == sweep.size
    for i in range(sweep.size):
        assert _run(tmp_path, spec, ("printf", "%s", "{sweep_point_key}"), i) == keys[i]
    assert all("/" not in k and " " not in k for k in keys)


@pytest.mark.parametrize("listed,index,table_index", [("1,3-4", 0, 1), ("1,3-4", 1, 3), ("1,3-4", 2, 4),
                                                      ("0-11", 11, 11), ("5", 0, 5), ("2-3,7,10-11", 3, 10)])
def test_a_job_of_some_points_maps_its_index_through_nautiform_points(tmp_path, listed, index, table_index):
    got = _run(tmp_path, GRID, ("printf", "%s|", "{lr}", "{batch}", "{opt}", "{sweep_point}"), index, listed)
    point = expand(SweepSpec.from_data(GRID)).point(table_index)
    assert got.split("|")[:-1] == [point["lr"], point["batch"], point["opt"], str(table_index)]


def test_adding_a_grid_value_keeps_every_earlier_point_key(tmp_path):
    from nautiform import points

    more = {"grid": {"lr": [0.1, 0.05, 0.01, 0.001], "batch": [16, 32], "opt": ["adam", "sgd"]}}
    before = set(points.keys(launcher.data(expand(SweepSpec.from_data(GRID)), ("true",))))
    after = points.keys(launcher.data(expand(SweepSpec.from_data(more)), ("true",)))
    assert before < set(after) and len(set(after) - before) == 4
