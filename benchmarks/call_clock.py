"""Rounds of AWS calls counted on a logical clock, the same on any machine under any load.

Each thread carries a logical time. An AWS call (botocore's `before-send`) takes one tick of the calling thread's
time; a task submitted to the pool starts at its submitter's time; taking a future's result moves the waiting
thread to the time its task finished, if later. The largest time any call reaches is the depth of the chain of
calls each of which needed another's answer: the number of sequential rounds the collection costs with unbounded
workers, computed from the program's own order of waits, never from seconds.

A wait that the clock does not see (a lock another thread holds while it calls AWS, such as a single-flight
cache) is not counted: the count is a lower bound for such code, and exact for the collector, whose waits are
futures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tick:
    """One AWS call: the logical time it started at and ended at (`end` = `start` + 1)."""

    start: int
    end: int
    service: str
    operation: str


class CallClock:
    """The logical clock of one collection: `executor` for the collector's pool, `client_hook` for its clients."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.ticks: list[Tick] = []

    # --- time of the current thread ---------------------------------------------------------------------
    def now(self) -> int:
        return int(getattr(self._local, "time", 0))

    def _set(self, value: int) -> None:
        self._local.time = value

    def reset(self) -> None:
        """A new measurement from time 0, on the calling thread."""
        with self._lock:
            self.ticks.clear()
        self._set(0)

    @property
    def rounds(self) -> int:
        return max((t.end for t in self.ticks), default=0)

    def rounds_of(self) -> list[list[str]]:
        """The calls grouped by the round they ran in (round 1 first), as `service:Operation`."""
        out: list[list[str]] = [[] for _ in range(self.rounds)]
        for t in self.ticks:
            out[t.end - 1].append(f"{t.service}:{t.operation}")
        return [sorted(r) for r in out]

    # --- the hooks ------------------------------------------------------------------------------------------
    def client_hook(self, client: Any) -> None:
        """For `SessionProvider(client_hook=...)`: every request a client sends is one tick of its thread."""
        client.meta.events.register("before-send.*.*", self._on_send)

    def _on_send(self, event_name: str = "", **_: Any) -> None:
        parts = event_name.split(".")
        start = self.now()
        self._set(start + 1)
        with self._lock:
            self.ticks.append(Tick(start, start + 1, parts[1] if len(parts) > 1 else "?", parts[-1]))
        # returns nothing: botocore would take any value as the HTTP response

    def executor(self, workers: int) -> ThreadPoolExecutor:
        """For `Collector(executor=...)`: a pool whose tasks and futures carry the logical time."""
        return _ClockedPool(self, workers)


class _ClockedFuture(Future[T]):
    """A future that moves the thread taking its result to the logical time its task finished."""

    def __init__(self, clock: CallClock) -> None:
        super().__init__()
        self.clock = clock
        self.finished_at = 0

    def result(self, timeout: float | None = None) -> T:
        try:
            return super().result(timeout)
        finally:  # an answer that is an exception was waited for too
            if self.done() and self.finished_at > self.clock.now():
                self.clock._set(self.finished_at)


class _ClockedPool(ThreadPoolExecutor):
    def __init__(self, clock: CallClock, workers: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="clocked-collect")
        self.clock = clock

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        out: _ClockedFuture[T] = _ClockedFuture(self.clock)
        begins = self.clock.now()

        def run() -> None:
            self.clock._set(begins)
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the waiter, as ThreadPoolExecutor does
                out.finished_at = self.clock.now()
                out.set_exception(exc)
                return
            out.finished_at = self.clock.now()
            out.set_result(value)

        super().submit(run)
        return out
