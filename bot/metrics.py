"""Prometheus metrics for `s3why serve` (`GET /metrics`), through prometheus-client.

Counters by label (diagnoses, root causes, AWS calls and errors, approvals, Slack requests), latency histograms
(the ack of a Slack request, the whole answer, each AWS call by service and operation), and gauges read when
scraped (the cache's hit ratio). One registry per `Metrics` (the process's is `METRICS`), so tests can make their
own; the exposition format is the library's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# name -> (help, label names). Every counter is declared here, so each is described even at zero.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "s3why_diagnoses_total": ("Diagnoses made, by decision.", ("decision",)),
    "s3why_root_causes_total": ("Root causes named, by layer.", ("layer",)),
    "s3why_aws_calls_total": ("AWS calls made (cache misses), by service and operation.", ("operation", "service")),
    "s3why_aws_errors_total": ("AWS calls that failed, by error code.", ("code",)),
    "s3why_approvals_total": (
        "Approval-flow steps, by action (approved, applied, refused, failed, rolled-back, ...).",
        ("action",),
    ),
    "s3why_slack_events_total": ("Slack requests handled, by kind.", ("kind",)),
}
# Seconds. Slack wants an ack within 3 s; an answer takes from milliseconds (warm) to seconds (cold, cross-account).
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SLOW = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
HISTOGRAMS: dict[str, tuple[str, tuple[str, ...], tuple[float, ...]]] = {
    "s3why_slack_ack_seconds": ("Time to acknowledge a Slack request (Slack allows 3 s).", (), _FAST),
    "s3why_answer_seconds": ("Time from a request to its answer posted in Slack.", (), _SLOW),
    "s3why_aws_call_seconds": ("AWS call latency (retries included), by service and operation.",
                               ("operation", "service"), (*_FAST, 10.0)),
}  # fmt: skip


class _Gauges(Collector):
    """Gauges computed when scraped; one that fails to compute is left out of that scrape."""

    def __init__(self) -> None:
        self.readers: dict[str, Callable[[], float]] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, read in sorted(self.readers.items()):
            try:
                value = float(read())
            except Exception:  # a broken reader must not break the scrape
                continue
            yield GaugeMetricFamily(name, name.replace("_", " "), value=value)


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside each counter
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._counters = {
            name: Counter(name.removesuffix("_total"), doc, labels, registry=self.registry)
            for name, (doc, labels) in COUNTERS.items()
        }
        self._histograms = {
            name: Histogram(name, doc, labels, buckets=buckets, registry=self.registry)
            for name, (doc, labels, buckets) in HISTOGRAMS.items()
        }
        self._gauges = _Gauges()
        self.registry.register(self._gauges)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add to a counter declared in COUNTERS, or to an undeclared one (created on first use, described by its
        name, with the labels of that first use)."""
        counter = self._counters.get(name)
        if counter is None:
            with self._lock:
                counter = self._counters.get(name)
                if counter is None:
                    names = tuple(sorted(labels))
                    counter = Counter(name.removesuffix("_total"), name, names, registry=self.registry)
                    self._counters[name] = counter
        (counter.labels(**labels) if labels else counter).inc(amount)

    def value(self, name: str, **labels: str) -> float:
        """A counter's current value (0 when that series has not been counted)."""
        found = self.registry.get_sample_value(name, labels)
        return float(found or 0.0)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """One latency, in seconds, into a histogram declared in HISTOGRAMS."""
        histogram = self._histograms[name]
        (histogram.labels(**labels) if labels else histogram).observe(max(0.0, seconds))

    @contextmanager
    def timer(self, name: str, **labels: str) -> Iterator[None]:
        """Observe how long the `with` block took (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe(name, time.perf_counter() - started, **labels)

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        """A value computed when scraped (e.g. the cache's hit ratio)."""
        self._gauges.readers[name] = read

    def render(self) -> str:
        """The exposition (text format 0.0.4)."""
        return generate_latest(self.registry).decode()


METRICS = Metrics()  # the process's registry


def time_aws_calls(client: Any, service: str, metrics: Metrics | None = None) -> None:
    """Observe each API call a boto3 client makes into `s3why_aws_call_seconds{service, operation}`: from
    botocore's before-call to after-call (or after-call-error), retries included."""
    m = metrics or METRICS

    def before(context: dict[str, Any], **_: Any) -> None:
        context["s3why_started"] = time.perf_counter()

    def after(context: dict[str, Any], event_name: str = "", **_: Any) -> None:
        started = context.get("s3why_started")  # the request's own context: a new dict for every call
        if started is not None:  # the event is after-call[-error].<service id>.<operation>
            operation = event_name.rsplit(".", 1)[-1]
            m.observe("s3why_aws_call_seconds", time.perf_counter() - started, service=service, operation=operation)

    client.meta.events.register("before-call", before)
    client.meta.events.register("after-call", after)
    client.meta.events.register("after-call-error", after)
