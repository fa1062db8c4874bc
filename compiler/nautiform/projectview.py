"""project.yaml as the day-two commands need it: workload names, and the line of each setting.

`status`, `logs`, `stop` and `gpus` take workload names from project.yaml, never hashed object
names, and every explanation points at the line to change ("project.yaml:58 workloads.train.memory").
The file is loaded, validated and resolved (stages 1-3) but not built: no image tag is computed,
so this works in any checkout, built or not.
"""
from __future__ import annotations

import sys
from collections import namedtuple
from difflib import get_close_matches
from pathlib import Path

from .names import object_name
from .errors import UserError, dotted

DATA_PREFIX = "dataset-"  # the workload label of a dataset's data Job (builders/data.py)


class Where(namedtuple("Where", "file line path is_set")):
    """A setting's place: file and 1-based line, dotted path, and whether project.yaml sets it
    (else `line` is where it would go: the workload, or the defaults that apply)."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.path}"


class View(namedtuple("View", "path loaded resolved")):
    __slots__ = ()

    @property
    def project(self) -> str:
        return self.resolved.name

    @property
    def namespace(self) -> str:
        return self.resolved.namespace

    @property
    def file(self) -> str:
        return self.loaded.file

    def kinds(self) -> dict:
        """Workload name -> kind, in declared order; a volume dataset's data Job is kind `data`."""
        out = {w.name: w.kind for w in self.resolved.workloads}
        for name, ds in self.resolved.project.datasets.items():
            if ds.volume is not None:
                out[DATA_PREFIX + name] = "data"
        return out

    def workload(self, name: str):
        return next((w for w in self.resolved.workloads if w.name == name), None)

    def where(self, workload: str, *path) -> Where:
        """Where `workloads.<workload>.<path>` is decided: the workload, or the defaults it inherits."""
        if workload.startswith(DATA_PREFIX) and self.workload(workload) is None:
            loc = ("datasets", workload[len(DATA_PREFIX):]) + tuple(path)
        else:
            w = self.workload(workload)
            field, rest = (path[0], tuple(path[1:])) if path else (None, ())
            origin = w.origin.get(field) if w is not None and field else None
            loc = (origin + rest) if origin else ("workloads", workload) + tuple(path)
        return self.at(*loc)

    def at(self, *loc) -> Where:
        """The place of a top-level path, e.g. ("image", "build") or ("volumes", "data")."""
        pos = self.loaded.position(tuple(loc), key=True)
        return Where(self.file, pos.line if pos else 1, dotted(loc), tuple(loc) in self.loaded.positions)

    def claims(self) -> dict:
        """PVC name -> volume name, for the volumes the project declares."""
        return {(v.existing_claim or object_name(self.project, name)): name
                for name, v in self.resolved.project.volumes.items()}

    def unknown(self, name: str) -> str | None:
        """None if `name` is a workload; else the error text, with "did you mean"."""
        names = list(self.kinds())
        if name in names:
            return None
        close = get_close_matches(name, names, 1)
        return (f"error: no workload {name!r} in {self.file}\n  hint: " + (f"did you mean {close[0]!r}? " if close else "")
                + f"workloads: {', '.join(names)}")


class ViewError(Exception):
    """project.yaml cannot be read as a project; the message says why and what to do."""


def load_view(path: Path) -> View:
    from .load import load_text
    from .resolve import resolve
    from .pipeline import runtime_script
    from .profile import load_profile
    from .validate import validate

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ViewError(f"error: no {path} here\n  hint: run in your project's checkout, or pass --project "
                        "PATH") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ViewError(f"error: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        loaded = load_text(text, path.name)
        project = validate(loaded)
        return View(path, loaded, resolve(project, "", load_profile(project.project.profile), runtime_script()))
    except UserError as exc:
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        raise ViewError(f"error: {path} has {errors} error{'s' * (errors != 1)}, so its workloads are unknown\n"
                        f"  hint: `nautiform compile {path}` shows them") from None


def view_or_exit(path: Path, workload: str | None = None) -> View | None:
    """The view (and `workload` is one of its workloads), or None after printing why not (callers return 1)."""
    try:
        view = load_view(path)
    except ViewError as exc:
        print(exc, file=sys.stderr)
        return None
    if workload and view.unknown(workload):
        print(view.unknown(workload), file=sys.stderr)
        return None
    return view
