"""Helpers for the `nautiform data push` tests: a project with an S3 dataset on the moto server, the real
CLI in a subprocess, and what moto's request log says was sent."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

PROJECT = """\
version: 1
project: {{name: toy, namespace: lab, profile: generic}}
image: {{ref: "python:3.11"}}
volumes:
  data: {{size: 1Gi, access_mode: ReadWriteMany}}
datasets:
  pics:
    source: {{s3: {{bucket: {bucket}, prefix: {prefix}, credentials: s3-creds, endpoint: "{endpoint}",
                   tool: {tool}, workers: {workers}}}}}
    volume: data
  web:
    source: {{http: {{url: "https://example.org/a.zip", sha256: "{zeros}"}}}}
    unpack: zip
    volume: data
workloads:
  train: {{kind: job, command: [python, t.py], cpu: 1, memory: 1Gi, mounts: {{data: /data}}, datasets: [pics]}}
"""


def project(tmp_path: Path, s3, bucket: str, tool: str = "s5cmd", workers: int = 8, prefix: str = "pics/") -> Path:
    (tmp_path / "project.yaml").write_text(PROJECT.format(bucket=bucket, prefix=prefix, endpoint=s3.endpoint,
                                                         tool=tool, workers=workers, zeros="9f" * 32))  # a digest, not the all-zero placeholder lint refuses
    return tmp_path


def nautiform_argv(*args) -> list:
    return [sys.executable, "-m", "nautiform", *map(str, args)]


def run(cwd: Path, *args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(nautiform_argv(*args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def env_for(s3, home: Path, **extra) -> dict:
    """The moto user's keys in the environment; HOME is the test's, so no ~/.aws of this machine counts."""
    return s3.env(HOME=str(home), **extra)


def make_files(root: Path, n: int, size: int = 2048, big: int = 0) -> dict:
    files = {}
    for i in range(n):
        rel = f"shard {i % 4}/{i:04d}.bin"
        files[rel] = os.urandom(size) + str(i).encode()
    if big:
        files["big.bin"] = os.urandom(big)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def log_offset(s3) -> int:
    s3.log.flush()
    return Path(s3.log.name).stat().st_size


def sent_keys(s3, bucket: str, since: int) -> set:
    """Keys moto received data for (PUT, or multipart POST/PUT) since the offset, manifest excluded."""
    time.sleep(0.2)  # the server writes its access log after answering
    text = Path(s3.log.name).read_bytes()[since:].decode("utf-8", "replace")
    keys = {urllib.parse.unquote(m.group(1)) for m in re.finditer(r'"(?:PUT|POST) /%s/([^ ?]+)' % bucket, text)}
    return {k for k in keys if not k.endswith(".nautiform-manifest.json")}


def manifest(s3, bucket: str, prefix: str = "pics/") -> dict:
    return json.loads(s3.client.get_object(Bucket=bucket, Key=prefix + ".nautiform-manifest.json")["Body"].read())


def listing(s3, bucket: str) -> dict:
    out = {}
    for page in s3.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = (o["Size"], o["ETag"])
    return out
