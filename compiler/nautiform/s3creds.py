"""S3 credentials for `nautiform data push`, from what the user already has on the laptop.

Never from project.yaml (it is committed) and never on a command line (other users see `ps`):
the keys are handed to s5cmd and rclone in their environment only, and never printed.
Looked for in this order, the first that applies wins:

1. `--rclone-remote NAME`: the keys of that remote in the user's rclone config;
2. `--profile NAME`: that profile of the shared credentials file (the one s5cmd and the AWS CLI
   read: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, or `--credentials-file`) or of
   ~/.aws/config;
3. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment;
4. the profile $AWS_PROFILE, else `default`, of those files.
"""
from __future__ import annotations

import configparser
import json
import os
import subprocess
from pathlib import Path
from typing import NamedTuple

from .pushfiles import PushError

NRP_TOKENS = "https://nrp.ai/s3token"


class Creds(NamedTuple):
    key: str
    secret: str
    token: str | None
    origin: str  # for people: where the keys came from (never the keys)

    def env(self) -> dict:
        out = {"AWS_ACCESS_KEY_ID": self.key, "AWS_SECRET_ACCESS_KEY": self.secret}
        if self.token:
            out["AWS_SESSION_TOKEN"] = self.token
        return out

    def __repr__(self) -> str:  # a traceback or a debugger shows where the keys came from, not them
        return f"Creds(origin={self.origin!r})"

    def redact(self, text: str) -> str:
        for value in (self.secret, self.token, self.key):
            if value and len(value) >= 4:
                text = text.replace(value, "<hidden>")
        return text


def resolve(profile: str | None = None, credentials_file: Path | None = None,
            rclone_remote: str | None = None, env=None) -> Creds:
    env = os.environ if env is None else env
    if rclone_remote:
        return _rclone(rclone_remote, env)
    files = _files(credentials_file, env)
    if profile:
        found = _profile(profile, files)
        if found is None:
            raise PushError(f"no profile {profile!r} with aws_access_key_id and aws_secret_access_key in "
                            f"{' or '.join(str(f) for f in files)}",
                            "check the profile name, or pass --credentials-file")
        return found
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return Creds(key, secret, env.get("AWS_SESSION_TOKEN") or None, "environment (AWS_ACCESS_KEY_ID)")
    if key or secret:
        missing = "AWS_SECRET_ACCESS_KEY" if key else "AWS_ACCESS_KEY_ID"
        raise PushError(f"{missing} is not set, but its partner is",
                        f"export both, or unset both to use a profile (keys: {NRP_TOKENS})")
    name = env.get("AWS_PROFILE") or "default"
    found = _profile(name, files)
    if found is None:
        raise PushError(
            f"no S3 credentials: looked for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment "
            f"and profile {name!r} in {' and '.join(str(f) for f in files)}",
            f"export the keys from {NRP_TOKENS}, or pass --profile NAME or --rclone-remote NAME")
    return found


def _files(credentials_file: Path | None, env) -> list[Path]:
    home = Path(env.get("HOME") or Path.home())
    shared = credentials_file or Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    config = Path(env.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    return [shared, config]


def _profile(name: str, files: list[Path]) -> Creds | None:
    # the credentials file names sections `name`; the config file `profile name` (but `default`)
    for path, section in ((files[0], name), (files[1], name if name == "default" else f"profile {name}")):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise PushError(f"cannot read {path}: {type(exc).__name__}") from None
        if parser.has_section(section):
            sec = parser[section]
            key, secret = sec.get("aws_access_key_id"), sec.get("aws_secret_access_key")
            if key and secret:
                return Creds(key.strip(), secret.strip(), (sec.get("aws_session_token") or "").strip() or None,
                             f"profile {name!r} in {path}")
    return None


def _rclone(remote: str, env) -> Creds:
    from .runtime.nautiform_data import find_tool

    rclone = find_tool("rclone")
    if not rclone:
        raise PushError("--rclone-remote needs rclone on PATH", "install rclone, or use --profile")
    try:
        proc = subprocess.run([rclone, "config", "dump"], capture_output=True, text=True, env=dict(env),
                              timeout=60, stdin=subprocess.DEVNULL)
        remotes = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        remotes = None
    if not isinstance(remotes, dict):
        raise PushError("cannot read the rclone config (`rclone config dump` failed; is it encrypted?)",
                        "use --profile or the AWS_* environment variables instead")
    conf = remotes.get(remote.rstrip(":"))
    if not isinstance(conf, dict):
        raise PushError(f"no rclone remote {remote!r}", f"rclone remotes: {', '.join(sorted(remotes)) or 'none'}")
    key, secret = conf.get("access_key_id"), conf.get("secret_access_key")
    if conf.get("type") != "s3" or not (key and secret):
        raise PushError(f"rclone remote {remote!r} has no S3 access_key_id and secret_access_key",
                        "a remote with env_auth reads the AWS_* environment: export those instead")
    return Creds(key, secret, conf.get("session_token") or None, f"rclone remote {remote!r}")
