"""search.py: the study definition, the driver's RBAC and the status view of its record."""
import json

from nautiform import search
from nautiform.runtime import nautiform_search as ns


def test_definition_and_configmap_data():
    study = search.definition(name="lab-hp-1a2b", record="lab-hp-study", params={"lr": {"loguniform": [1e-5, 0.1]}},
                              metric="val_loss", trials=50, parallel=4, deadline=3600)
    assert study == {"name": "lab-hp-1a2b", "record": "lab-hp-study", "params": {"lr": {"loguniform": [1e-5, 0.1]}},
                     "sampler": "tpe", "seed": 0, "metric": "val_loss", "direction": "minimize", "trials": 50,
                     "parallel": 4, "retries": 2, "max_failures": 5, "deadline": 3600}
    data = search.configmap_data(study, {"kind": "Job"})
    assert sorted(data) == ["study.json", "trial-job.json"] and json.loads(data["study.json"]) == study


def test_max_stem_keeps_trial_job_names_within_63():
    assert search.max_stem(10_000, 2) == 63 - len("-9999-3")
    assert len("s" * search.max_stem(10_000, 2) + "-9999-3") == 63


def test_rbac_is_least_privilege():
    sa, role, binding = search.rbac("lab-hp-driver", "ns", "lab-hp-study", {"nautiform.io/project": "lab"})
    assert (sa["kind"], role["kind"], binding["kind"]) == ("ServiceAccount", "Role", "RoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "lab-hp-driver", "namespace": "ns"}]
    verbs = {(r["resources"][0], tuple(r.get("resourceNames", ())), v) for r in role["rules"] for v in r["verbs"]}
    assert verbs == {("jobs", (), "create"), ("jobs", (), "get"), ("jobs", (), "list"), ("jobs", (), "delete"),
                     ("pods", (), "list"), ("configmaps", (), "create"),
                     ("configmaps", ("lab-hp-study",), "get"), ("configmaps", ("lab-hp-study",), "update")}


def test_summary_for_status():
    header = {"study": "lab-hp-1a2b", "params": ["lr", "opt"], "columns": ns.COLUMNS, "metric": "val_loss",
              "trials": 20, "parallel": 4, "job_stem": "lab-hp-1a2b", "state": "running", "reason": "",
              "counts": {"running": 1, "complete": 2, "failed": 1, "stopped": 0},
              "best": {"trial": 1, "value": 0.1234567, "params": {"lr": 0.001, "opt": "adam"}}}
    rows = [{"n": 0, "state": "complete", "value": 0.5, "attempts": 1, "preempted": 0, "params": {"lr": 0.01, "opt": "sgd"}, "reason": ""},
            {"n": 1, "state": "complete", "value": 0.1234567, "attempts": 1, "preempted": 2, "params": {"lr": 0.001, "opt": "adam"}, "reason": ""},
            {"n": 2, "state": "failed", "value": None, "attempts": 3, "preempted": 0, "params": {"lr": 0.1, "opt": "sgd"},
             "reason": "BackoffLimitExceeded: Job has reached the specified backoff limit"},
            {"n": 3, "state": "running", "value": None, "attempts": 1, "preempted": 1, "params": {"lr": 0.02, "opt": "sgd"}, "reason": ""}]
    assert search.summary(ns.encode(header, rows, header["params"])) == [
        "study lab-hp-1a2b: running; 3/20 trials (2 complete, 1 failed, 0 stopped, 1 running, at most 4 at once)",
        "  best: val_loss=0.123457 (trial 1: lr=0.001, opt=adam)",
        "  trial 2 failed (job lab-hp-1a2b-2-3, attempt 3): BackoffLimitExceeded: Job has reached the specified backoff limit",
        "  trial 3 running (job lab-hp-1a2b-3-1, attempt 1, 1 preempted)"]
