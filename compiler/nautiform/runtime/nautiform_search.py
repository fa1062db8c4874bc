#!/usr/bin/env python3
"""nautiform search: an adaptive hyperparameter search (Optuna) with no server and no shared file.

One small CPU program OWNS the study: it asks Optuna for parameters, starts one Job per trial from a
template, keeps at most `parallel` of them running, reads each finished trial's result from its pod's
termination message, tells Optuna, and records every trial in one ConfigMap that it alone writes
(optimistic concurrency: a PUT with the resourceVersion it read; a 409 means another driver and this
one stops). Nothing else writes the study, so nothing needs a lock, a database or CephFS; a restarted
driver rebuilds the in-memory study from the record and carries on.

Interface (the builder writes the inputs; `nautiform status` reads the record):

  command   python3 nautiform_search.py --definition DIR [--namespace NS] [--owner-job NAME]
                    [--install DIR] [--interval S]    (in a pod: its ServiceAccount's token and namespace)
            python3 nautiform_search.py --definition DIR --local WORKDIR     (trials as local processes)
            nautiform_gate.py must sit beside this file (its API client is reused).
  DIR       the study definition ConfigMap mounted as files:
            study.json      {"name": STUDY (label value), "record": CONFIGMAP, "params": {NAME: {"choice":
                            [..]} | {"uniform": [lo, hi]} | {"loguniform": [lo, hi]} | {"randint": [lo, hi]}},
                            "sampler": "tpe"|"cmaes"|"random", "seed": INT, "metric": KEY,
                            "direction": "minimize"|"maximize", "trials": N, "parallel": P,
                            optional "deadline": SECONDS (wall time from the study's start),
                            "retries": 2 (a failed trial Job is run again this often, same parameters),
                            "max_failures": 5 (consecutive failed trials that stop the study),
                            "container": NAME (whose termination message holds the result; default first)}
            trial-job.json  a batch/v1 Job; metadata.name is the stem of trial Job names
  trials    Job `<stem>-<trial>-<attempt>`, labels nautiform.io/study=STUDY, nautiform.io/trial=N,
            nautiform.io/attempt=A (plus the template's, e.g. nautiform.io/project, nautiform.io/workload),
            annotation nautiform.io/params (JSON); every container gets the parameters as upper-cased
            env vars, SEARCH_TRIAL, and NAUTIFORM_RESULT_FILE=/dev/termination-log, and `{name}` in its
            command and args is replaced by the value (`{{`/`}}` are braces), as in a sweep.
  result    the trial writes one JSON object, e.g. {"val_loss": 0.12}, to $NAUTIFORM_RESULT_FILE; the
            kubelet copies that file (at most 4096 bytes) into the pod's status, so the driver needs no
            logs, volume or exec. Exit 0 without the metric: the trial failed (no retry).
  record    ConfigMap RECORD, data `study.json` (the header: columns, counts, best, state "running" |
            "done" | "stopped", reason) and `trials.jsonl` (one JSON array per trial, in the header's
            `columns` order: trial, state, value, attempts, preempted, [param values in `params` order],
            and reason when there is one); past 512 KiB gzipped instead, as binaryData `trials.jsonl.gz`.
            States: running, complete, failed, stopped (the deadline ended it). `decode()` reads it.

Preemption: a trial pod that is preempted (condition DisruptionTarget) is re-created by its own Job
(the template's podFailurePolicy Ignore), counted in `preempted`; a Job that fails otherwise is run
again up to `retries` times, then the trial is recorded failed. The seed of a restarted driver is
`seed + trials recorded`, so it never repeats earlier proposals.

Exit: 0 study done, 1 stopped (failures in a row, bad definition or result, another driver), 2 usage.
Standard library plus Optuna (pinned below; --install DIR pip-installs it there when it is missing).
"""
from __future__ import annotations

import argparse
import base64
import calendar
import copy
import gzip
import json
import math
import os
import subprocess
import sys
import time
from collections import namedtuple

PINS = ("optuna==5.0.0", "cmaes==0.13.1")
STUDY, TRIAL, ATTEMPT, PARAMS = "nautiform.io/study", "nautiform.io/trial", "nautiform.io/attempt", "nautiform.io/params"
JOB_NAME = "batch.kubernetes.io/job-name"
RESULT_PATH = "/dev/termination-log"
COLUMNS = ["trial", "state", "value", "attempts", "preempted", "params", "reason"]
FINAL = ("complete", "failed", "stopped")
PLAIN_LIMIT = 512 * 1024

# An ended trial Job as an executor sees it: ok (exit 0 / Complete), the result text, why it failed,
# how many of its pods were preempted.
Ended = namedtuple("Ended", "ok message reason preempted")


def log(msg: str) -> None:
    print(f"nautiform-search: {msg}", file=sys.stderr, flush=True)


class Stop(Exception):
    """The study cannot go on (exit 1)."""


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def parse_time(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


# ---- parameters and results ----------------------------------------------------------------------

def distributions(params: dict) -> dict:
    import optuna.distributions as d
    out = {}
    for name, spec in params.items():
        (kind, arg), = spec.items()
        out[name] = {"choice": lambda a: d.CategoricalDistribution(a),
                     "uniform": lambda a: d.FloatDistribution(a[0], a[1]),
                     "loguniform": lambda a: d.FloatDistribution(a[0], a[1], log=True),
                     "randint": lambda a: d.IntDistribution(a[0], a[1])}[kind](arg)
    return out


def rounded(dist, value):
    """A float parameter to 6 significant digits, as the random sweep draws them: what the trial runs
    with and what the record keeps (10,000 trials must fit a ConfigMap's 1 MiB). Choices stay as given."""
    return float(f"{value:.6g}") if type(dist).__name__ == "FloatDistribution" else value


def result_value(message: str, metric: str) -> tuple[float | None, str]:
    """(value, "") or (None, why). The message is one JSON object; or its last line is."""
    text = (message or "").strip()
    for candidate in (text, text.splitlines()[-1] if text else ""):
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(obj, dict):
            value = obj.get(metric)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                return float(value), ""
            return None, f"result has no finite number {metric!r}: {candidate[:200]}"
    return None, f"no JSON object with {metric!r} in the result ({text[:200]!r})"


def substitute(text: str, params: dict) -> str:
    out = text.replace("{{", "\0").replace("}}", "\1")
    for name, value in params.items():
        out = out.replace("{" + name + "}", str(value))
    return out.replace("\0", "{").replace("\1", "}")


def trial_env(n: int, params: dict, result_file: str) -> dict:
    env = {name.upper(): str(value) for name, value in params.items()}
    env.update(SEARCH_TRIAL=str(n), NAUTIFORM_RESULT_FILE=result_file)
    return env


# ---- executors: where trials run -----------------------------------------------------------------

class KubeExecutor:
    """Trials as Jobs in a namespace, through the API server (the pod's ServiceAccount token)."""

    def __init__(self, api, namespace: str, study: dict, template: dict, owner: dict | None = None):
        self.api, self.ns, self.study, self.template, self.owner = api, namespace, study, template, owner
        self.stem = template["metadata"]["name"]
        self.jobs = f"/apis/batch/v1/namespaces/{namespace}/jobs"

    def name(self, n: int, attempt: int) -> str:
        return f"{self.stem}-{n}-{attempt}"

    def launch(self, n: int, attempt: int, params: dict) -> str:
        job = copy.deepcopy(self.template)
        meta = job["metadata"]
        meta["name"] = self.name(n, attempt)
        meta["namespace"] = self.ns
        meta.setdefault("labels", {}).update({STUDY: self.study["name"], TRIAL: str(n), ATTEMPT: str(attempt)})
        meta.setdefault("annotations", {})[PARAMS] = json.dumps(params, sort_keys=True)
        if self.owner:  # pruning the driver's Job removes its trials (no blockOwnerDeletion: no extra RBAC)
            meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": self.owner["metadata"]["name"],
                                        "uid": self.owner["metadata"]["uid"]}]
        pod = job["spec"]["template"]
        pod.setdefault("metadata", {}).setdefault("labels", {}).update({STUDY: self.study["name"], TRIAL: str(n)})
        extra = trial_env(n, params, RESULT_PATH)
        for c in pod["spec"]["containers"]:
            c["env"] = [e for e in c.get("env", []) if e["name"] not in extra] + [
                {"name": k, "value": v} for k, v in sorted(extra.items())]
            for key in ("command", "args"):
                if key in c:
                    c[key] = [substitute(a, params) for a in c[key]]
        try:
            self.api.call("POST", self.jobs, job)
        except Exception as exc:  # already there: created before a restart
            if getattr(exc, "code", None) != 409:
                raise
        return meta["name"]

    def existing(self) -> dict:
        """{(trial, attempt): job name} of this study's Jobs (read once, at start)."""
        items = self.api.call("GET", f"{self.jobs}?labelSelector={STUDY}%3D{self.study['name']}")["items"]
        out = {}
        for j in items:
            labels = j["metadata"].get("labels") or {}
            out[(int(labels[TRIAL]), int(labels[ATTEMPT]))] = j["metadata"]["name"]
        return out

    def poll(self, names) -> dict:
        """{name: Ended} for the given Jobs that ended (or vanished); running ones are left out."""
        out = {}
        for name in names:
            job = self.api.call("GET", f"{self.jobs}/{name}")
            if job is None:
                out[name] = Ended(False, "", "the trial Job was deleted", 0)
                continue
            conds = {c["type"]: c for c in (job.get("status") or {}).get("conditions") or [] if c.get("status") == "True"}
            if "Complete" not in conds and "Failed" not in conds:
                continue
            pods = self.api.call("GET", f"/api/v1/namespaces/{self.ns}/pods?labelSelector={JOB_NAME}%3D{name}")["items"]
            preempted = sum(1 for p in pods if any(c.get("type") == "DisruptionTarget" and c.get("status") == "True"
                                                  for c in (p.get("status") or {}).get("conditions") or []))
            if "Complete" in conds:
                out[name] = Ended(True, self._message(pods), "", preempted)
            else:
                c = conds["Failed"]
                out[name] = Ended(False, "", f"{c.get('reason', 'Failed')}: {c.get('message', '')}"[:300], preempted)
        return out

    def _message(self, pods: list) -> str:
        want = self.study.get("container") or self.template["spec"]["template"]["spec"]["containers"][0]["name"]
        for p in pods:
            if (p.get("status") or {}).get("phase") != "Succeeded":
                continue
            for cs in p["status"].get("containerStatuses") or []:
                if cs.get("name") == want:
                    return ((cs.get("state") or {}).get("terminated") or {}).get("message") or ""
        return ""

    def stop(self, name: str) -> None:
        self.api.call("DELETE", f"{self.jobs}/{name}", {"propagationPolicy": "Background"})


class LocalExecutor:
    """Trials as local processes: the template's first container's command, in WORKDIR (for trying a
    study on a laptop, and for testing the driver with real Optuna without a cluster)."""

    def __init__(self, workdir: str, template: dict):
        self.workdir = os.path.abspath(workdir)
        self.container = template["spec"]["template"]["spec"]["containers"][0]
        self.stem = template["metadata"]["name"]
        self.procs: dict = {}

    def name(self, n: int, attempt: int) -> str:
        return f"{self.stem}-{n}-{attempt}"

    def launch(self, n: int, attempt: int, params: dict) -> str:
        name = self.name(n, attempt)
        result = os.path.join(self.workdir, f"{name}.result")
        argv = [substitute(a, params) for a in self.container.get("command", []) + self.container.get("args", [])]
        env = {**os.environ, **{e["name"]: e["value"] for e in self.container.get("env", []) if "value" in e},
               **trial_env(n, params, result)}
        with open(os.path.join(self.workdir, f"{name}.log"), "wb") as out:
            self.procs[name] = (subprocess.Popen(argv, cwd=self.workdir, env=env, stdout=out, stderr=subprocess.STDOUT), result)
        return name

    def existing(self) -> dict:
        return {}

    def poll(self, names) -> dict:
        out = {}
        for name in names:
            if name not in self.procs:
                out[name] = Ended(False, "", "not running (the driver restarted)", 0)
                continue
            proc, result = self.procs[name]
            if proc.poll() is None:
                continue
            del self.procs[name]
            if proc.returncode != 0:
                out[name] = Ended(False, "", f"exit code {proc.returncode}", 0)
                continue
            try:
                with open(result, encoding="utf-8") as fh:
                    out[name] = Ended(True, fh.read(4096), "", 0)  # the kubelet's limit, here too
            except OSError:
                out[name] = Ended(True, "", "", 0)
        return out

    def stop(self, name: str) -> None:
        proc, _ = self.procs.pop(name)
        proc.kill()
        proc.wait()


# ---- where the record lives ----------------------------------------------------------------------

class ConfigMapStore:
    def __init__(self, api, namespace: str, name: str, labels: dict):
        self.api, self.name, self.labels = api, name, labels
        self.path = f"/api/v1/namespaces/{namespace}/configmaps"
        self.obj: dict | None = None

    def load(self) -> dict | None:
        self.obj = self.api.call("GET", f"{self.path}/{self.name}")
        return {**(self.obj or {}).get("data", {}), **(self.obj or {}).get("binaryData", {})} or None

    def save(self, data: dict) -> None:
        text = {k: v for k, v in data.items() if not k.endswith(".gz")}
        binary = {k: v for k, v in data.items() if k.endswith(".gz")}
        if self.obj is None:
            body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": self.name, "labels": self.labels},
                    "data": text, "binaryData": binary}
            self.obj = self.api.call("POST", self.path, body)
            return
        self.obj.update(data=text, binaryData=binary)
        try:  # carries the resourceVersion read: a second writer gets 409
            self.obj = self.api.call("PUT", f"{self.path}/{self.name}", self.obj)
        except Exception as exc:
            if getattr(exc, "code", None) == 409:
                raise Stop(f"configmap/{self.name} was changed by someone else: another driver runs this study") from None
            raise


class FileStore:
    def __init__(self, path: str):
        self.path = path

    def load(self) -> dict | None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return None

    def save(self, data: dict) -> None:
        with open(self.path + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(self.path + ".tmp", self.path)


# ---- the study -----------------------------------------------------------------------------------

def load_optuna(install_dir: str | None):
    """Import Optuna; with --install DIR, pip-install the pinned versions into DIR first if missing
    (the driver runs in the profile's plain python image)."""
    try:
        import optuna
    except ImportError:
        if not install_dir:
            raise Stop(f"optuna is not installed; pip install {' '.join(PINS)}, or give --install DIR") from None
        log(f"installing {' '.join(PINS)} into {install_dir}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", install_dir, *PINS], check=True)
        sys.path.insert(0, install_dir)
        import optuna
    import warnings
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def sampler(optuna, kind: str, seed: int):
    if kind == "tpe":
        # multivariate: one model of all parameters together (it found better Branin minima than independent
        # TPE in the same budget); constant_liar: running trials count as bad, so none is proposed twice
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    if kind == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise Stop(f"unknown sampler {kind!r}: tpe, cmaes or random")


def encode(header: dict, rows: list, names: list) -> dict:
    """The record's ConfigMap data. Past PLAIN_LIMIT the trials are gzipped (key trials.jsonl.gz, base64
    as a ConfigMap's binaryData is in JSON): 10,000 trials of 8 parameters are ~1 MiB as text, ~0.33 MiB
    gzipped, and a ConfigMap holds 1 MiB."""
    lines = "".join(json.dumps([r["n"], r["state"], r["value"], r["attempts"], r["preempted"],
                                [r["params"][k] for k in names]] + ([r["reason"]] if r["reason"] else []),
                               separators=(",", ":")) + "\n" for r in rows)
    out = {"study.json": json.dumps(header, indent=1, sort_keys=True) + "\n"}
    if len(lines) <= PLAIN_LIMIT:
        out["trials.jsonl"] = lines
    else:
        out["trials.jsonl.gz"] = base64.b64encode(gzip.compress(lines.encode(), 6, mtime=0)).decode()
    return out


def decode(data: dict) -> tuple[dict, list]:
    header = json.loads(data["study.json"])
    names = header["params"]
    text = data.get("trials.jsonl", "")
    if "trials.jsonl.gz" in data:
        text = gzip.decompress(base64.b64decode(data["trials.jsonl.gz"])).decode()
    rows = []
    for line in text.splitlines():
        n, state, value, attempts, preempted, values, *reason = json.loads(line)
        rows.append({"n": n, "state": state, "value": value, "attempts": attempts, "preempted": preempted,
                     "params": dict(zip(names, values)), "reason": reason[0] if reason else ""})
    return header, rows


class Driver:
    def __init__(self, optuna, study: dict, executor, store, clock=time.time):
        self.optuna, self.def_, self.ex, self.store, self.clock = optuna, study, executor, store, clock
        self.names = list(study["params"])
        self.dists = distributions(study["params"])
        self.rows: list = []
        self.running: dict = {}   # job name -> trial number
        self.live: dict = {}      # trial number -> Optuna trial being run
        self.in_a_row = 0         # failed trials since the last complete one

    # -- start, or start again from the record
    def restore(self) -> None:
        data = self.store.load()
        if data:
            self.header, self.rows = decode(data)
            if self.header.get("study") != self.def_["name"] or self.header.get("params") != self.names:
                raise Stop(f"the record {self.def_['record']} belongs to study {self.header.get('study')!r}, "
                           f"not {self.def_['name']!r}; a changed study needs a new record")
        else:
            start = self.clock()
            deadline = self.def_.get("deadline")
            self.header = {"version": 1, "study": self.def_["name"], "params": self.names, "columns": COLUMNS,
                           "metric": self.def_["metric"], "direction": self.def_["direction"],
                           "sampler": self.def_["sampler"], "trials": self.def_["trials"],
                           "parallel": self.def_["parallel"], "job_stem": self.ex.stem,
                           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
                           "deadline_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + deadline))
                           if deadline else None}
        seed = self.def_.get("seed", 0) + len(self.rows)
        self.study = self.optuna.create_study(direction=self.def_["direction"],
                                              sampler=sampler(self.optuna, self.def_["sampler"], seed))
        states = self.optuna.trial.TrialState
        done = [self.optuna.trial.create_trial(
                    state=states.COMPLETE if r["state"] == "complete" else states.FAIL,
                    value=r["value"] if r["state"] == "complete" else None,
                    params=r["params"], distributions=self.dists) for r in self.rows if r["state"] in FINAL]
        self.study.add_trials(done)
        for r in self.rows:
            if r["state"] == "complete":
                self.in_a_row = 0
            elif r["state"] == "failed":
                self.in_a_row += 1
        existing = self.ex.existing()
        for r in self.rows:
            if r["state"] == "running":
                self.study.enqueue_trial(r["params"])
                self.live[r["n"]] = self.study.ask(self.dists)
                name = existing.get((r["n"], r["attempts"])) or self.ex.launch(r["n"], r["attempts"], r["params"])
                self.running[name] = r["n"]
        log(f"study {self.def_['name']}: {len(done)} trials finished, {len(self.running)} running")

    # -- one pass
    def step(self) -> bool:
        """Collect ended trials, stop at the deadline, start new ones; True while the study goes on."""
        changed = False
        for name, ended in sorted(self.ex.poll(list(self.running)).items()):
            self.ended(self.running.pop(name), ended)
            changed = True
        late = bool(self.header.get("deadline_at")) and self.clock() >= parse_time(self.header["deadline_at"])
        if late and self.running:
            for name, n in sorted(self.running.items()):
                self.ex.stop(name)
                self.close(n, "stopped", None, "the study's deadline passed")
            self.running.clear()
            changed = True
        new: list[int] = []
        while not late and not self.failing() and len(self.running) + len(new) < self.def_["parallel"] \
                and len(self.rows) < self.def_["trials"]:
            new.append(self.propose())
        if changed or new:
            self.save()
        for n in new:
            self.running[self.ex.launch(n, 1, self.rows[n]["params"])] = n
        going = bool(self.running) or (not late and not self.failing() and len(self.rows) < self.def_["trials"])
        if not going:
            self.finish(late)
        return going

    def rounded(self, name: str, value):
        return rounded(self.dists[name], value)

    def failing(self) -> bool:
        return self.in_a_row >= self.def_.get("max_failures", 5)

    def propose(self) -> int:
        trial = self.study.ask(self.dists)
        n = len(self.rows)
        self.live[n] = trial
        self.rows.append({"n": n, "state": "running", "value": None, "attempts": 1, "preempted": 0,
                          "params": {k: self.rounded(k, trial.params[k]) for k in self.names}, "reason": ""})
        return n

    def ended(self, n: int, ended: Ended) -> None:
        row = self.rows[n]
        row["preempted"] += ended.preempted
        if ended.ok:
            value, why = result_value(ended.message, self.def_["metric"])
            if value is not None:
                return self.close(n, "complete", value, "")
            return self.close(n, "failed", None, why)
        if row["attempts"] <= self.def_.get("retries", 2):
            row["attempts"] += 1
            log(f"trial {n} failed ({ended.reason}); attempt {row['attempts']}")
            self.save()  # the new attempt is recorded before its Job exists
            self.running[self.ex.launch(n, row["attempts"], row["params"])] = n
            return None
        return self.close(n, "failed", None, ended.reason)

    def close(self, n: int, state: str, value, reason: str) -> None:
        row = self.rows[n]
        row.update(state=state, value=value, reason=reason)
        states = self.optuna.trial.TrialState
        self.study.tell(self.live.pop(n), value if state == "complete" else None,
                        state=states.COMPLETE if state == "complete" else states.FAIL)
        self.in_a_row = 0 if state == "complete" else self.in_a_row + (state == "failed")
        log(f"trial {n} {state}" + (f": {self.def_['metric']}={value}" if value is not None else f" ({reason})"))

    def finish(self, late: bool) -> None:
        if self.failing():
            self.header.update(state="stopped", reason=f"{self.in_a_row} trials failed in a row")
        elif late and len(self.rows) < self.def_["trials"]:
            self.header.update(state="stopped", reason="the study's deadline passed")
        else:
            self.header.update(state="done", reason="")
        self.save()

    def save(self) -> None:
        counts = {s: 0 for s in ("running",) + FINAL}
        for r in self.rows:
            counts[r["state"]] += 1
        done = [r for r in self.rows if r["state"] == "complete"]
        pick = min if self.def_["direction"] == "minimize" else max
        best = pick(done, key=lambda r: r["value"]) if done else None
        self.header.update(counts=counts, updated=now(), state=self.header.get("state") or "running",
                           best={"trial": best["n"], "value": best["value"], "params": best["params"]} if best else None)
        self.store.save(encode(self.header, self.rows, self.names))


def step(driver) -> bool:
    """One pass; a passing API or network failure is logged and the pass is tried again later."""
    try:
        return driver.step()
    except OSError as exc:  # urllib's URLError included
        log(f"{exc}; trying again")
    except Exception as exc:
        code = getattr(exc, "code", None)  # the gate client's ApiError
        if not isinstance(code, int):
            raise
        if code != 429 and code < 500:  # refused (403: the Role lacks a verb; 422: a bad template)
            raise Stop(str(exc)) from None
        log(f"{exc}; trying again")
    return True


def kube_parts(args, study: dict, template: dict):
    try:
        from nautiform_gate import api_from  # shipped beside this file
    except ImportError:
        from nautiform.runtime.nautiform_gate import api_from
    api = api_from(args)
    owner = api.call("GET", f"/apis/batch/v1/namespaces/{args.namespace}/jobs/{args.owner_job}") if args.owner_job else None
    labels = {k: v for k, v in (template["metadata"].get("labels") or {}).items() if k.startswith("nautiform.io/")}
    return (KubeExecutor(api, args.namespace, study, template, owner),
            ConfigMapStore(api, args.namespace, study["record"], {**labels, STUDY: study["name"]}))


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nautiform_search.py")
    ap.add_argument("--definition", required=True, help="folder with study.json and trial-job.json")
    ap.add_argument("--namespace")
    ap.add_argument("--local", metavar="WORKDIR", help="run trials as local processes; the record is WORKDIR/record.json")
    ap.add_argument("--owner-job", help="the driver's own Job: trial Jobs are owned by it")
    ap.add_argument("--install", metavar="DIR", help="pip-install the pinned Optuna into DIR if it is missing")
    ap.add_argument("--interval", type=float)
    ap.add_argument("--server")
    ap.add_argument("--token-file")
    ap.add_argument("--ca-file")
    args = ap.parse_args(argv)
    if not args.local and not args.namespace:
        try:  # in a pod: the ServiceAccount's own namespace
            with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace", encoding="utf-8") as fh:
                args.namespace = fh.read().strip()
        except OSError:
            ap.error("give --namespace (outside a pod) or --local WORKDIR")
    try:
        with open(os.path.join(args.definition, "study.json"), encoding="utf-8") as fh:
            study = json.load(fh)
        with open(os.path.join(args.definition, "trial-job.json"), encoding="utf-8") as fh:
            template = json.load(fh)
        optuna = load_optuna(args.install)
        if args.local:
            executor, store = LocalExecutor(args.local, template), FileStore(os.path.join(args.local, "record.json"))
        else:
            executor, store = kube_parts(args, study, template)
        driver = Driver(optuna, study, executor, store)
        driver.restore()
        interval = args.interval if args.interval is not None else (0.2 if args.local else 10.0)
        while step(driver):
            time.sleep(interval)
    except Stop as exc:
        log(str(exc))
        return 1
    log(f"study {study['name']} {driver.header['state']}: {driver.header['counts']}, best {driver.header['best']}")
    return 0 if driver.header["state"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
