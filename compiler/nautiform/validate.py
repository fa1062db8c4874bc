"""Stage 2, validate: plain data -> `Project`, or positioned diagnostics for every mistake."""
from __future__ import annotations

import re

from .errors import Diagnostic, UserError, dotted
from .load import Loaded
from .model import Project
from .records import Problem, Rejected

_MISSING_HINTS = {"version": "add `version: 1` at the top", "name": "e.g. name: my-project",
                  "namespace": "your NRP namespace, e.g. namespace: my-lab",
                  "command": "e.g. command: [python, train.py]",
                  "repository": "e.g. repository: gitlab-registry.nrp-nautilus.io/<group>/<project>",
                  "metric": "the key of the result each trial writes, e.g. metric: val_loss (README: adaptive "
                            "search)",
                  "trials": "the search's budget, e.g. trials: 40"}


def _missing_hint(loc: tuple) -> str:
    if loc[-1] == "name" and "setup" in loc:  # a setup step's name, not the project's
        return "e.g. name: install (its container is setup-install)"
    return _MISSING_HINTS.get(str(loc[-1]), "add it")


def validate(loaded: Loaded) -> Project:
    try:
        return Project.from_data(loaded.data)
    except Rejected as exc:
        raise UserError([_diagnostic(p, loaded) for p in exc.problems]) from None


def _diagnostic(p: Problem, loaded: Loaded) -> Diagnostic:
    hint, message = p.hint, p.message
    source = loaded.sources.get(tuple(p.loc))
    if source is not None:  # a value as the user wrote it (records have only the parsed value): 1e-5, not 1e-05
        hint = hint.replace("{source}", source)
        message = re.sub(r"a number \([^)]*\)", f"a number ({source})", message)
    if p.code == "missing":
        hint = hint or _missing_hint(p.loc)
        pos = loaded.position(p.loc[:-1], key=True)  # a missing key is shown where it belongs
    else:  # an empty value (`KEY:`) has no place of its own: show its key
        pos = loaded.position(p.loc, key=p.at_key or source == "")
    return Diagnostic(p.code, message, dotted(p.loc), pos, hint, file=loaded.file, loc=p.loc)


def validate_without(loaded: Loaded, diags: list[Diagnostic]) -> Project | None:
    """The project without the workloads that hold every one of `diags`, when that is valid; else None."""
    if not diags or any(tuple(d.loc[:1]) != ("workloads",) or len(d.loc) < 2 for d in diags):
        return None
    bad = {d.loc[1] for d in diags}
    data = loaded.data
    if not isinstance(data, dict):
        return None
    workloads = data.get("workloads")
    if not isinstance(workloads, dict) or not set(workloads) - bad:
        return None
    try:
        return Project.from_data({**data, "workloads": {k: v for k, v in workloads.items() if k not in bad}})
    except Rejected:
        return None
