"""Prometheus metrics for `s3why serve` (`GET /metrics`, text exposition format 0.0.4), without a dependency.

Counters only, labelled, thread-safe; the cache's hit and miss totals are read from the cache when scraped.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

_HELP = {
    "s3why_diagnoses_total": "Diagnoses made, by decision.",
    "s3why_root_causes_total": "Root causes named, by layer.",
    "s3why_aws_calls_total": "AWS calls made (cache misses), by service and operation.",
    "s3why_aws_errors_total": "AWS calls that failed, by error code.",
    "s3why_approvals_total": "Approval-flow steps, by action (approved, applied, refused, failed, rolled-back, ...).",
    "s3why_slack_events_total": "Slack requests handled, by kind.",
}


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
        self._gauges: dict[str, Callable[[], float]] = {}

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters[name]
            series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        """A value computed when scraped (e.g. the cache's hit ratio)."""
        self._gauges[name] = read

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            counters = {name: dict(series) for name, series in self._counters.items()}
        for name in sorted(set(counters) | set(_HELP)):
            lines.append(f"# HELP {name} {_HELP.get(name, name)}")
            lines.append(f"# TYPE {name} counter")
            for labels, value in sorted(counters.get(name, {}).items()):
                lines.append(f"{name}{_labels(labels)} {_num(value)}")
        for name, read in sorted(self._gauges.items()):
            try:
                value = float(read())
            except Exception:  # a broken reader must not break the scrape
                continue
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {_num(value)}")
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


METRICS = Metrics()  # the process's registry
