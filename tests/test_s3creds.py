"""Where `nautiform data push` takes S3 keys from, in which order, and that they are never shown."""
from __future__ import annotations

import pytest

from nautiform.pushfiles import PushError
from nautiform.s3creds import resolve


def _home(tmp_path, credentials: str = "", config: str = "") -> dict:
    (tmp_path / ".aws").mkdir(exist_ok=True)
    (tmp_path / ".aws" / "credentials").write_text(credentials)
    (tmp_path / ".aws" / "config").write_text(config)
    return {"HOME": str(tmp_path)}


def test_environment_before_the_default_profile(tmp_path):
    env = {**_home(tmp_path, "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"),
           "AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok"}
    creds = resolve(env=env)
    assert (creds.key, creds.secret, creds.token) == ("ENVKEY", "envsecret", "tok")
    assert creds.origin == "environment (AWS_ACCESS_KEY_ID)"
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    env.pop("AWS_SESSION_TOKEN")
    assert resolve(env=env).key == "FILEKEY"


def test_an_explicit_profile_wins_over_the_environment(tmp_path):
    env = {**_home(tmp_path, config="[profile nrp]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n"),
           "AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret"}
    creds = resolve(profile="nrp", env=env)
    assert creds.key == "CFGKEY" and creds.origin == f"profile 'nrp' in {tmp_path}/.aws/config"
    with pytest.raises(PushError, match="no profile 'other' with aws_access_key_id"):
        resolve(profile="other", env=env)


def test_aws_profile_names_the_section(tmp_path):
    env = {**_home(tmp_path, "[lab]\naws_access_key_id = LABKEY\naws_secret_access_key = labsecret\n"),
           "AWS_PROFILE": "lab"}
    assert resolve(env=env).key == "LABKEY"


def test_redact_hides_every_part_of_the_key(tmp_path):
    creds = resolve(env={"HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                         "AWS_SECRET_ACCESS_KEY": "s3cr3t-value"})
    assert creds.redact("key AKIAEXAMPLE secret s3cr3t-value") == "key <hidden> secret <hidden>"
    assert "s3cr3t-value" not in repr(creds) and "AKIAEXAMPLE" not in repr(creds)
