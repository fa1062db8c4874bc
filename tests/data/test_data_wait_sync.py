"""`wait` (init containers), `sync-out` and `run` (outputs), and properties of the script."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import time

import pytest

from datahelpers import SCRIPT, base_env, run_script, script_argv, sha256, tree, write_spec

pytestmark = pytest.mark.data


def http_spec(srv, path, data, dest):
    return {"name": "ds", "dest": str(dest),
            "source": {"type": "http", "url": srv.url(path), "sha256": sha256(data)}}


def test_wait_returns_when_marker_appears(http_server, tmp_path):
    data = b"payload"
    http_server.files["/p"] = data
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, http_spec(http_server, "/p", data, dest))
    waiter = subprocess.Popen(script_argv("wait", spec, "--timeout", "60", "--interval", "0.1"),
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert waiter.poll() is None, "wait returned before the data was there"
    t0 = time.time()
    assert run_script("fetch", spec).returncode == 0
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    assert time.time() - t0 < 10
    assert "ready" in err
    # status agrees
    st = run_script("status", spec)
    assert st.returncode == 0 and json.loads(st.stdout)["ready"] is True


def test_wait_times_out_with_clear_message(http_server, tmp_path):
    spec = write_spec(tmp_path, http_spec(http_server, "/p", b"x", tmp_path / "ds"))
    t0 = time.time()
    res = run_script("wait", spec, "--timeout", "1", "--interval", "0.2")
    assert res.returncode == 5
    assert 0.9 <= time.time() - t0 < 20
    assert "timed out" in res.stderr and "ds" in res.stderr and "no marker" in res.stderr
    st = run_script("status", spec)
    assert st.returncode == 1 and json.loads(st.stdout)["ready"] is False


def test_wait_ignores_a_marker_of_another_spec(http_server, tmp_path):
    a, b = b"A", b"B"
    http_server.files["/a"] = a
    dest = tmp_path / "ds"
    assert run_script("fetch", write_spec(tmp_path, http_spec(http_server, "/a", a, dest), "a.json")).returncode == 0
    res = run_script("wait", write_spec(tmp_path, http_spec(http_server, "/b", b, dest), "b.json"),
                     "--timeout", "0.5", "--interval", "0.1")
    assert res.returncode == 5 and "different spec" in res.stderr


def _results(tmp_path):
    src = tmp_path / "results"
    (src / "ckpt").mkdir(parents=True)
    (src / "metrics.json").write_text('{"loss": 0.1}')
    (src / "ckpt" / "model.pt").write_bytes(b"\x00\x01" * 5000)
    return src


@pytest.mark.parametrize("tool", ["s5cmd", "rclone", "builtin"])
def test_sync_out_to_s3(s3, tmp_path, tool):
    bucket = s3.bucket()
    src = _results(tmp_path)
    res = run_script("sync-out", src, "s3://%s/runs/sweep-1/point-3" % bucket, "--endpoint", s3.endpoint,
                     "--tool", tool, "--workers", "4", env=s3.env())
    assert res.returncode == 0, res.stderr
    assert s3.get_all(bucket, "runs/") == {
        "runs/sweep-1/point-3/metrics.json": b'{"loss": 0.1}',
        "runs/sweep-1/point-3/ckpt/model.pt": b"\x00\x01" * 5000}
    assert s3.secret not in res.stderr


def test_sync_out_to_path_and_missing_source(tmp_path):
    src = _results(tmp_path)
    dest = tmp_path / "pvc" / "outputs" / "run-1"
    res = run_script("sync-out", src, dest)
    assert res.returncode == 0, res.stderr
    assert tree(dest) == tree(src)
    res = run_script("sync-out", tmp_path / "never-created", tmp_path / "elsewhere")
    assert res.returncode == 0 and "nothing to sync" in res.stderr


def test_sync_out_missing_credentials(s3, tmp_path):
    res = run_script("sync-out", _results(tmp_path), "s3://bucket/x", "--endpoint", s3.endpoint,
                     "--secret", "nrp-s3", env=base_env())
    assert res.returncode == 1
    assert "AWS_ACCESS_KEY_ID" in res.stderr and "nrp-s3" in res.stderr


def test_run_syncs_outputs_of_a_failing_command_to_s3(s3, tmp_path):
    bucket = s3.bucket()
    out = tmp_path / "out"
    cmd = [sys.executable, "-c",
           "import pathlib, sys; p = pathlib.Path(sys.argv[1]); (p / 'partial.txt').write_text('epoch 3');"
           " sys.exit(7)", str(out)]
    res = run_script("run", "--outputs", out, "--to", "s3://%s/job/p0" % bucket, "--endpoint", s3.endpoint,
                     "--tool", "s5cmd", "--", *cmd, env=s3.env())
    assert res.returncode == 7, res.stderr
    got = s3.get_all(bucket, "job/p0/")
    assert got["job/p0/partial.txt"] == b"epoch 3"
    record = json.loads(got["job/p0/_nautiform_run.json"])
    assert record["exit_code"] == 7


def test_run_success_to_path_and_signal_forwarding(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "copy"
    res = run_script("run", "--outputs", out, "--to", dest, "--", sys.executable, "-c",
                     "import sys; open(sys.argv[1] + '/ok.txt', 'w').write('done')", str(out))
    assert res.returncode == 0, res.stderr
    assert (dest / "ok.txt").read_text() == "done"
    assert json.loads((dest / "_nautiform_run.json").read_text())["exit_code"] == 0

    # SIGTERM (pod deletion) reaches the command, and outputs are still synced
    dest2 = tmp_path / "copy2"
    child = ("import signal, sys, time, pathlib\n"
             "p = pathlib.Path(sys.argv[1])\n"
             "def bye(*a):\n    (p / 'term.txt').write_text('got SIGTERM'); sys.exit(143)\n"
             "signal.signal(signal.SIGTERM, bye)\n(p / 'started').write_text('')\ntime.sleep(60)\n")
    proc = subprocess.Popen(script_argv("run", "--outputs", out, "--to", dest2, "--", sys.executable, "-c",
                                        child, str(out)), env=base_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (out / "started").exists():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert (dest2 / "term.txt").read_text() == "got SIGTERM"


def test_bad_specs_are_rejected_clearly(tmp_path):
    cases = [
        ({"name": "x", "dest": "/tmp/x", "source": {"type": "http", "url": "https://e/x"}}, "sha256"),
        ({"name": "x", "dest": "/tmp/x", "source": {"type": "ftp"}}, "source.type"),
        ({"name": "../x", "dest": "/tmp/x", "source": {"type": "git", "repo": "r"}}, "spec.name"),
        ({"name": "x", "dest": "/tmp/x", "unpack": "rar", "source": {"type": "git", "repo": "r"}}, "unpack"),
    ]
    for spec, word in cases:
        res = run_script("fetch", write_spec(tmp_path, spec))
        assert res.returncode == 1 and word in res.stderr, (spec, res.stderr)
    res = run_script("fetch", "-", input="{not json")
    assert res.returncode == 1 and "cannot read spec" in res.stderr


def test_script_is_python38_stdlib_only():
    src = SCRIPT.read_text()
    tree_ = ast.parse(src, feature_version=(3, 8))
    imported = set()
    for node in ast.walk(tree_):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    # APIs newer than 3.8 that would pass the syntax check
    for newer in (".removeprefix(", ".removesuffix(", "functools.cache(", "strict=True", "math.lcm("):
        assert newer not in src, newer
    # `X | None` annotations are only fine as strings, i.e. with postponed evaluation
    assert "from __future__ import annotations" in src


def test_sync_out_settings_from_spec_file(s3, tmp_path):
    bucket = s3.bucket()
    settings = write_spec(tmp_path, {"source": {"type": "s3", "endpoint": s3.endpoint, "tool": "rclone",
                                                "workers": 3, "secret": "nrp-s3"}}, "out.json")
    res = run_script("sync-out", _results(tmp_path), "s3://%s/o" % bucket, "--spec", settings, env=s3.env())
    assert res.returncode == 0, res.stderr
    assert "rclone" in res.stderr and "--transfers 3" in res.stderr
    assert set(s3.get_all(bucket, "o/")) == {"o/metrics.json", "o/ckpt/model.pt"}
