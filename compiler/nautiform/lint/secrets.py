"""Rule secret-literal: a credential written as a literal value in project.yaml.

Every string nautiform reads can end up in generated/ (env values, commands, the code URL,
image references, sweep values, names) and from there in a shared repository and cluster.
So every string is checked, wherever it is, for:

- well-known token formats: AWS access key ids (AKIA...), Hugging Face (hf_...), GitLab
  (glpat-...), GitHub (ghp_..., github_pat_...), Slack (xox.-), OpenAI (sk-...), PEM private keys;
- URLs with a password (scheme://user:password@host);
- under a name that says it is secret (*PASSWORD*, or *TOKEN*/*SECRET*/*KEY* with a long,
  random-looking value): an env value, `NAME=value` in a command, `--token value` arguments.

The message shows only a masked form (hf_****): diagnostics end up in CI logs too.
"""
from __future__ import annotations

import math
import re
from collections import Counter

from ..errors import diag
from ..records import Record

CODE = "secret-literal"
_TOKENS = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|AIPA)[0-9A-Z]{16}(?![0-9A-Za-z])")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("a GitLab token", re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt)-[A-Za-z0-9_-]{20,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("an OpenAI key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
_PREFIX = re.compile(r"github_pat_|[a-z]+[_-]|A[A-Z]{3}")
# scheme://user:password@ -- a password that is a shell reference ($X, ${X}) is not a literal.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*)://([^\s/:@]*):([^\s/@]+)@([^\s/@]*)")
# TOKENIZER and AUTHOR are not secrets (`--tokenizer mistralai/Mistral-7B-v0.2` is a model name).
_SECRET_NAME = re.compile(r"TOKEN(?!IZ)|SECRET|PASSW|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH(?!OR)|CREDENTIAL|KEY$",
                          re.I)
_PASSWORD_NAME = re.compile(r"PASSW", re.I)
_ASSIGN = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s;&|]+)")
_OPTION = re.compile(r"^--?([A-Za-z][-A-Za-z0-9_]*)(?:=(.*))?$")


def check(r, manifests) -> list:
    out, seen = [], set()
    for loc, value, name in strings(r.project):
        found = find(value, name)
        if found and loc not in seen:  # an argv item is seen twice: alone and after its --option
            seen.add(loc)
            what, masked = found
            out.append(diag(CODE, loc, f"this value holds what looks like {what} ({masked}); it would be "
                            "written into generated/ and everything that reads it", _hint(loc)))
    return out


def find(value: str, name: str = "") -> tuple[str, str] | None:
    """(what, masked form) when `value` looks like a credential; `name` is the key it is set under."""
    for what, pattern in _TOKENS:
        m = pattern.search(value)
        if m:
            return what, _mask(m.group())
    for m in _URL.finditer(value):
        if not m.group(3).startswith(("$", "{")):
            return "a password in a URL", f"{m.group(1)}://****:****@{m.group(4)}"
    if name and _secret_value(name, value):
        return f"a literal {name}", "****"
    for m in _ASSIGN.finditer(value):
        if _secret_value(m.group(1), m.group(2).strip("'\"")):
            return f"a literal {m.group(1)}", f"{m.group(1)}=****"
    return None


def _secret_value(name: str, value: str) -> bool:
    # a reference ($VAR, a path, a {placeholder}) or a typed value (sha256:..., a URL) is not a credential
    if not _SECRET_NAME.search(name) or value.startswith(("$", "/", "{")) or ":" in value or \
            any(c.isspace() for c in value):
        return False
    if _PASSWORD_NAME.search(name):
        return len(value) >= 4
    return _random(value)


def _random(value: str) -> bool:
    """Long, several character classes, high Shannon entropy: an API key, not a word or a path."""
    if len(value) < 20:
        return False
    classes = sum(any(f(c) for c in value) for f in (str.islower, str.isupper, str.isdigit))
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return classes >= 2 and entropy >= 3.5


def _mask(token: str) -> str:
    """Only the well-known prefix of the format (hf_, AKIA, glpat-) is shown, never a random character."""
    m = _PREFIX.match(token)
    return (m.group() if m else "") + "****"


def strings(project):
    """(loc, string, name it is set under) for every string in the validated project (also used by the
    control-character rule)."""
    return _strings(project, ())


def _hint(loc: tuple) -> str:
    if loc[:1] == ("code",):
        return "remove it from the URL and name a Secret with keys `user` and `password` in `code.credentials`"
    if loc[:1] == ("image",):
        return "remove it and name an image pull Secret in `image.pull_secret`"
    return ("put it in a Kubernetes Secret and use `secret_env: {NAME: {secret: <secret>, key: <key>}}` "
            "(or `secret_files`); then revoke it: it is already in your file's history")


def _strings(value, loc: tuple, name: str = ""):
    """(loc, string, name it is set under) for every string in the validated project, keys included."""
    if isinstance(value, Record):
        for field in type(value).fields:  # a field name (secret_env's `key`) says nothing
            yield from _strings(getattr(value, field), loc + (field,), "command" if field == "command" else "")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield loc, key, ""  # a key is shown at its mapping: the path must not repeat it
            yield from _strings(item, loc + (key,), str(key))
    elif isinstance(value, (list, tuple)):
        if name == "command" and len(value) == 3 and value[:2] == ("/bin/sh", "-c"):
            yield loc, value[2], ""  # written as one shell line: the value is the whole string
            words = _shell_words(value[2])  # and its words, as an argv (`wandb login KEY` in a line)
            yield from ((loc, v, n) for _, v, n in _options(words, loc))
            yield from ((loc, v, n) for _, v, n in _logins(words, loc))
            return
        for i, item in enumerate(value):
            yield from _strings(item, loc + (i,), "")
        if name == "command":
            yield from _options(value, loc)
            yield from _logins(value, loc)
    elif isinstance(value, str):
        yield loc, value, name


def _shell_words(line: str) -> list[str]:
    import shlex  # only for commands written as one shell line

    try:
        return shlex.split(line, comments=True)
    except ValueError:  # an unclosed quote: the words as they stand
        return line.split()


def _logins(argv, loc: tuple):
    """`wandb login KEY`, `huggingface-cli login TOKEN`: the word after `login` is set under the name
    LOGIN_TOKEN (a random-looking value there is a credential; `--token X` is `_options`')."""
    for i, word in enumerate(argv[:-1]):
        if word == "login" and not argv[i + 1].startswith("-"):
            yield loc + (i + 1,), argv[i + 1], "LOGIN_TOKEN"


def _options(argv, loc: tuple):
    """`--token VALUE` and `--token=VALUE` in an argv list: the value is set under the option's name."""
    for i, word in enumerate(argv):
        m = _OPTION.match(word)
        if not m:
            continue
        option = m.group(1).replace("-", "_")
        if m.group(2) is not None:
            yield loc + (i,), m.group(2), option
        elif i + 1 < len(argv):
            yield loc + (i + 1,), argv[i + 1], option
