"""Which sweep point a live pod runs (podpoints.py): read back from the sweep ConfigMap exactly as the
launcher reads it, and through the `nautiform.io/points` list of a Job that runs only some points."""
from __future__ import annotations

import pytest

from nautiform import podpoints, points
from nautiform import launcher
from nautiform.expand import expand
from nautiform.model import SweepSpec

SPECS = [{"grid": {"lr": [0.1, 0.01, 0.001], "batch": [16, 32], "opt": ["adam", "sgd"]}},
         {"points": [{"lr": 0.1, "batch": 8}, {"lr": 0.5, "batch": 16}, {"lr": 1.0, "batch": 4}]},
         {"random": {"seed": 3, "samples": 7, "params": {"lr": {"loguniform": [0.0001, 0.1]},
                                                          "layers": {"randint": [2, 8]}}}}]


def _objects(spec: dict, annotations: dict | None = None):
    sweep = expand(SweepSpec.from_data(spec))
    cm = {"metadata": {"name": "lab-s-sweep-1"}, "data": launcher.data(sweep, ("python", "t.py", "{lr}"))}
    job = {"metadata": {"name": "lab-s-1", "uid": "u1"},
           "spec": {"completions": sweep.size, "template": {"metadata": {"annotations": annotations or {}}, "spec": {
               "volumes": [{"name": "sweep", "configMap": {"name": "lab-s-sweep-1"}}]}}}}
    return sweep, cm, job


def _pod(index: int) -> dict:
    return {"metadata": {"name": f"lab-s-1-{index}-x", "annotations": {podpoints.INDEX: str(index)}}}


@pytest.mark.parametrize("spec", SPECS, ids=["grid", "points", "random"])
def test_every_index_reads_back_the_point_expand_computed(spec):
    sweep, cm, job = _objects(spec)
    table = podpoints.table(cm)
    assert table.size == sweep.size and table.params == sweep.params
    for i in range(sweep.size):
        assert podpoints.pod_point(_pod(i), job, {"lab-s-sweep-1": cm}) == (i, sweep.point(i))


def test_a_job_of_remaining_points_maps_index_to_listed_point():
    sweep, cm, job = _objects(SPECS[0], {points.POINTS: "2-3,7,10-11"})
    assert points.job_points(job, sweep.size) == [2, 3, 7, 10, 11]
    assert podpoints.pod_point(_pod(2), job, {"lab-s-sweep-1": cm}) == (7, sweep.point(7))
    assert podpoints.pod_point(_pod(4), job, {"lab-s-sweep-1": cm}) == (11, sweep.point(11))


def test_not_a_sweep_pod():
    _, cm, job = _objects(SPECS[0])
    assert podpoints.pod_point({"metadata": {"name": "p"}}, job, {}) == (None, {})
    assert podpoints.pod_point(_pod(1), job, {}) == (1, {})  # the ConfigMap is gone: the point, no values


@pytest.mark.parametrize("text, numbers", [("", []), ("0", [0]), ("0-2,5", [0, 1, 2, 5]), ("1,3-4,9-9", [1, 3, 4, 9])])
def test_index_lists_read_and_write(text, numbers):
    assert points.expand(text) == numbers
    assert points.expand(points.compact(numbers)) == numbers
