#!/usr/bin/env python3
"""Benchmark (not a test): the generated fetch step vs a sequential single-stream download.

Starts moto's S3 server on 127.0.0.1, uploads 1,000 small files and one 1 GiB
file, then times, for each data set:

* the fetch step nautiform generates: ``python3 nautiform_data.py fetch SPEC``
  (tool s5cmd by default, the spec's default worker count), including its
  listing, verification and atomic move into place;
* a baseline: boto3 ``get_object`` one object after another, each body read as
  one stream into a file (no ranged/multipart parallelism).

It prints the median of --reps runs and the ratio baseline/fetch (>1: the
fetch step is faster).  Run: ``.venv/bin/python bench/data_fetch.py``.
Disk: about 2 GiB at peak in a temporary directory that is removed at the end.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "compiler" / "nautiform" / "runtime" / "nautiform_data.py"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(tmp: Path):
    port = free_port()
    log = open(tmp / "moto.log", "wb")
    proc = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit("moto_server did not start")
            time.sleep(0.1)
    return proc, log, "http://127.0.0.1:%d" % port


@contextlib.contextmanager
def moto_bucket(prefix: str):
    """A temporary folder and moto's server with the bucket `bench`: yields (tmp, endpoint, boto3 client)."""
    import boto3  # benchmark-side only

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    proc = log = None
    try:
        proc, log, endpoint = start_moto(tmp)
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="bench")
        yield tmp, endpoint, client
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log is not None:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def write_data(small: Path, n: int, size: int, big: Path, big_mib: int) -> None:
    """n random files of `size` bytes in 20 shard folders under `small`, and one random file `big`."""
    for i in range(n):
        d = small / ("shard-%02d" % (i % 20))
        d.mkdir(parents=True, exist_ok=True)
        (d / ("%05d.bin" % i)).write_bytes(os.urandom(size))
    big.parent.mkdir(parents=True, exist_ok=True)
    with open(big, "wb") as fh:  # random (not compressible, not sparse-friendly), 64 MiB at a time
        block = os.urandom(64 << 20)
        for i in range(big_mib // 64):
            fh.write(block[i:] + block[:i])  # each block differs
        fh.write(os.urandom((big_mib % 64) << 20))


def s5(endpoint: str, *args: str) -> None:
    subprocess.run([str(BIN / "s5cmd"), "--endpoint-url", endpoint] + list(args), check=True,
                   stdout=subprocess.DEVNULL)


def fetch_step(spec: dict, tmp: Path, env: dict) -> float:
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), "fetch", str(spec_path)], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def sequential(client, bucket: str, prefix: str, dest: Path) -> float:
    t0 = time.perf_counter()
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    for key in keys:
        target = dest / key[len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        with open(target, "wb") as fh:
            for chunk in iter(lambda: body.read(1 << 20), b""):
                fh.write(chunk)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--small-size", type=int, default=16 * 1024, help="bytes per small file")
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--tools", default="s5cmd", help="comma list of fetch tools: s5cmd,rclone,builtin")
    ap.add_argument("--part-size-mib", type=int, default=None,
                    help="spec part_size_mib for the fetch step (default: the tool's own)")
    ap.add_argument("--only", choices=["small", "big"], default=None, help="run one data set only")
    args = ap.parse_args()

    with moto_bucket("nautiform-bench-") as (tmp, endpoint, client):
        src = tmp / "src"
        small = src / "small"
        big = src / "big" / "big.bin"
        write_data(small, args.small_files, args.small_size, big, args.big_mib)
        t0 = time.perf_counter()
        s5(endpoint, "cp", str(small) + "/*", "s3://bench/small/")
        s5(endpoint, "cp", str(big), "s3://bench/big/big.bin")
        print("uploaded %d x %d B and 1 x %d MiB to moto in %.1fs" % (
            args.small_files, args.small_size, args.big_mib, time.perf_counter() - t0), flush=True)
        shutil.rmtree(src)  # the server has its own copy

        env = dict(os.environ)
        env["PATH"] = "%s%s%s" % (BIN, os.pathsep, env.get("PATH", ""))
        rows = []
        for label, prefix in (("1,000 small files" if args.small_files == 1000 else
                               "%d small files" % args.small_files, "small/"),
                              ("1 GiB file" if args.big_mib == 1024 else "%d MiB file" % args.big_mib,
                               "big/")):
            if args.only and not prefix.startswith(args.only):
                continue
            base_times = []
            for r in range(args.reps):
                dest = tmp / "seq"
                base_times.append(sequential(client, "bench", prefix, dest))
                shutil.rmtree(dest)
            base = statistics.median(base_times)
            for tool in args.tools.split(","):
                times = []
                for r in range(args.reps):
                    dest = tmp / "fetched" / "ds"
                    spec = {"name": "ds", "dest": str(dest), "source": {
                        "type": "s3", "bucket": "bench", "prefix": prefix, "endpoint": endpoint,
                        "tool": tool}}
                    if args.part_size_mib:
                        spec["source"]["part_size_mib"] = args.part_size_mib
                    times.append(fetch_step(spec, tmp, env))
                    shutil.rmtree(tmp / "fetched")
                med = statistics.median(times)
                rows.append((label, tool, med, base, base / med))
                print("%-18s fetch(%s) median %.2fs  sequential median %.2fs  ratio %.2fx  "
                      "(runs: fetch %s; seq %s)" % (
                          label, tool, med, base, base / med,
                          ", ".join("%.2f" % t for t in times), ", ".join("%.2f" % t for t in base_times)),
                      flush=True)
        if args.only == "small":
            base = float("nan")
        # moto serves a ranged GET by reading the whole object: parallel ranged
        # downloads of one big object (s5cmd: 50 MiB parts, rclone: 4 streams)
        # pay that per part here, unlike on Ceph RGW.  Measure it so the ratios
        # above can be read correctly.
        t0 = time.perf_counter()
        client.get_object(Bucket="bench", Key="big/big.bin", Range="bytes=0-1048575")["Body"].read()
        ranged = time.perf_counter() - t0
        print("\nmoto cost of one 1 MiB ranged GET of the big object: %.2fs "
              "(a full single-stream GET: %.2fs)" % (ranged, base))
        print()
        print("| data | fetch step | median | sequential boto3 | ratio (sequential / fetch) |")
        print("|---|---|---|---|---|")
        for label, tool, med, base, ratio in rows:
            print("| %s | %s | %.2f s | %.2f s | %.2fx |" % (label, tool, med, base, ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
