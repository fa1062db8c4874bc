"""Helpers and real servers for the data runtime tests.

* an HTTP file server (threaded http.server on 127.0.0.1, random port) that
  counts requests, honours Range, and can be slowed down so a test can kill a
  download half-way;
* a Hugging Face Hub STAND-IN on the same server: no real hub is reachable
  here, so it serves the two API shapes the script uses (revision info with
  ``?blobs=true`` and ``/resolve/<sha>/<file>``);
* moto's S3 server as a separate process, with signature checking switched on
  (INITIAL_NO_AUTH_ACTION_COUNT) so the script's SigV4 signing, s5cmd's and
  rclone's are all verified by the server.

The script under test always runs as ``python -I -S nautiform_data.py``: no
site-packages, as in a plain ``python3`` container.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "compiler" / "nautiform" / "runtime" / "nautiform_data.py"
VENV_BIN = Path(sys.executable).parent
SECRET_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HF_TOKEN",
               "GIT_USERNAME", "GIT_PASSWORD", "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL",
               "HF_ENDPOINT", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree(root: Path, skip_marker: bool = True) -> dict:
    """{relative posix path: bytes} of every file under root."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        if p.is_file():
            rel = p.relative_to(root).as_posix()
            if skip_marker and rel == ".nautiform-data.json":
                continue
            out[rel] = p.read_bytes()
    return out


def base_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env["PATH"] = "%s%s%s" % (VENV_BIN, os.pathsep, env.get("PATH", "/usr/bin:/bin"))
    env["HOME"] = env.get("HOME", "/root")
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def script_argv(*args) -> list:
    return [sys.executable, "-I", "-S", str(SCRIPT)] + [str(a) for a in args]


def run_script(*args, env=None, timeout=300, input=None) -> subprocess.CompletedProcess:
    return subprocess.run(script_argv(*args), env=env if env is not None else base_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, input=input)


def write_spec(tmp_path: Path, spec: dict, name: str = "spec.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(spec))
    return p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- HTTP


class FileServer:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[dict] = []
        self.heads = 0  # HEAD requests (an unverified file's version)
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds to sleep after each chunk
        self.chunk = 64 * 1024
        self.ranges = True
        self.hf_repos: dict[tuple, dict] = {}  # (kind, repo) -> {"revisions": {rev: sha}, "files": {name: bytes}, "lfs": set}
        self.hf_token: str | None = None
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["path"] == path)

    def close(self):
        self.delay = 0
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                parsed = urllib.parse.urlsplit(self.path)
                path = urllib.parse.unquote(parsed.path)
                with server.lock:
                    server.requests.append({"path": path, "range": self.headers.get("Range"),
                                            "auth": self.headers.get("Authorization")})
                if self._hf(path, parsed.query):
                    return
                body = server.files.get(path)
                if body is None:
                    return self._send(404, b"not found")
                self._send_body(body)

            def do_HEAD(self):
                """What a server says about a file's current version (not counted in requests)."""
                body = server.files.get(urllib.parse.unquote(urllib.parse.urlsplit(self.path).path))
                with server.lock:
                    server.heads += 1
                self.send_response(404 if body is None else 200)
                self.send_header("Content-Length", str(len(body or b"")))
                if body is not None:
                    self.send_header("ETag", '"%s"' % sha256(body)[:16])
                self.end_headers()

            def _send(self, code, body, ctype="text/plain"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _send_body(self, body):
                start = 0
                rng = self.headers.get("Range")
                m = re.match(r"bytes=(\d+)-$", rng or "")
                if m and server.ranges:
                    start = int(m.group(1))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", "bytes */%d" % len(body))
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                try:
                    for i in range(start, len(body), server.chunk):
                        self.wfile.write(body[i:i + server.chunk])
                        self.wfile.flush()
                        if server.delay:
                            time.sleep(server.delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            # Hugging Face Hub stand-in: the two API shapes nautiform_data uses.
            def _hf(self, path, query):
                m = re.match(r"^/api/(models|datasets)/([^/]+/[^/]+)/revision/([^/]+)$", path)
                m2 = re.match(r"^/(datasets/)?([^/]+/[^/]+)/resolve/([0-9a-f]{40})/(.+)$", path)
                if not (m or m2):
                    return False
                if server.hf_token and self.headers.get("Authorization") != "Bearer " + server.hf_token:
                    self._send(401, b'{"error":"Invalid credentials"}', "application/json")
                    return True
                if m:
                    kind = "model" if m.group(1) == "models" else "dataset"
                    repo = server.hf_repos.get((kind, m.group(2)))
                    sha = repo and repo["revisions"].get(m.group(3))
                    if not sha:
                        self._send(404, b'{"error":"Revision Not Found"}', "application/json")
                        return True
                    blobs = "blobs=true" in query
                    sibs = []
                    for name, data in sorted(repo["files"].items()):
                        sib = {"rfilename": name}
                        if blobs:
                            sib["size"] = len(data)
                            if name in repo["lfs"]:
                                sib["lfs"] = {"sha256": repo.get("lfs_sha", {}).get(name, sha256(data)),
                                              "size": len(data), "pointerSize": 134}
                        sibs.append(sib)
                    body = json.dumps({"id": m.group(2), "sha": sha, "siblings": sibs}).encode()
                    self._send(200, body, "application/json")
                    return True
                kind = "dataset" if m2.group(1) else "model"
                repo = server.hf_repos.get((kind, m2.group(2)))
                if not repo or m2.group(3) not in repo["revisions"].values():
                    self._send(404, b"Entry not found")
                    return True
                data = repo["files"].get(m2.group(4))
                if data is None:
                    self._send(404, b"Entry not found")
                    return True
                self._send_body(data)
                return True

        return Handler


# --------------------------------------------------------------------------- S3 (moto server)


class MotoS3:
    """moto_server in its own process.  auth=True: signatures and IAM policies are
    checked (moto cannot answer unsigned requests then: HTTP 500), so anonymous
    access is tested against a second server with auth=False."""

    def __init__(self, tmp: Path, auth: bool = True):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        env = base_env(AWS_ACCESS_KEY_ID="bootstrap", AWS_SECRET_ACCESS_KEY="bootstrap")
        if auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        self.log = open(tmp / "moto.log", "wb")
        self.proc = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1",
                                      "-p", str(self.port)], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto_server did not start; see %s" % (tmp / "moto.log"))
                time.sleep(0.1)
        import boto3  # test-side helper only; the script never uses it

        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName="nautiform")
        key = iam.create_access_key(UserName="nautiform")["AccessKey"]
        iam.put_user_policy(UserName="nautiform", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        self.key_id = key["AccessKeyId"]
        self.secret = key["SecretAccessKey"]
        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                                   aws_access_key_id=self.key_id,
                                   aws_secret_access_key=self.secret)

    def env(self, **extra) -> dict:
        return base_env(AWS_ACCESS_KEY_ID=self.key_id, AWS_SECRET_ACCESS_KEY=self.secret, **extra)

    def bucket(self) -> str:
        name = "b-" + uuid.uuid4().hex[:12]
        self.client.create_bucket(Bucket=name)
        return name

    def put(self, bucket: str, files: dict) -> None:
        for key, data in files.items():
            self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def get_all(self, bucket: str, prefix: str) -> dict:
        out = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                out[obj["Key"]] = self.client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        return out

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


