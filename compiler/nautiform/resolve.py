"""Stage 3, resolve: project defaults applied under each workload (each value remembering where it came
from), then everything derived from them computed once (derive.py). Pure: the profile and the data
runtime's text are passed in by `pipeline.compile_file`, which reads them."""
from __future__ import annotations

from collections import namedtuple
from types import MappingProxyType
from typing import Mapping

from . import derive, repofiles
from .model import POD_FIELDS, Project
from .profile import Profile

# Settings whose mappings merge key by key (a workload adds to the defaults); the rest replace.
_MERGED = ("env", "mounts", "secret_env", "labels", "annotations", "node_labels", "empty_dirs", "field_env",
           "value_env", "files")


class ResolvedWorkload(namedtuple("ResolvedWorkload", "name spec pod origin gpu_resource resources mounts wrap "
                                                      "wrap_env sweep sweep_data sweep_cm image code setup")):
    """spec: Interactive | JobWorkload | SweepWorkload | ServiceWorkload; pod: pod setting name -> value,
    defaults applied; origin: pod setting name (or "env.X") -> loc tuple in project.yaml. Derived
    (derive.py): gpu_resource, resources (key -> derive.Resource), mounts (derive.Mount of the main
    container), wrap/wrap_env (the outputs wrapper's argv and env), sweep (expand.Sweep), sweep_data and
    sweep_cm (its ConfigMap), image (the workload's, else the project's), code (the workload's Code, the
    project's, or None), setup (derive.Setup per setup step).
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


class Resolved(namedtuple("Resolved", "project profile image workloads volumes datasets data_cm files values_cm")):
    """The validated Project, its Profile, the image reference, a ResolvedWorkload per workload, and the
    derived volumes (name -> derive.Volume), datasets (name -> derive.Dataset), data ConfigMap
    ((name, data) or None), repository files (rel path -> repofiles.FileCM) and the name of the
    submit-time values' ConfigMap (or None)."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self.project.project.name

    @property
    def namespace(self) -> str:
        return self.project.project.namespace


def resolve(project: Project, image: str, profile: Profile, runtime: Mapping[str, str],
            files: Mapping | None = None) -> Resolved:
    """`files`: the repository files the workloads mount, as `repofiles.read` gives them (None: not read,
    for the day-two commands, which build nothing)."""
    vols = derive.volumes(project, profile)
    data_cm = derive.runtime_configmap(project, runtime)
    file_cms = repofiles.configmaps(project.project.name, files or {})
    workloads = tuple(_workload(project, profile, vols, data_cm, file_cms, image, name, spec)
                      for name, spec in project.workloads.items())
    return Resolved(project, profile, image, workloads, vols, derive.datasets(project, profile, vols), data_cm,
                    file_cms, derive.values_configmap(project))


def _workload(project: Project, profile: Profile, vols, data_cm, file_cms, image: str, name: str,
              spec) -> ResolvedWorkload:
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
    loc = ("workloads", name)
    outputs = getattr(spec, "outputs", None)
    searching = spec.kind == "sweep" and spec.sweep.search is not None
    sweeping = spec.kind == "sweep" and not searching
    # Each sweep point's outputs go under its key; each trial's (each replica's) under its number, which
    # Kubernetes itself puts into the argv from the pod's SEARCH_TRIAL (REPLICA) env ($(VAR) expansion).
    replicas = spec.kind == "job" and getattr(spec, "replicas", None)
    point = "/{sweep_point_key}" if sweeping else "/trial-$(SEARCH_TRIAL)" if searching else \
        "/replica-$(REPLICA)" if replicas else ""
    wrap, wrap_env, target = derive.outputs_wrap(profile, vols, outputs, loc + ("outputs", "to"), point)
    extra = [target] if target else []
    if outputs is not None and outputs.s3cfg and not outputs.volume_target:
        extra.append(derive.s3cfg_mount(outputs.credentials, outputs.s3cfg, loc + ("outputs", "s3cfg")))
    if outputs and data_cm:
        extra.append(derive.Mount(derive.DATA_VOLUME, derive.DATA_MOUNT, loc + ("outputs",),
                                  {"configMap": {"name": data_cm[0]}}, True))
    sweep = sweep_data = None
    sweep_cm = ""
    if sweeping:
        sweep, sweep_data, sweep_cm = derive.sweep_of(project.project.name, name, spec.sweep,
                                                      tuple(wrap) + spec.command)
        if sweep_data is not None:
            extra.append(derive.Mount("sweep", derive.launcher.MOUNT, loc + ("sweep",),
                                      {"configMap": {"name": sweep_cm, "defaultMode": 0o555}}, True))
    at = lambda field: origin.get(field, loc)  # noqa: E731
    code, code_loc = project.code, ("code",)  # type: tuple[object, tuple]
    if spec.code is not None:  # the workload's own code, or `false`: none
        code, code_loc = (spec.code or None), loc + ("code",)
    mounts = derive.mounts(pod, at, vols, code, extra, file_cms, code_loc)
    return ResolvedWorkload(name, spec, MappingProxyType(pod), MappingProxyType(origin),
                            derive.gpu_resource(pod, profile), derive.resources(pod), mounts, tuple(wrap),
                            tuple(wrap_env), sweep, sweep_data, sweep_cm, spec.image or image, code,
                            derive.setup_steps(pod, at))
