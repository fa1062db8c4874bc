"""GPU use per pod from Prometheus (DCGM exporter), when it can be read.

NRP counts a GPU pod whose average `DCGM_FI_DEV_GPU_UTIL` stays under 40% as a violation, and more
than 4 violating pods lock a user out of new Jobs (../shared/nrp-facts.md sections 1 and 9). NRP's
public Prometheus (https://prometheus.nrp-nautilus.io) carries that series without login. Reading
it is off unless asked for (`--prometheus URL` or NAUTIFORM_PROMETHEUS_URL): without it, nautiform
says GPU use was not checked, and never guesses.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_URL = "https://prometheus.nrp-nautilus.io"
ENV = "NAUTIFORM_PROMETHEUS_URL"
WINDOW = "1h"
TIMEOUT = 20


class MetricsError(Exception):
    pass


def url_from(option: str | None) -> str | None:
    if option is not None:
        return option or os.environ.get(ENV) or DEFAULT_URL
    return os.environ.get(ENV) or None


def query(namespace: str) -> str:
    return f'avg by (pod) (avg_over_time(DCGM_FI_DEV_GPU_UTIL{{namespace="{namespace}"}}[{WINDOW}]))'


def gpu_use(url: str, namespace: str) -> dict[str, float]:
    """Pod name -> average GPU use in percent over the last WINDOW (pods without samples are absent)."""
    target = f"{url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": query(namespace)})
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT) as response:
            body = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise MetricsError(f"Prometheus at {url} did not answer: {getattr(exc, 'reason', None) or exc}") from None
    if not isinstance(body, dict) or body.get("status") != "success":
        raise MetricsError(f"Prometheus at {url} refused the query: {(body or {}).get('error', body)}")
    out = {}
    for item in (body.get("data") or {}).get("result") or []:
        pod = (item.get("metric") or {}).get("pod")
        try:
            out[pod] = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return {p: v for p, v in out.items() if p}
