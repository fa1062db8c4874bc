"""Rule nrp-sleep: a Job must not sleep forever or end in `sleep`.

NRP bans users who run a Job with `sleep infinity` "or equivalent (script ending
with sleep)" (nrp-facts §1): an idle Job holds GPUs nobody uses. Following a file
for ever (`tail -f FILE`, `tail -F`, `tail --follow`) is the same idling. Use
`kind: interactive` for a pod to log into (when it fits the interactive caps). A setup step of a job or
sweep that sleeps is the same: the main container never starts, and the pod holds its GPUs meanwhile.
"""
from __future__ import annotations

import re

from ..errors import diag

_SHELLS = {"sh", "bash", "zsh", "dash", "ash"}
_IDLE = re.compile(r"^(sleep\b|tail\s+(\S+\s+)*(-[a-zA-Z]*[fF][a-zA-Z]*|--follow\S*)(\s|$)|"
                   r"while\s+(true|:)\s*;\s*do\s+sleep\b)")


def check(r, manifests) -> list:
    if not r.profile.rule("forbid_sleeping_jobs"):
        return []
    from .interactive import caps_exceeded  # the advice must not send the workload into another rule

    out = []
    for w in r.workloads:
        if w.kind != "interactive" and ends_idle(w.spec.command):
            hint = "end the command with the real work"
            if not caps_exceeded(r, w):
                hint += ", or use `kind: interactive` for a pod to log into"
            out.append(diag("nrp-sleep", w.loc + ("command",), f"this {w.kind}'s command ends by sleeping; "
                            f"{r.profile.name} bans namespaces whose Jobs sleep", hint))
        for s in w.setup if w.kind in ("job", "sweep") else ():
            if ends_idle(s.step.command):
                out.append(diag("nrp-sleep", s.loc + ("command",), f"setup step {s.step.name!r} ends by sleeping: "
                                f"the main container would never start, and {r.profile.name} bans namespaces whose "
                                "Jobs sleep", "end the step when its work is done", workload=w.name))
    return out


def ends_idle(argv: tuple[str, ...]) -> bool:
    if not argv:
        return False
    program = argv[0].rsplit("/", 1)[-1]
    if program in _SHELLS and len(argv) >= 3 and argv[1] in ("-c", "-lc", "-ec", "-euc"):
        return _last_statement_idles(argv[2])
    return bool(_IDLE.match(" ".join([program, *argv[1:]])))


def _last_statement_idles(script: str) -> bool:
    statements = [s.strip() for s in re.split(r";|&&|\|\||\n|&", script) if s.strip()]  # `a & tail -F` too
    statements = [s for s in statements if s not in ("done", "fi") and not s.startswith("#")]
    if not statements:
        return False
    if re.search(r"while\s+(true|:)\s*;?\s*do\s+sleep\b", script.replace("\n", ";")):
        return True
    return bool(_IDLE.match(statements[-1]))
