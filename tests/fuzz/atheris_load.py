"""Coverage-guided fuzzing of the loader, the validator and the rest of the compile, with atheris.

    .venv/bin/python tests/fuzz/atheris_load.py -runs=100000 -timeout=5 -dict=tests/fuzz/yaml.dict CORPUS_DIR...

libFuzzer mutates bytes towards new coverage of the instrumented code (compiler/nautiform/ and ruamel.yaml).
Every input must end in a result or a UserError: any other exception is a crash (atheris prints the
input and exits non-zero), and an input slower than -timeout seconds is reported too.
With no corpus directory, the example and the golden cases are the seeds (copied to a temp dir).
"""
from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["nautiform", "ruamel"]):
    from nautiform.errors import UserError
    from nautiform.load import load_text
    from nautiform.pipeline import _compile, runtime_script
    from nautiform.profile import load_profile
    from nautiform.validate import validate


RUNTIME = runtime_script()


def one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")  # compile_file refuses other bytes before load (pipeline._read)
    except UnicodeDecodeError:
        return
    try:
        loaded = load_text(text, "project.yaml")
        project = validate(loaded)
    except UserError as exc:
        assert exc.diagnostics, "a UserError without a diagnostic"
        _check(exc.diagnostics)
        return
    # pure: no build context to hash; the profile and runtime are read at the edge, as compile_file does
    result = _compile(loaded, project, "registry.example.org/fuzz:1", load_profile(project.project.profile),
                      RUNTIME)
    _check(result.diagnostics)
    if result.ok:
        assert result.files and all(isinstance(v, bytes) for v in result.files.values())
    else:
        assert not result.files


def _check(diagnostics) -> None:
    for d in diagnostics:
        assert d.pos is not None and d.pos.line >= 1 and d.pos.col >= 1, d


def seeds() -> str:
    corpus = Path(tempfile.mkdtemp(prefix="nautiform-atheris-"))
    atexit.register(shutil.rmtree, corpus, True)
    files = [ROOT / "project.example.yaml", *sorted((ROOT / "tests" / "cases").glob("*/project.yaml"))]
    for i, path in enumerate(files):
        shutil.copy(path, corpus / f"seed-{i}.yaml")
    return str(corpus)


def main() -> None:
    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(seeds())
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
