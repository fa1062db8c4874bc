"""Sweep rules: what an Indexed Job and its ConfigMap can hold, and a command that uses its parameters.

- sweep-point: an explicit point without a value for a parameter the others have.
- sweep-size: more points than one Indexed Job holds (100,000), or parameter data over a ConfigMap's
  1 MiB (etcd's object limit).
- sweep-placeholder: `{name}` in the command that is not a parameter (`{{`/`}}` are literal braces);
  `{sweep_point}` (the point's number) and `{sweep_point_key}` (its key) are always known.
- sweep-duplicate: two points with the same values. A point is its values: both would be one run, write
  one outputs prefix, and a later change could no longer tell which one's results those are (issue 13).
"""
from __future__ import annotations

from .. import launcher, points
from ..errors import diag
from ..expand import MAX_POINTS, missing_in_points

CONFIGMAP_LIMIT = 1024 * 1024  # etcd's 1 MiB object limit applies to a ConfigMap's data


def check(r, manifests) -> list:
    out = []
    for w in r.workloads:
        if w.kind != "sweep":
            continue
        loc = w.loc + ("sweep",)
        if w.spec.sweep.search is not None:
            out += _search_placeholders(w)
            continue
        for i, p in missing_in_points(w.spec.sweep):
            out.append(diag("sweep-point", loc + ("points", i), f"point {i} has no value for {p!r}",
                            "give every point the same parameters"))
        sw = w.sweep
        if sw.size > MAX_POINTS:
            out.append(diag("sweep-size", loc, f"the sweep has {sw.size:,} points; one Indexed Job "
                            f"holds at most {MAX_POINTS:,}", "split it into several sweeps or sample fewer points"))
            continue
        known = set(sw.params) | {"sweep_point", "sweep_point_key"}
        for word in w.spec.command:
            for ph in launcher.placeholders(word):
                if ph not in known:
                    out.append(diag("sweep-placeholder", w.loc + ("command",),
                                    f"the command uses {{{ph}}}, which is not a sweep parameter",
                                    f"parameters: {', '.join(sorted(known))}; write {{{{ and }}}} for literal "
                                    "braces"))
        out += _duplicates(w, loc, _axis_keys(w.sweep_data) if sw.mode == "grid" else points.keys(w.sweep_data))
        size = sum(len(k.encode()) + len(v.encode()) for k, v in w.sweep_data.items())
        if size > CONFIGMAP_LIMIT - 4096:
            out.append(diag("sweep-size", loc, f"the sweep's parameter data is {size:,} bytes; a ConfigMap "
                            f"holds at most {CONFIGMAP_LIMIT:,}", "use a grid (its data grows with the axis "
                            "values, not the points) or fewer points"))
    return out


def _axis_keys(data: dict) -> list[str]:
    """A grid's points are distinct exactly when every axis's values are: check the axes, not the
    product (100,000 points would be 100,000 keys to build)."""
    out: list[str] = []
    for k, v in data.items():
        if k.startswith("point.grid."):
            axis = v.splitlines()
            if len(set(axis)) != len(axis):
                return axis
    return out


def _duplicates(w, loc: tuple, keys: list[str]) -> list:
    first: dict[str, int] = {}
    out = []
    spec = w.spec.sweep
    for i, key in enumerate(keys):
        if key not in first:
            first[key] = i
            continue
        j = first[key]
        if spec.points is not None:
            out.append(diag("sweep-duplicate", loc + ("points", i), f"points {j} and {i} have the same values "
                            f"({key}): one run, one outputs prefix", "remove one of them"))
        elif spec.random is not None:
            out.append(diag("sweep-duplicate", loc + ("random",), f"the space holds fewer than {len(keys):,} "
                            f"distinct points: draws {j} and {i} are both {key}", "sample fewer points, or widen "
                            "the space (more choices, wider ranges)"))
            break
        else:
            out.append(diag("sweep-duplicate", loc + ("grid",), f"an axis repeats a value ({key})",
                            "list each value once"))
            break
    return out


def _search_placeholders(w) -> list:
    known = set(w.spec.sweep.search.params)
    return [diag("sweep-placeholder", w.loc + ("command",), f"the command uses {{{ph}}}, which is not a searched "
                 "parameter", f"parameters: {', '.join(sorted(known))}; write {{{{ and }}}} for literal braces")
            for word in w.spec.command for ph in launcher.placeholders(word) if ph not in known]
