"""Stage 2, validate: plain data -> `Project`, or positioned diagnostics for every mistake."""
from __future__ import annotations

from .errors import Diagnostic, UserError, dotted
from .load import Loaded
from .model import Project
from .records import Problem, Rejected

_MISSING_HINTS = {"version": "add `version: 1` at the top", "name": "e.g. name: my-project",
                  "namespace": "your NRP namespace, e.g. namespace: my-lab",
                  "command": "e.g. command: [python, train.py]",
                  "repository": "e.g. repository: gitlab-registry.nrp-nautilus.io/<group>/<project>"}


def validate(loaded: Loaded) -> Project:
    try:
        return Project.from_data(loaded.data)
    except Rejected as exc:
        raise UserError([_diagnostic(p, loaded) for p in exc.problems]) from None


def _diagnostic(p: Problem, loaded: Loaded) -> Diagnostic:
    hint = p.hint
    if "{source}" in hint:  # a value as the user wrote it (records have only the parsed value)
        hint = hint.replace("{source}", loaded.sources.get(tuple(p.loc), ""))
    if p.code == "missing":
        hint = hint or _MISSING_HINTS.get(str(p.loc[-1]), "add it")
        pos = loaded.position(p.loc[:-1], key=True)  # a missing key is shown where it belongs
    else:
        pos = loaded.position(p.loc, key=p.at_key)
    return Diagnostic(p.code, p.message, dotted(p.loc), pos, hint, file=loaded.file, loc=p.loc)
