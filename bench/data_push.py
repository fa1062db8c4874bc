#!/usr/bin/env python3
"""Benchmark (not a test): `nautiform data push` vs a plain sequential upload of the same data.

Starts moto's S3 server on 127.0.0.1, writes 1,000 small files and one big file (1 GiB by default)
to a temporary folder, then times, for each data set and each repetition, into a fresh prefix:

* `nautiform data push DIR NAME` as a user runs it (a new process: compile, hash every file,
  list, manifest "pushing", the tool's parallel upload, list and verify, manifest "complete");
* a baseline: boto3 `put_object` one file after another, each a single PUT (no parts in parallel).

It prints the medians of --reps runs and the ratio baseline / push (above 1: the push is faster),
and the time of a second, unchanged push (nothing is sent). Run: `.venv/bin/python bench/data_push.py`.
Disk: about twice the data in a temporary directory, removed at the end; moto keeps what is uploaded
until the prefix is deleted after each run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from data_fetch import BIN, moto_bucket, write_data  # the fetch benchmark's server and data

ROOT = Path(__file__).resolve().parents[1]

PROJECT = """\
version: 1
project: {{name: bench, namespace: bench, profile: generic}}
image: {{ref: "python:3.12"}}
volumes:
  data: {{size: 10Gi}}
datasets:
  ds:
    source: {{s3: {{bucket: bench, prefix: {prefix}, credentials: s3, endpoint: "{endpoint}", tool: {tool}}}}}
    volume: data
workloads:
  train: {{kind: job, command: [python, t.py], cpu: 1, memory: 1Gi, mounts: {{data: /data}}, datasets: [ds]}}
"""


def push(work: Path, src: Path, env: dict, part_mib: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nautiform", "data", "push", str(src), "ds", "--part-size-mib", str(part_mib)],
                   cwd=work, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def sequential(client, src: Path, prefix: str) -> float:
    t0 = time.perf_counter()
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        with open(path, "rb") as fh:
            client.put_object(Bucket="bench", Key=prefix + path.relative_to(src).as_posix(), Body=fh)
    return time.perf_counter() - t0


def drop(client, prefix: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket="bench", Delete={"Objects": keys})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--small-size", type=int, default=16 * 1024, help="bytes per small file")
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--tools", default="s5cmd", help="comma list: s5cmd,rclone,builtin")
    ap.add_argument("--only", choices=["small", "big"], default=None)
    ap.add_argument("--part-size-mib", type=int, default=50,
                    help="the push's part size (moto's multipart path is much slower than one PUT)")
    args = ap.parse_args()

    with moto_bucket("nautiform-bench-push-") as (tmp, endpoint, client):
        small, big = tmp / "small", tmp / "big"
        write_data(small, args.small_files, args.small_size, big / "big.bin", args.big_mib)
        env = dict(os.environ)
        env["PATH"] = "%s%s%s" % (BIN, os.pathsep, env.get("PATH", ""))
        rows = []
        for label, src in (("%s small files x %d KiB" % (format(args.small_files, ","), args.small_size // 1024),
                            small), ("one %d MiB file" % args.big_mib, big)):
            if args.only and src.name != args.only:
                continue
            base_times = []
            for r in range(args.reps):
                base_times.append(sequential(client, src, "seq%d/" % r))
                drop(client, "seq%d/" % r)
            base = statistics.median(base_times)
            for tool in args.tools.split(","):
                times, again = [], []
                for r in range(args.reps):
                    prefix = "%s-%s-%d/" % (src.name, tool, r)
                    (tmp / "project.yaml").write_text(PROJECT.format(prefix=prefix, endpoint=endpoint, tool=tool))
                    times.append(push(tmp, src, env, args.part_size_mib))
                    again.append(push(tmp, src, env, args.part_size_mib))  # unchanged: nothing is sent
                    drop(client, prefix)
                med = statistics.median(times)
                rows.append((label, tool, med, base, base / med, statistics.median(again)))
                print("%-26s push(%s) median %.2fs  sequential median %.2fs  ratio %.2fx  unchanged re-push %.2fs"
                      "  (runs: push %s; seq %s)" % (
                          label, tool, med, base, base / med, statistics.median(again),
                          ", ".join("%.2f" % t for t in times), ", ".join("%.2f" % t for t in base_times)),
                      flush=True)
        print("\npart size %d MiB" % args.part_size_mib)
        print("| data | push tool | push median | sequential PUTs | ratio (sequential / push) | unchanged re-push |")
        print("|---|---|---|---|---|---|")
        for label, tool, med, base, ratio, again in rows:
            print("| %s | %s | %.2f s | %.2f s | %.2fx | %.2f s |" % (label, tool, med, base, ratio, again))
    return 0


if __name__ == "__main__":
    sys.exit(main())
