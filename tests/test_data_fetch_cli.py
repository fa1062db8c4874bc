"""`nautiform data fetch` on a laptop: the same runtime and spec as the cluster, against a real local
HTTP server."""
from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading

import pytest

from nf_testlib import nautiform

pytestmark = pytest.mark.data


def _archive() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (("train/a.txt", b"alpha\n"), ("train/b.txt", b"beta\n")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
    return buf.getvalue()


@pytest.fixture
def server():
    payload = _archive()
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/toy.tar.gz", hashlib.sha256(payload).hexdigest(), hits
    httpd.shutdown()
    httpd.server_close()


PROJECT = """\
version: 1
project: {{name: toy, namespace: lab, profile: generic}}
image: {{ref: "python:3.11"}}
volumes:
  data: {{size: 1Gi, access_mode: ReadWriteMany}}
datasets:
  toy:
    source: {{http: {{url: "{url}", sha256: "{sha}"}}}}
    unpack: tar.gz
    volume: data
workloads:
  train: {{kind: job, command: [python, t.py], cpu: 1, memory: 1Gi, mounts: {{data: /data}}, datasets: [toy]}}
"""


def test_fetch_verifies_unpacks_and_skips_the_second_time(tmp_path, server):
    url, sha, hits = server
    (tmp_path / "project.yaml").write_text(PROJECT.format(url=url, sha=sha))
    run = nautiform("data", "fetch", "toy", "--to", "local", cwd=tmp_path)
    assert run.code == 0, run.err
    assert (tmp_path / "local/toy/train/a.txt").read_text() == "alpha\n"
    assert "fetched and verified" in run.out
    again = nautiform("data", "fetch", "toy", "--to", "local", cwd=tmp_path)
    assert again.code == 0 and "already up to date" in again.out
    assert len(hits) == 1


def test_checksum_mismatch_leaves_nothing(tmp_path, server):
    url, _, _ = server
    (tmp_path / "project.yaml").write_text(PROJECT.format(url=url, sha="0" * 64))
    run = nautiform("data", "fetch", "toy", "--to", "local", cwd=tmp_path)
    assert run.code == 1 and "Traceback" not in run.err
    assert "sha256" in run.err.lower()
    assert not (tmp_path / "local/toy").exists()


def test_unknown_dataset_is_a_clear_error(tmp_path, server):
    url, sha, _ = server
    (tmp_path / "project.yaml").write_text(PROJECT.format(url=url, sha=sha))
    run = nautiform("data", "fetch", "nope", cwd=tmp_path)
    assert run.code == 1 and "declared datasets: toy" in run.err
