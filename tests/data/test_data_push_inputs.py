"""`nautiform data push`: bad input gets one clear line and exit 1 with nothing written; credentials come
from the environment, a named profile or an rclone remote, and are never printed."""
from __future__ import annotations

import json

import boto3
import pytest

from datahelpers import base_env
from pushhelpers import env_for, listing, make_files, project, run

pytestmark = pytest.mark.data


def errors(res) -> list:
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    return [line for line in res.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def pushed(s3, tmp_path):
    bucket = s3.bucket()
    cwd = project(tmp_path, s3, bucket)
    make_files(tmp_path / "local", 3)
    return bucket, cwd


def test_a_path_that_does_not_exist(s3, tmp_path, pushed):
    res = run(pushed[1], "data", "push", "nope", "pics", env=env_for(s3, tmp_path))
    assert res.stderr == "error: nope does not exist\n  hint: give the file or folder to push\n"


def test_a_dataset_that_is_not_s3_or_push(s3, tmp_path, pushed):
    res = run(pushed[1], "data", "push", "local", "web", env=env_for(s3, tmp_path))
    assert errors(res) == ["error: dataset 'web' reads from http, which nautiform cannot upload to"]


def test_an_undeclared_dataset_prints_the_lines_to_add(s3, tmp_path, pushed):
    res = run(pushed[1], "data", "push", "local", "scans", env=env_for(s3, tmp_path))
    assert errors(res) == ["error: no dataset 'scans' in project.yaml"]
    assert "      scans:\n        source: {push: {}}\n        volume: data\n" in res.stderr


def test_missing_credentials_name_what_was_looked_for(s3, tmp_path, pushed):
    res = run(pushed[1], "data", "push", "local", "pics", env=base_env(HOME=str(tmp_path)))
    assert errors(res) == [
        "error: no S3 credentials: looked for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment and "
        f"profile 'default' in {tmp_path}/.aws/credentials and {tmp_path}/.aws/config"]
    assert "https://nrp.ai/s3token" in res.stderr
    assert "hashed" not in res.stdout  # found out before reading any data
    assert listing(s3, pushed[0]) == {}


def test_half_a_key_pair_is_named(s3, tmp_path, pushed):
    res = run(pushed[1], "data", "push", "local", "pics", env=base_env(HOME=str(tmp_path), AWS_ACCESS_KEY_ID="x"))
    assert errors(res) == ["error: AWS_SECRET_ACCESS_KEY is not set, but its partner is"]


def test_a_bucket_without_write_access(s3, tmp_path, pushed):
    bucket, cwd = pushed
    iam = boto3.client("iam", endpoint_url=s3.endpoint, region_name="us-east-1",
                       aws_access_key_id=s3.key_id, aws_secret_access_key=s3.secret)
    user = "reader-" + bucket
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}))
    env = base_env(HOME=str(tmp_path), AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                   AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    res = run(cwd, "data", "push", "local", "pics", env=env)
    assert errors(res) == [f"error: cannot write to s3://{bucket}/pics/: HTTP 403 AccessDenied with the "
                           "credentials from environment (AWS_ACCESS_KEY_ID)"]
    assert key["SecretAccessKey"] not in res.stdout + res.stderr
    assert listing(s3, bucket) == {}


def test_a_wrong_secret_is_refused_by_the_server_and_not_printed(s3, tmp_path, pushed):
    wrong = "Wr0ngSecretValue-abcdef"
    res = run(pushed[1], "data", "push", "local", "pics",
              env=base_env(HOME=str(tmp_path), AWS_ACCESS_KEY_ID=s3.key_id, AWS_SECRET_ACCESS_KEY=wrong))
    assert errors(res) == [f"error: cannot list s3://{pushed[0]}/pics/: HTTP 403 SignatureDoesNotMatch with "
                           "the credentials from environment (AWS_ACCESS_KEY_ID)"]
    assert wrong not in res.stdout + res.stderr


def test_a_bucket_that_does_not_exist(s3, tmp_path):
    cwd = project(tmp_path, s3, "no-such-bucket")
    make_files(tmp_path / "local", 1)
    res = run(cwd, "data", "push", "local", "pics", env=env_for(s3, tmp_path))
    assert errors(res) == ["error: cannot list s3://no-such-bucket/pics/: HTTP 404 NoSuchBucket (bucket "
                           "no-such-bucket does not exist on this endpoint)"]


def test_dry_run_writes_nothing(s3, tmp_path, pushed):
    res = run(pushed[1], "data", "push", "local", "pics", "--dry-run", env=env_for(s3, tmp_path))
    assert res.returncode == 0, res.stderr
    assert "  would send shard 0/0000.bin (2.0 KiB)" in res.stdout
    assert listing(s3, pushed[0]) == {}


def _profile_file(path, section: str, s3) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[{section}]\naws_access_key_id = {s3.key_id}\naws_secret_access_key = {s3.secret}\n")


@pytest.mark.parametrize("how", ["default", "AWS_PROFILE", "--profile", "config-file"])
def test_credentials_from_a_named_profile(s3, tmp_path, pushed, how):
    home = tmp_path / "home"
    args, extra = [], {}
    if how == "default":
        _profile_file(home / ".aws/credentials", "default", s3)
        origin = f"profile 'default' in {home}/.aws/credentials"
    elif how == "AWS_PROFILE":
        _profile_file(home / ".aws/credentials", "nrp", s3)
        extra["AWS_PROFILE"] = "nrp"
        origin = f"profile 'nrp' in {home}/.aws/credentials"
    elif how == "--profile":
        _profile_file(tmp_path / "s5cmd-creds", "nrp", s3)
        args = ["--profile", "nrp", "--credentials-file", tmp_path / "s5cmd-creds"]
        origin = f"profile 'nrp' in {tmp_path}/s5cmd-creds"
    else:
        _profile_file(home / ".aws/config", "profile nrp", s3)
        args = ["--profile", "nrp"]
        origin = f"profile 'nrp' in {home}/.aws/config"
    res = run(pushed[1], "data", "push", "local", "pics", *args, env=base_env(HOME=str(home), **extra))
    assert res.returncode == 0, res.stderr
    assert f"(credentials: {origin})" in res.stdout
    assert s3.secret not in res.stdout + res.stderr
    assert len(listing(s3, pushed[0])) == 4


def test_credentials_from_an_rclone_remote(s3, tmp_path, pushed):
    conf = tmp_path / "rclone.conf"
    conf.write_text(f"[nrp]\ntype = s3\nprovider = Ceph\naccess_key_id = {s3.key_id}\n"
                    f"secret_access_key = {s3.secret}\nendpoint = {s3.endpoint}\n")
    res = run(pushed[1], "data", "push", "local", "pics", "--rclone-remote", "nrp", "--tool", "rclone",
              env=base_env(HOME=str(tmp_path), RCLONE_CONFIG=str(conf)))
    assert res.returncode == 0, res.stderr
    assert "(credentials: rclone remote 'nrp')" in res.stdout
    assert s3.secret not in res.stdout + res.stderr
    res = run(pushed[1], "data", "push", "local", "pics", "--rclone-remote", "nope",
              env=base_env(HOME=str(tmp_path), RCLONE_CONFIG=str(conf)))
    assert errors(res) == ["error: no rclone remote 'nope'"]
