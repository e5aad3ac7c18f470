"""A fair queue in front of the Slack app's workers (issue 22 §3): the work each Slack request starts (Bolt's lazy
listeners) waits in one queue per asker, and the workers take the queues in turn (round-robin), so a person who
pastes fifty errors at once delays the next person by one turn, not by fifty.

Bolt submits a request's lazy work from the thread that dispatches the request, after its middleware ran (Bolt's
`next()` only marks the chain as continued: the listeners run once every middleware returned). So the middleware
names the asker for the rest of the dispatch (`ask_as`, a context variable of that thread), and `submit` files the
work under that name.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger("s3why.slack")

P = ParamSpec("P")
T = TypeVar("T")

_ASKER: ContextVar[str] = ContextVar("s3why_asker", default="")


def ask_as(who: str) -> None:
    """Work this thread submits from now on (until it names another asker) is queued under `who`."""
    _ASKER.set(who)


@contextlib.contextmanager
def asking(who: str) -> Iterator[None]:
    """Work submitted inside this block is queued under `who` (a user id, else a channel id)."""
    token = _ASKER.set(who)
    try:
        yield
    finally:
        _ASKER.reset(token)


class FairExecutor(Executor):
    """`max_workers` threads taking one task from each asker's queue in turn."""

    def __init__(self, max_workers: int = 5, *, name: str = "s3why-worker") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._queues: dict[str, deque[tuple[Future[Any], Callable[[], Any]]]] = {}
        self._turns: deque[str] = deque()  # askers with work waiting, in the order they get their next turn
        self._cv = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(max_workers)
        ]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        who = _ASKER.get()
        with self._cv:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            queue = self._queues.get(who)
            if queue is None:
                queue = self._queues[who] = deque()
                self._turns.append(who)
            queue.append((future, lambda: fn(*args, **kwargs)))
            self._cv.notify()
        return future

    def waiting(self) -> dict[str, int]:
        """Tasks waiting, per asker."""
        with self._cv:
            return {who: len(q) for who, q in self._queues.items()}

    def _next(self) -> tuple[Future[Any], Callable[[], Any]] | None:
        with self._cv:
            while not self._turns and not self._closed:
                self._cv.wait()
            if not self._turns:
                return None
            who = self._turns.popleft()
            queue = self._queues[who]
            task = queue.popleft()
            if queue:
                self._turns.append(who)  # more from this asker: after everyone else's turn
            else:
                del self._queues[who]
            return task

    def _work(self) -> None:
        while (task := self._next()) is not None:
            future, call = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as exc:  # the caller's future carries it; the worker goes on
                future.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cv:
            self._closed = True
            if cancel_futures:
                for queue in self._queues.values():
                    for future, _ in queue:
                        future.cancel()
                self._queues.clear()
                self._turns.clear()
            self._cv.notify_all()
        if wait:
            for t in self._threads:
                if t is not threading.current_thread():
                    t.join()
