"""Stage 4, expand: a sweep becomes a numbered list of points, in declared order.

Grid points are never materialised: point i is the mixed-radix reading of i over
the axes (last axis fastest, like itertools.product), so a grid's data grows with
the number of axis values, not the number of points. Explicit and random points
are stored as one column of values per parameter.
"""
from __future__ import annotations

import math
from collections import namedtuple

from .model import SweepSpec

# Indexed Jobs beyond 100,000 completions lose per-index backoff and are soft-limited
# by the API server (pkg/apis/batch/validation: completionsSoftLimit).
MAX_POINTS = 100_000
REDRAWS = 50  # tries for a random point not drawn before


class Sweep(namedtuple("Sweep", "mode params columns size")):  # a named tuple: no dataclass to build at start
    """mode: "grid" | "table"; params: tuple of names; columns: param -> tuple of rendered values
    (grid: axis values; table: one per point); size: the number of points."""

    __slots__ = ()

    def point(self, index: int) -> dict:
        if self.mode == "table":
            return {p: self.columns[p][index] for p in self.params}
        out = {}
        for p in reversed(self.params):
            axis = self.columns[p]
            index, digit = divmod(index, len(axis))
            out[p] = axis[digit]
        return {p: out[p] for p in self.params}


def render_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def expand(spec: SweepSpec) -> Sweep:
    if spec.grid is not None:
        params = tuple(spec.grid)
        columns = {p: tuple(render_value(v) for v in spec.grid[p]) for p in params}
        return Sweep("grid", params, columns, math.prod(len(c) for c in columns.values()))
    if spec.points is not None:
        params = tuple(dict.fromkeys(p for point in spec.points for p in point))
        columns = {p: tuple(render_value(pt[p]) if p in pt else "" for pt in spec.points) for p in params}
        return Sweep("table", params, columns, len(spec.points))
    rnd = spec.random
    if rnd.samples > MAX_POINTS:  # checked before drawing, so a huge number costs nothing
        return Sweep("table", tuple(rnd.params), {p: () for p in rnd.params}, rnd.samples)
    import random  # only random search needs it

    rng = random.Random(rnd.seed)
    params = tuple(rnd.params)
    rows: list[tuple] = []
    seen: set[tuple] = set()
    for _ in range(rnd.samples):
        # `samples` distinct points: a point is its values (issue 13), so a draw that repeats an earlier
        # one is drawn again; a space too small for that keeps the repeat, and lint says so.
        for _attempt in range(REDRAWS):
            row = tuple(render_value(_draw(rng, rnd.params[p])) for p in params)
            if row not in seen:
                break
        seen.add(row)
        rows.append(row)
    return Sweep("table", params, {p: tuple(r[i] for r in rows) for i, p in enumerate(params)}, rnd.samples)


def _draw(rng, dist):  # rng: random.Random
    if dist.choice is not None:
        return dist.choice[rng.randrange(len(dist.choice))]
    if dist.randint is not None:
        return rng.randint(*dist.randint)
    if dist.uniform is not None:
        return float(f"{rng.uniform(*dist.uniform):.6g}")
    low, high = dist.loguniform
    return float(f"{math.exp(rng.uniform(math.log(low), math.log(high))):.6g}")


def missing_in_points(spec: SweepSpec) -> list[tuple[int, str]]:
    """(point index, parameter) pairs where an explicit point lacks a parameter others have."""
    if spec.points is None:
        return []
    params = list(dict.fromkeys(p for point in spec.points for p in point))
    return [(i, p) for i, point in enumerate(spec.points) for p in params if p not in point]
