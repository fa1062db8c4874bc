"""Stage 3, resolve: apply project defaults under each workload, remembering where each value came from."""
from __future__ import annotations

from collections import namedtuple

from .model import POD_FIELDS, Project
from .profile import Profile, load_profile

# Settings whose mappings merge key by key (a workload adds to the defaults); the rest replace.
_MERGED = ("env", "mounts", "secret_env")


class ResolvedWorkload(namedtuple("ResolvedWorkload", "name spec pod origin")):
    """spec: Interactive | JobWorkload | SweepWorkload; pod: pod setting name -> value, defaults applied;
    origin: pod setting name (or "env.X") -> loc tuple in project.yaml.
    (Named tuples, not dataclasses: nothing to build at start, issue 7.)"""

    __slots__ = ()

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def loc(self) -> tuple:
        return ("workloads", self.name)

    def at(self, field: str) -> tuple:
        """Where `field` was set: the workload, else the defaults, else the workload itself."""
        return self.origin.get(field, self.loc)


class Resolved(namedtuple("Resolved", "project profile image workloads")):
    """The validated Project, its Profile, the image reference and a ResolvedWorkload per workload."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self.project.project.name

    @property
    def namespace(self) -> str:
        return self.project.project.namespace


def resolve(project: Project, image: str) -> Resolved:
    profile = load_profile(project.project.profile)
    workloads = tuple(_workload(project, name, spec) for name, spec in project.workloads.items())
    return Resolved(project, profile, image, workloads)


def _workload(project: Project, name: str, spec) -> ResolvedWorkload:
    pod: dict = {}
    origin: dict = {}
    for layer, loc in ((project.defaults, ("defaults",)), (spec, ("workloads", name))):
        for field in POD_FIELDS:
            value = getattr(layer, field)
            if value is None:
                continue
            if field in _MERGED:
                merged = dict(pod.get(field) or {})
                merged.update(value)
                pod[field] = merged
                for key in value:
                    origin[f"{field}.{key}"] = loc + (field, key)
            else:
                pod[field] = value
            origin[field] = loc + (field,)
    return ResolvedWorkload(name, spec, pod, origin)
