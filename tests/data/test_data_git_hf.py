"""git sources (a real local repository) and Hugging Face sources (a local STAND-IN
for the Hub's HTTP API: no real hub is reachable from here)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from datahelpers import base_env, run_script, sha256, tree, write_spec

pytestmark = pytest.mark.data

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(repo, *args) -> str:
    env = base_env(**GIT_ENV)
    return subprocess.run(["git", "-C", str(repo)] + list(args), env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "upstream"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "data").mkdir()
    (r / "data" / "labels.csv").write_text("id,label\n1,cat\n")
    (r / "README").write_text("v1\n")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "v1")
    git(r, "tag", "-a", "v1", "-m", "release 1")
    return r


def git_spec(repo, ref, dest, **src):
    return {"name": "code", "dest": str(dest),
            "source": dict({"type": "git", "repo": "file://%s" % repo, "ref": ref}, **src)}


def test_git_ref_fetch_skip_and_refetch(repo, tmp_path):
    dest = tmp_path / "ds"
    v1 = git(repo, "rev-parse", "HEAD")
    spec = write_spec(tmp_path, git_spec(repo, "main", dest))
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {"README": b"v1\n", "data/labels.csv": b"id,label\n1,cat\n"}
    assert json.loads((dest / ".nautiform-data.json").read_text())["commit"] == v1

    inode = (dest / "README").stat().st_ino
    res = run_script("fetch", spec)
    assert res.returncode == 0 and "up to date" in res.stderr
    assert (dest / "README").stat().st_ino == inode

    (repo / "README").write_text("v2\n")
    git(repo, "commit", "-q", "-am", "v2")
    v2 = git(repo, "rev-parse", "HEAD")
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert (dest / "README").read_bytes() == b"v2\n"
    assert json.loads((dest / ".nautiform-data.json").read_text())["commit"] == v2

    # an annotated tag resolves to its commit, and a full sha works too
    for ref, readme in (("v1", b"v1\n"), (v1, b"v1\n")):
        d = tmp_path / ("at-" + ref[:8])
        res = run_script("fetch", write_spec(tmp_path, git_spec(repo, ref, d, keep_git=True), "t.json"))
        assert res.returncode == 0, res.stderr
        assert (d / "README").read_bytes() == readme
        assert git(d, "rev-parse", "HEAD") == v1


def test_git_unknown_ref_and_missing_credentials(repo, tmp_path):
    res = run_script("fetch", write_spec(tmp_path, git_spec(repo, "no-such-branch", tmp_path / "a")))
    assert res.returncode == 4 and "not found" in res.stderr
    assert not (tmp_path / "a").exists()
    spec = git_spec(repo, "main", tmp_path / "b", secret="lab-git")
    res = run_script("fetch", write_spec(tmp_path, spec), env=base_env(GIT_USERNAME="me"))
    assert res.returncode == 1
    assert "GIT_PASSWORD" in res.stderr and "lab-git" in res.stderr
    assert not (tmp_path / "b").exists()


# ------------------------------------------------------------------ Hugging Face (stand-in)

SHA1 = "a" * 40
SHA2 = "b" * 40


def hf_repo(http_server, kind="model", repo="org/tiny", token=None):
    files = {"config.json": b'{"hidden": 8}', "model.safetensors": os.urandom(100_000),
             "tokenizer/vocab.txt": b"a\nb\n"}
    http_server.hf_repos[(kind, repo)] = {"revisions": {"main": SHA1, SHA1: SHA1}, "files": files,
                                          "lfs": {"model.safetensors"}}
    http_server.hf_token = token
    return files


def hf_spec(http_server, dest, **src):
    return {"name": "tiny", "dest": str(dest),
            "source": dict({"type": "hf", "repo": "org/tiny", "revision": "main",
                            "endpoint": http_server.base}, **src)}


def test_hf_model_download_verify_skip_and_new_revision(http_server, tmp_path):
    files = hf_repo(http_server)
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, hf_spec(http_server, dest))
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert tree(dest) == files
    marker = json.loads((dest / ".nautiform-data.json").read_text())
    assert marker["revision_sha"] == SHA1 and marker["identity"] == "hf:model/org/tiny@" + SHA1
    assert http_server.count("/org/tiny/resolve/%s/model.safetensors" % SHA1) == 1

    res = run_script("fetch", spec)
    assert res.returncode == 0 and "up to date" in res.stderr
    assert http_server.count("/org/tiny/resolve/%s/model.safetensors" % SHA1) == 1

    # main moves to a new commit with a changed file
    repo = http_server.hf_repos[("model", "org/tiny")]
    repo["revisions"]["main"] = SHA2
    repo["revisions"][SHA2] = SHA2
    repo["files"]["config.json"] = b'{"hidden": 16}'
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert (dest / "config.json").read_bytes() == b'{"hidden": 16}'
    assert http_server.count("/org/tiny/resolve/%s/config.json" % SHA2) == 1


def test_hf_dataset_with_token_and_file_filter(http_server, tmp_path):
    token = "hf_" + "SeCrEtToKeN123456"  # split: no token-shaped literal in the tree
    files = hf_repo(http_server, kind="dataset", repo="org/tiny", token=token)
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, hf_spec(http_server, dest, repo_type="dataset", files=["*.json", "tokenizer/*"],
                                        secret="hf-token"))
    res = run_script("fetch", spec, env=base_env())
    assert res.returncode == 1
    assert "HF_TOKEN" in res.stderr and "hf-token" in res.stderr

    res = run_script("fetch", spec, env=base_env(HF_TOKEN=token))
    assert res.returncode == 0, res.stderr
    assert tree(dest) == {k: v for k, v in files.items() if k != "model.safetensors"}
    assert token not in res.stderr + res.stdout
    assert all(r["auth"] == "Bearer " + token for r in http_server.requests)
    assert http_server.count("/datasets/org/tiny/resolve/%s/config.json" % SHA1) == 1

    res = run_script("fetch", write_spec(tmp_path, hf_spec(http_server, tmp_path / "x", repo_type="dataset"), "w.json"),
                     env=base_env(HF_TOKEN="hf_wrong_token_value"))
    assert res.returncode == 4 and "HTTP 401" in res.stderr and "hf_wrong_token_value" not in res.stderr


def test_hf_lfs_checksum_mismatch_leaves_nothing(http_server, tmp_path):
    hf_repo(http_server)
    http_server.hf_repos[("model", "org/tiny")]["lfs_sha"] = {"model.safetensors": "0" * 64}
    dest = tmp_path / "ds"
    res = run_script("fetch", write_spec(tmp_path, hf_spec(http_server, dest)))
    assert res.returncode == 3
    assert "sha256 mismatch" in res.stderr
    assert not dest.exists() and not (tmp_path / ".ds.nautiform-work").exists()


def test_hf_kill_halfway_then_rerun_resumes_lfs_file(http_server, tmp_path):
    import signal
    import time

    from datahelpers import script_argv

    files = hf_repo(http_server)
    files["model.safetensors"] = os.urandom(5 * 1024 * 1024)
    dest = tmp_path / "ds"
    spec = write_spec(tmp_path, hf_spec(http_server, dest, workers=1))
    http_server.delay = 0.02
    proc = subprocess.Popen(script_argv("fetch", spec), env=base_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    part = tmp_path / ".ds.nautiform-work" / "stage" / "model.safetensors.nautiform-part"
    deadline = time.time() + 30
    while not (part.exists() and part.stat().st_size > 1024 * 1024):
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not dest.exists()
    http_server.delay = 0
    res = run_script("fetch", spec)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert tree(dest) == files
    resolve = "/org/tiny/resolve/%s/" % SHA1
    assert http_server.count(resolve + "config.json") == 1  # finished before the kill, kept
    ranges = [r["range"] for r in http_server.requests if r["path"] == resolve + "model.safetensors"]
    assert ranges[0] is None and ranges[-1] and int(ranges[-1][6:-1]) > 1024 * 1024
