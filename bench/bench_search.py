#!/usr/bin/env python3
"""Adaptive search and multi-node benchmarks (issue 17). A script, not a test: it prints figures.

    .venv/bin/python bench/bench_search.py [--trials 10000] [--reps 3]

  - the study record of N finished trials (4 and 8 parameters): bytes against a ConfigMap's 1 MiB;
  - the driver rebuilding its study from that record, in a new process (what a restarted driver pod
    does): wall time, peak RSS, and the time of the first TPE proposal afterwards;
  - the compile-side pieces: multinode() for 64 nodes, a 10,000-trial study definition and its
    ConfigMap data (the builder integration is not written yet, so `nautiform compile` is not timed).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compiler"))
from nautiform import multinode, search  # noqa: E402
from nautiform.runtime import nautiform_search as ns  # noqa: E402

PARAMS4 = {"lr": {"loguniform": [1e-5, 0.1]}, "wd": {"uniform": [0, 0.1]}, "layers": {"randint": [2, 12]},
           "opt": {"choice": ["sgd", "adam", "adamw"]}}
PARAMS8 = {**PARAMS4, **{f"{k}2": v for k, v in PARAMS4.items()}}

REBUILD = """
import json, resource, sys, time
sys.path.insert(0, {compiler!r})
t0 = time.perf_counter()
from nautiform.runtime import nautiform_search as ns
optuna = ns.load_optuna(None)
t1 = time.perf_counter()
study = json.load(open({study!r}))
class NoJobs:
    stem = "bench"
    def existing(self): return dict()
    def name(self, n, a): return f"bench-{{n}}-{{a}}"
d = ns.Driver(optuna, study, NoJobs(), ns.FileStore({record!r}))
d.restore()
t2 = time.perf_counter()
d.study.ask(d.dists)
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "rebuild": t2 - t1, "ask": t3 - t2,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def record(params: dict, trials: int, rng: random.Random) -> tuple[dict, dict]:
    study = search.definition(name="bench", record="bench-study", params=params, metric="val_loss",
                              trials=trials, parallel=8)
    dists = ns.distributions(params)
    rows = []
    for n in range(trials):
        values = {}
        for k, spec in params.items():
            (kind, arg), = spec.items()
            v = {"choice": lambda: rng.choice(arg), "uniform": lambda: rng.uniform(*arg),
                 "loguniform": lambda: 10 ** rng.uniform(*[__import__("math").log10(a) for a in arg]),
                 "randint": lambda: rng.randint(*arg)}[kind]()
            values[k] = ns.rounded(dists[k], v)
        rows.append({"n": n, "state": "complete", "value": rng.random(), "attempts": 1, "preempted": 0,
                     "params": values, "reason": ""})
    header = {"version": 1, "study": "bench", "params": list(params), "columns": ns.COLUMNS, "metric": "val_loss",
              "direction": "minimize", "sampler": "tpe", "trials": trials, "parallel": 8, "job_stem": "bench",
              "started": ns.now(), "deadline_at": None, "state": "done", "reason": "",
              "counts": {"running": 0, "complete": trials, "failed": 0, "stopped": 0}, "best": None}
    return study, ns.encode(header, rows, list(params))


def timed(fn, reps: int) -> float:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(1)
    print(f"study record and driver rebuild, {args.trials:,} finished trials (median of {args.reps})")
    for label, params in (("4 params", PARAMS4), ("8 params", PARAMS8)):
        study, data = record(params, args.trials, rng)
        size = sum(len(v.encode()) for v in data.values())
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "study.json").write_text(json.dumps(study))
            (Path(tmp) / "record.json").write_text(json.dumps(data))
            code = REBUILD.format(compiler=str(ROOT / "compiler"), study=str(Path(tmp) / "study.json"),
                                  record=str(Path(tmp) / "record.json"))
            runs = [json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                              check=True).stdout) for _ in range(args.reps)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"  {label}: record {size / 1024:,.0f} KiB ({size / 1048576:.0%} of a ConfigMap's 1 MiB); "
              f"import optuna {med['import']:.2f} s, rebuild {med['rebuild']:.2f} s, first TPE ask after it "
              f"{med['ask']:.2f} s, peak RSS {med['rss_mib']:.0f} MiB")
    run = multinode.MultiNode(job="lab-train-1a2b3c4d", service="lab-train-1a2b3c4d", namespace="ns", nodes=64,
                              gpus_per_node=8)
    print("compile-side pieces")
    print(f"  multinode(), 64 nodes: {timed(lambda: multinode.multinode(run), 200) * 1e6:.0f} µs")
    big = search.definition(name="bench", record="bench-study", params=PARAMS8, metric="val_loss", trials=10_000,
                            parallel=8, deadline=7 * 86400)
    data = search.configmap_data(big, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "bench"}})
    print(f"  10,000-trial study definition + ConfigMap data: "
          f"{timed(lambda: search.configmap_data(big, {'kind': 'Job'}), 200) * 1e6:.0f} µs, "
          f"{sum(len(v) for v in data.values())} bytes (independent of the number of trials)")


if __name__ == "__main__":
    main()
