"""No credential written into project.yaml can reach generated/ (issue 6).

A valid project gets a credential-looking literal planted in one of its strings (or keys), anywhere:
the compile must fail, with `secret-literal` whenever the file got past validation, and no
diagnostic of that rule may repeat the credential.
"""
from __future__ import annotations

import random
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nautiform.pipeline import compile_file
from harness import examples, prepare
from mutations import paths
from projects import projects, to_yaml

ALNUM = string.ascii_letters + string.digits


def _random(seed: int, alphabet: str, n: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


@st.composite
def credential(draw) -> tuple[str, str]:
    """(text to plant, the secret part that must never be written)."""
    seed = draw(st.integers(0, 2**32))
    kind = draw(st.sampled_from(["aws", "hf", "gitlab", "github", "github-pat", "slack", "url", "assign", "option"]))
    if kind == "aws":
        token = "AKIA" + _random(seed, string.ascii_uppercase + string.digits, 16)
    elif kind == "hf":
        token = "hf_" + _random(seed, ALNUM, 34)
    elif kind == "gitlab":
        token = "glpat-" + _random(seed, draw(st.sampled_from([ALNUM + "_-", string.ascii_lowercase + "-"])), 20)
    elif kind == "github":
        token = "ghp_" + _random(seed, ALNUM, 36)
    elif kind == "github-pat":
        token = "github_pat_" + _random(seed, ALNUM + "_", 82)
    elif kind == "slack":
        token = "xoxb-" + _random(seed, string.digits + "-", 30)
    elif kind == "url":
        secret = _random(seed, ALNUM, draw(st.integers(4, 30)))
        return f"https://oauth2:{secret}@gitlab.example.org/g/p.git", secret
    elif kind == "assign":
        secret = _random(seed, ALNUM, 32)
        name = draw(st.sampled_from(["HF_TOKEN", "WANDB_API_KEY", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD"]))
        return f"{name}={secret}", secret
    else:
        secret = _random(seed, ALNUM, 32)
        return draw(st.sampled_from(["--token=", "--api-key=", "--password="])) + secret, secret
    around = draw(st.sampled_from(["", " ", "=", ":", "/", "'", '"', "Bearer ", "x ", "token="]))
    return around + token + draw(st.sampled_from(["", " ", "/x", "'", ";"])), token


@settings(max_examples=examples(200), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(projects(), credential(), st.data())
def test_no_credential_reaches_generated(project, planted, data):
    text_value, secret = planted
    spots = [p for p in paths(project) if p and isinstance(_get(project, p), str)]
    keys = [p for p in paths(project) if p and isinstance(p[-1], str) and p[0] in ("workloads", "volumes")
            or p[-2:-1] in (("env",), ("secret_env",), ("grid",), ("mounts",))]
    if keys and data.draw(st.booleans()):
        path = data.draw(st.sampled_from(keys))
        parent = _get(project, path[:-1])
        parent[text_value] = parent.pop(path[-1])
        event("planted in a key")
    else:  # half the time a free-text spot, where a credential passes validation and only the lint stops it
        free = [p for p in spots if set(p) & {"env", "command", "code", "image", "grid", "points", "tolerations"}]
        path = data.draw(st.sampled_from(free if free and data.draw(st.booleans()) else spots))
        _get(project, path[:-1])[path[-1]] = text_value
        event("planted in a value")
    text = to_yaml(project, data.draw(st.sampled_from(["nautiform", "json"])))
    with tempfile.TemporaryDirectory() as tmp:
        result = compile_file(prepare(Path(tmp), text))
    codes = {d.code for d in result.diagnostics}
    assert not result.ok and not result.files, f"compiled with {text_value!r} at {path}"
    if result.project is not None:  # validation passed: the lint must be what stopped it
        assert "secret-literal" in codes, f"{text_value!r} at {path}: {codes}"
    event("stopped by secret-literal" if "secret-literal" in codes else "stopped before lint")
    for d in result.diagnostics:
        if d.code == "secret-literal":
            assert secret not in d.message + d.hint + d.path, d


def _get(data, path):
    for p in path:
        data = data[p]
    return data
