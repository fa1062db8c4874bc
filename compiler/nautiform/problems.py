"""A problem with a run, explained: the record `status` prints, stores in the ledger and emits as JSON."""
from __future__ import annotations

from collections import namedtuple


class Problem(namedtuple("Problem", "code title detail setting hint top scheduler",
                         defaults=(None, "", None, ""))):
    """code: stable id for scripts (oom-killed, evicted, unschedulable ...); title: a few words for the
    table; detail: the plain explanation; setting: the path under `workloads.<name>` to change, or
    None; hint: what to do; top: a top-level path instead (("image",), ("volumes", "data"));
    scheduler: the scheduler's own message, kept for JSON."""

    __slots__ = ()

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "detail": self.detail, "hint": self.hint}
