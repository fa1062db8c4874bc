#!/usr/bin/env python3
"""Compile speed and size benchmark (issue 7). A script, not a test: it prints figures and ratios.

    .venv/bin/python bench/bench_compile.py [--reps 7] [--save-baseline F] [--baseline F]

Measures, interleaved so machine noise hits every subject alike (median and spread of --reps runs):
  - cold `nautiform compile` of the example (a new process, imports included) vs `kubectl kustomize`
    of the same generated tree; `nautiform check` on an unchanged tree; `nautiform --help`;
  - sweeps of 10 ... 100,000 points (grid and random): wall time, peak RSS, objects and bytes written.
With --baseline it compares against a saved run and flags >25% regressions (exit 1).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SIZES = (10, 100, 1_000, 10_000, 100_000)


def run(argv, cwd=ROOT) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def sweep_project(kind: str, points: int) -> str:
    if kind == "grid":  # three axes whose product is `points`
        a = min(points, 10)
        b = 10 if points >= 1000 else max(points // a, 1)
        c = max(points // (a * b), 1)
        axes = {"lr": [round(0.1 ** (i / 3), 6) for i in range(a)], "seed": list(range(b)),
                "width": [64 * (i + 1) for i in range(c)]}
        sweep, command = "grid: " + json.dumps(axes), '[python, train.py, "{lr}", "{seed}", "{width}"]'
    else:
        # points are distinct (issue 13): a space of 2,000,000, whose 100,000 draws still fit a ConfigMap
        sweep = (f"random: {{seed: 1, samples: {points}, params: {{seed: {{randint: [0, 999999]}}, "
                 f"opt: {{choice: [a, b]}}}}}}")
        command = '[python, train.py, "{seed}", "{opt}"]'
    return f"""version: 1
project: {{name: bench, namespace: lab}}
image: {{ref: "python:3.11"}}
workloads:
  search:
    kind: sweep
    cpu: 1
    memory: 2Gi
    command: {command}
    sweep:
      {sweep}
    parallelism: 100
"""


def median_spread(xs):
    return statistics.median(xs), (max(xs) - min(xs))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--save-baseline", type=Path)
    ap.add_argument("--baseline", type=Path)
    args = ap.parse_args()
    nautiform, kubectl = str(BIN / "nautiform"), str(BIN / "kubectl")
    # Measure nautiform as installed: pip byte-compiles a package at install, but an editable
    # install is compiled on first import, and not at all where PYTHONDONTWRITEBYTECODE is set
    # (this machine): every run would then re-compile ~5,000 lines (~20 ms).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "compiler")], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="nf-bench-"))
    try:
        out = tmp / "out"
        subjects = {
            "compile": [nautiform, "compile", "project.example.yaml", "--out", str(out)],
            "kustomize": [kubectl, "kustomize", str(ROOT / "generated")],
            "check": [nautiform, "check", "project.example.yaml"],
            "help": [nautiform, "--help"],
        }
        times = {k: [] for k in subjects}
        rss = {k: [] for k in subjects}
        for name, argv in subjects.items():  # warm the page cache once
            run(argv)
        for _ in range(args.reps):
            for name, argv in subjects.items():
                wall, peak, code = run(argv)
                assert code == 0, (name, code)
                times[name].append(wall)
                rss[name].append(peak)
        results = {}
        for name in subjects:
            med, spread = median_spread(times[name])
            results[name] = {"median_s": round(med, 4), "spread_s": round(spread, 4),
                             "peak_rss_mib": round(statistics.median(rss[name]) / 1024, 1)}
            print(f"{name:<10} median {med * 1000:7.1f} ms  spread {spread * 1000:6.1f} ms  "
                  f"peak RSS {results[name]['peak_rss_mib']:6.1f} MiB")
        print()
        for kind in ("grid", "random"):
            for points in SIZES:
                work = tmp / f"{kind}-{points}"
                work.mkdir()
                (work / "project.yaml").write_text(sweep_project(kind, points))
                walls, peaks = [], []
                for _ in range(3):
                    shutil.rmtree(work / "generated", ignore_errors=True)
                    wall, peak, code = run([nautiform, "compile"], cwd=work)
                    assert code == 0, (kind, points, code)
                    walls.append(wall)
                    peaks.append(peak)
                files = [p for p in (work / "generated").iterdir() if p.name != "kustomization.yaml"]
                nbytes = sum(p.stat().st_size for p in files)
                key = f"sweep_{kind}_{points}"
                results[key] = {"median_s": round(statistics.median(walls), 4),
                                "peak_rss_mib": round(max(peaks) / 1024, 1), "objects": len(files), "bytes": nbytes}
                print(f"{kind:<6} {points:>7,} points: {statistics.median(walls) * 1000:7.1f} ms, "
                      f"peak RSS {max(peaks) / 1024:6.1f} MiB, {len(files)} objects, {nbytes:,} bytes")
        ratio = results["compile"]["median_s"] / results["kustomize"]["median_s"]
        print(f"\nSUMMARY compile/kustomize {ratio:.2f}x (target <=1.5x) | help {results['help']['median_s'] * 1000:.0f} ms "
              f"(target <100) | check/compile {results['check']['median_s'] / results['compile']['median_s']:.2f}x | "
              f"100k grid {results['sweep_grid_100000']['median_s']:.2f} s, {results['sweep_grid_100000']['peak_rss_mib']:.0f} MiB "
              f"(target <2 s, <200 MB) | objects 10->100k grid: {results['sweep_grid_10']['objects']}->"
              f"{results['sweep_grid_100000']['objects']}")
        if args.save_baseline:
            args.save_baseline.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        if args.baseline:
            base = json.loads(args.baseline.read_text())
            worse = [f"{k}: {base[k]['median_s']:.3f}s -> {v['median_s']:.3f}s" for k, v in results.items()
                     if k in base and v["median_s"] > 1.25 * base[k]["median_s"] + 0.01]
            worse += [f"{k}: {base[k]['peak_rss_mib']} -> {v['peak_rss_mib']} MiB" for k, v in results.items()
                      if k in base and v["peak_rss_mib"] > 1.25 * base[k]["peak_rss_mib"]]
            print("regressions vs baseline: " + ("; ".join(worse) if worse else "none"))
            return 1 if worse else 0
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
