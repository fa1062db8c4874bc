"""cost.py: a merge's GPU-hours count Jobs and Pods only (plan's cluster view passes every object it
creates; a first deploy's PersistentVolumeClaim crashed it: found by the pipeline test, issue 16)."""
from __future__ import annotations

from nautiform import cost


def test_objects_that_are_not_runs_cost_nothing():
    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "v"}, "spec": {"resources": {}}}
    job = {"kind": "Job", "metadata": {"name": "j"}, "spec": {"activeDeadlineSeconds": 7200, "template": {"spec": {
        "containers": [{"resources": {"limits": {"nvidia.com/gpu": "2"}}}]}}}}
    assert cost.total([(pvc, None), ({"kind": "ConfigMap", "metadata": {"name": "c"}}, None), (job, None)]) == \
        cost.Cost(4.0, [])
