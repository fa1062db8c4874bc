"""Rule secret-literal: credentials written as literals are refused, masked, at the value."""
from __future__ import annotations

import pytest

from nautiform.lint.secrets import find
from nautiform.pipeline import compile_file

BASE = """version: 1
project: {name: p, namespace: lab, profile: generic}
image: {ref: "python:3.11-slim"}
workloads:
  train:
    kind: job
    command: [python, train.py]
"""
HF = "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3k"


@pytest.mark.parametrize("value,what,masked", [
    (HF, "a Hugging Face token", "hf_****"),
    ("AKIA" + "IOSFODNN7EXAMPLE", "an AWS access key id", "AKIA****"),
    ("glpat-" + "xY4_kL9-mN2pQ7rS1tUv", "a GitLab token", "glpat-****"),
    ("ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8", "a GitHub token", "ghp_****"),
    ("github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnop", "a GitHub token", "github_pat_****"),
    ("https://oauth2:s3cr3t@gitlab.example.org/g/p.git", "a password in a URL", "https://****:****@gitlab.example.org"),
    ("HF_TOKEN=aB3dE5gH7jK9mN1pQ3sT5vX7 python x.py", "a literal HF_TOKEN", "HF_TOKEN=****"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key", "****"),
])
def test_known_formats_are_found_and_masked(value, what, masked):
    assert find(value) == (what, masked)


@pytest.mark.parametrize("value,name", [
    ("https://oauth2:${GITLAB_TOKEN}@gitlab.example.org/g/p.git", ""),  # a shell reference, not a literal
    ("git@github.com:g/p.git", ""), ("https://gitlab.example.org/g/p.git", ""), ("cyclegan", "WANDB_PROJECT"),
    ("created_at", "SORT_KEY"), ("/run/secrets/token", "TOKEN_FILE"), ("python --task-sk-abc", ""),
    ("hf_hub_download", ""), ("$HF_TOKEN", "HF_TOKEN"), ("0123456789", "API_KEY"),
    ("mistralai/Mistral-7B-Instruct-v0.2", "tokenizer_name"), ("EleutherAI/gpt-neox-20b", "TOKENIZER"),
    ("sha256:3f9a1c7e5b2d8046f1a3c5e7b9d2f4a6", "CACHE_KEY"), ("Jane-Doe-2024-Lab-Group", "AUTHOR"),
])
def test_ordinary_values_are_not_credentials(value, name):
    assert find(value, name) is None


@pytest.mark.parametrize("name,value", [("WANDB_API_KEY", "0123456789abcdef0123456789abcdef01234567"),
                                        ("DB_PASSWORD", "hunter22"), ("AWS_SECRET_ACCESS_KEY",
                                                                     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")])
def test_values_under_secret_names(name, value):
    assert find(value, name) == (f"a literal {name}", "****")


def _compile(tmp_path, text):
    path = tmp_path / "project.yaml"
    path.write_text(text)
    return compile_file(path)


def test_env_value_is_refused_at_its_position_without_echo(tmp_path):
    result = _compile(tmp_path, BASE + f"    env:\n      HF_TOKEN: {HF}\n")
    [d] = [d for d in result.diagnostics if d.code == "secret-literal"]
    assert not result.ok and not result.files
    assert (d.path, d.pos.line, d.pos.col) == ("workloads.train.env.HF_TOKEN", 9, 17)
    assert d.message == ("this value holds what looks like a Hugging Face token (hf_****); it would be written "
                         "into generated/ and everything that reads it")
    assert "secret_env" in d.hint and HF not in d.message + d.hint


def test_command_code_url_and_image_are_checked(tmp_path):
    text = BASE.replace('"python:3.11-slim"', '"user:pw@registry.example.org/x:1"').replace(
        "[python, train.py]", f"[python, train.py, --token, {HF}]")
    text += "code: {repo: 'https://me:hunter2@gitlab.example.org/g/p.git'}\n"
    text = text.replace('ref: "user:pw@registry.example.org/x:1"', 'ref: "https://u:pw@registry.example.org/x:1"')
    result = _compile(tmp_path, text)
    found = {(d.path, d.hint.split()[0]) for d in result.diagnostics if d.code == "secret-literal"}
    assert found == {("workloads.train.command[3]", "put"), ("code.repo", "remove"), ("image.ref", "remove")}


def test_a_token_as_a_key_is_not_repeated_in_the_path(tmp_path):
    token = "glpat-" + "abcdefghij0123456789"
    result = _compile(tmp_path, BASE.replace("  train:", f"  {token}:"))
    [d] = [d for d in result.diagnostics if d.code == "secret-literal"]
    assert d.path == "workloads" and token not in d.message


def test_secret_env_passes(tmp_path):
    result = _compile(tmp_path, BASE + "    secret_env:\n      HF_TOKEN: {secret: hf, key: token}\n")
    assert result.ok, result.diagnostics


# Fake credentials, assembled here so that no credential-shaped text is committed anywhere.
PLANTED = {"GITLAB": "glpat-" + "Xy7dK2mQ9pL4vN8rT1sW", "HF": "hf_" + "kQ2mX9vL4pR7tN1wZ8yB3cF6hJ5sD0aGeU",
           "AWS": "AKIA" + "QX7MZ4KP2LRT9VWN", "GITHUB": "ghp_" + "R4nd0mT0k3nV4lu3F0rT3st1ngAbCdEf1234"}


def test_golden_secret_literal_case(tmp_path):
    """tests/cases/secret-literal: project.yaml.in with the planted tokens -> exactly expected.txt."""
    from nf_testlib import CASES, nautiform

    case = CASES / "secret-literal"
    text = (case / "project.yaml.in").read_text()
    for key, value in PLANTED.items():
        text = text.replace("{" + key + "}", value)
    (tmp_path / "project.yaml").write_text(text)
    run = nautiform("compile", cwd=tmp_path)
    assert run.code == 1 and not (tmp_path / "generated").exists()
    assert run.err == (case / "expected.txt").read_text()
    assert not any(value in run.err + run.out for value in PLANTED.values())


@pytest.mark.parametrize("command", [
    '"wandb login 3f2a9c81d4e7b6a05f1c2d3e4b5a69788f7e6d5c && python train.py"',
    "[wandb, login, 3f2a9c81d4e7b6a05f1c2d3e4b5a69788f7e6d5c]",
    '"huggingface-cli login --token aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI && python t.py"',
])
def test_a_token_inside_a_command_is_found(tmp_path, command):
    """Issue 12, item 10: the same value under `env` was caught, inside a command line it was not."""
    result = _compile(tmp_path, BASE.replace("[python, train.py]", command))
    assert [d.code for d in result.diagnostics] == ["secret-literal"], result.diagnostics


def test_a_login_without_a_secret_is_fine(tmp_path):
    result = _compile(tmp_path, BASE.replace("[python, train.py]", '"wandb login --relogin && python t.py"'))
    assert not [d for d in result.diagnostics if d.code == "secret-literal"]
