"""The stages in order: load -> validate -> resolve -> expand/build -> lint -> emit.

`_compile` is pure (loaded text, validated project, image tag, profile and data runtime in; files and
diagnostics out); `compile_file` does the reads: the file, the build context, the profile, the runtime.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import Diagnostic, Position, UserError, dotted, merge_shared


class Result:
    def __init__(self, files: dict[str, bytes] | None = None, diagnostics: list[Diagnostic] | None = None,
                 project: Any = None):
        self.files = files if files is not None else {}
        self.diagnostics = diagnostics if diagnostics is not None else []
        self.project = project

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def compile_file(path: Path, out: Path | None = None) -> Result:
    from .load import load_text
    from .profile import load_profile
    from .validate import validate

    file = path.name
    loaded = None
    try:
        text = _read(path)
        loaded = load_text(text, file)
        project = validate(loaded)
        image = _image(project, path.parent, out, loaded)
    except UserError as exc:
        diags = exc.diagnostics
        if loaded is not None:
            diags = diags + _rest(loaded, diags, path.parent)
        return Result(diagnostics=sorted(diags, key=Diagnostic.sort_key))
    return _compile(loaded, project, image, load_profile(project.project.profile), runtime_script(),
                    _files(project, path.parent))


def _files(project, base: Path) -> dict:
    """The repository files the workloads mount (`files:`), read here so that no stage reads a file."""
    from . import repofiles

    return repofiles.read(project, base) if repofiles.referenced(project) else {}


def _rest(loaded, diags: list[Diagnostic], base: Path) -> list[Diagnostic]:
    """Errors inside some workloads must not hide the problems of the others (issue 12, item 11): when
    every validation error lies inside workloads, the remaining ones are compiled for their diagnostics
    (nothing is written: the result has errors anyway)."""
    from .profile import load_profile
    from .validate import validate_without

    project = validate_without(loaded, diags)
    if project is None:
        return []
    image = project.image.ref or f"{project.image.build.repository}:unbuilt"
    return _compile(loaded, project, image, load_profile(project.project.profile), runtime_script(),
                    _files(project, base)).diagnostics


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError([Diagnostic("file", f"cannot read {path}: {exc.strerror}", "", Position(1, 1),
                                    "pass the path of your project.yaml", file=path.name)]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError([Diagnostic("encoding", "the file is not UTF-8", "", Position(line, 1),
                                    "save it as UTF-8", file=path.name)]) from None


def _image(project, base: Path, out: Path | None, loaded) -> str:
    from .imagetag import context_digest

    image = project.image
    if image.ref:
        return image.ref
    context, dockerfile = base / image.build.context, base / image.build.dockerfile
    for p, key in ((context, "context"), (dockerfile, "dockerfile")):
        if not p.exists():
            loc = ("image", "build", key)
            raise UserError([Diagnostic("image-build", f"{key} {str(getattr(image.build, key))!r} does not exist",
                                        dotted(loc), loaded.position(loc), f"the path is relative to {loaded.file}",
                                        file=loaded.file, loc=loc)])
    skip = (out,) if out is not None else ()
    return f"{image.build.repository}:{context_digest(context, dockerfile, skip)}"


RUNTIME_FILES = ("nautiform_data.py", "nautiform_gate.py", "nautiform_search.py")


def runtime_script() -> dict[str, str]:
    """The runtime shipped in the runtime ConfigMap (file name -> text), read here so that no stage reads
    a file. (Plain paths: package data is installed as files; importlib.resources costs ~3 ms to import.)"""
    folder = Path(__file__).parent / "runtime"
    return {name: (folder / name).read_text(encoding="utf-8") for name in RUNTIME_FILES}


def _compile(loaded, project, image: str, profile, runtime: dict[str, str], files: dict | None = None) -> Result:
    """Pure: the loaded file, its validated project, the image reference, the profile, the runtime text and
    the repository files it mounts in; files and diagnostics out."""
    from .builders.workloads import build
    from .emit import emit
    from .lint import lint
    from .resolve import resolve

    resolved = resolve(project, image, profile, runtime, files)
    manifests = build(resolved)
    diags = lint(resolved, manifests)
    placed = sorted((place(d, loaded) for d in merge_shared(diags)), key=Diagnostic.sort_key)
    result = Result(diagnostics=placed, project=resolved)
    if result.ok:
        lines = {m.loc: (loaded.position(m.loc, key=True) or Position(1, 1)).line for m in manifests}
        result.files = emit(manifests, loaded.file, lines)
    return result


def place(d: Diagnostic, loaded) -> Diagnostic:
    if d.pos is not None:
        return d
    return d._replace(pos=loaded.position(d.loc, key=d.at_key) or Position(1, 1), file=loaded.file)
