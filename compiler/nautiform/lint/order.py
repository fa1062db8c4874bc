"""Ordering rules for `after:` (issue 13): what a run waits for must exist, must end, and must not wait for it.

- unknown-workload: `after:` names no workload (with "did you mean").
- after-cycle: workloads that wait for each other, directly or through others: none would ever start.
- after-interactive: a run waits for an interactive pod, which never "finishes" (it sleeps until its
  deadline, and its end is not a success).
- after-service: a run waits for a service, which runs until it is removed (issue 14).
- service-after: a service that waits: a Deployment starts when it is deployed (nothing suspends it).
"""
from __future__ import annotations

from ..errors import diag


def check(r, manifests) -> list:
    out = []
    by_name = {w.name: w for w in r.workloads}
    for w in r.workloads:
        if w.kind == "service" and w.spec.after:
            out.append(diag("service-after", w.loc + ("after",), f"service {w.name!r} cannot wait: it starts when it "
                            "is deployed", "remove `after`; to serve what a job writes, let the program wait for its "
                            "file, or add the service in a later merge", at_key=True))
            continue
        for i, name in enumerate(getattr(w.spec, "after", None) or ()):
            loc = w.loc + ("after", i)
            if name not in by_name:
                from difflib import get_close_matches  # only on this error: off a plain compile's path

                close = get_close_matches(name, list(by_name), 1)
                out.append(diag("unknown-workload", loc, f"after {name!r}, which is not a workload",
                                (f"did you mean {close[0]!r}? " if close else "") + f"workloads: {', '.join(by_name)}"))
            elif by_name[name].kind == "interactive":
                out.append(diag("after-interactive", loc, f"{name!r} is an interactive pod: it never finishes, so "
                                f"{w.name!r} would never start", "wait for a job or sweep instead"))
            elif by_name[name].kind == "service":
                out.append(diag("after-service", loc, f"{name!r} is a service: it runs until it is removed, so "
                                f"{w.name!r} would never start", "wait for a job or sweep instead; a service is "
                                "there once it is deployed"))
    for cycle in _cycles(by_name):
        first = by_name[cycle[0]]
        index = list(first.spec.after).index(cycle[1 % len(cycle)])
        out.append(diag("after-cycle", first.loc + ("after", index), "these workloads wait for each other: "
                        f"{' -> '.join(cycle + [cycle[0]])}; none would ever start", "remove one of the `after:` "
                        "entries"))
    return out


def _cycles(by_name: dict) -> list[list[str]]:
    """Each cycle once, starting at its first workload in declaration order."""
    order = list(by_name)
    found: list[list[str]] = []
    seen: set[frozenset] = set()

    def walk(name: str, path: list[str]) -> None:
        for nxt in getattr(by_name[name].spec, "after", None) or ():
            if nxt not in by_name:
                continue
            if nxt in path:
                cycle = path[path.index(nxt):]
                start = min(cycle, key=order.index)
                cycle = cycle[cycle.index(start):] + cycle[:cycle.index(start)]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    found.append(cycle)
            elif len(path) < len(order):
                walk(nxt, path + [nxt])
    for name in order:
        walk(name, [name])
    return found
