"""`nautiform init`: scaffold a project repository that compiles and checks at once."""
from __future__ import annotations

import re
import sys
from importlib.resources import files
from pathlib import Path

from .. import __version__, kubecontext
from .schema import LOCAL, schema_text

# The pipeline component (this repository's templates/pipeline.yml) as a project on NRP's GitLab includes it.
COMPONENT = "$CI_SERVER_FQDN/nautiform/nautiform/pipeline"

# template name -> file written; init also writes the schema (LOCAL), so editors complete offline
TEMPLATES = {"project.yaml": "project.yaml", "Dockerfile": "Dockerfile", "requirements.txt": "requirements.txt",
             "dockerignore": ".dockerignore", "gitignore": ".gitignore", "gitlab-ci.yml": ".gitlab-ci.yml"}


def template(name: str) -> str:
    return files("nautiform").joinpath("templates", name).read_text(encoding="utf-8")


def dns_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:40].strip("-")
    return name or "my-project"


def init(directory: Path, name: str | None, namespace: str | None, profile: str, repository: str | None,
         repo: str | None) -> int:
    from .compile import compile_project

    directory = directory.resolve()
    name = dns_name(name or directory.name)
    existing = [f for f in [*TEMPLATES.values(), LOCAL] if (directory / f).exists()]
    if existing:
        print(f"error: {directory} already has {', '.join(existing)}; nothing was written\n"
              "  hint: run init in a new, empty repository", file=sys.stderr)
        return 1
    if namespace is None:
        found = kubecontext.current_namespace()
        if found:
            namespace = found[0]
            print(f"namespace {namespace}: from your kubectl context {found[1]!r} (--namespace to choose another)")
    values = {"name": name, "namespace": dns_name(namespace or name), "profile": profile,
              "schema_url": f"./{LOCAL}",
              "repository": repository or f"gitlab-registry.nrp-nautilus.io/{dns_name(namespace or name)}/{name}",
              "repo": repo or f"https://gitlab.nrp-nautilus.io/{dns_name(namespace or name)}/{name}.git"}
    directory.mkdir(parents=True, exist_ok=True)
    for source, target in TEMPLATES.items():
        text = template(source)
        if source == "project.yaml":
            text = text.format(**values)
        elif source == "gitlab-ci.yml":
            text = text.format(component=COMPONENT, version=__version__)
        (directory / target).write_text(text, encoding="utf-8")
    (directory / LOCAL).write_text(schema_text(), encoding="utf-8")
    print(f"created {', '.join([*TEMPLATES.values(), LOCAL])} in {directory}")
    code = compile_project(directory / "project.yaml", directory / "generated")
    if code == 0:
        print("next: edit project.yaml, run `nautiform compile`, commit everything and push")
    return code
