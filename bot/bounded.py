"""A mapping with a size: the in-process stores of a long-running s3why (boto3 clients, sessions, the memory
cache, watch's diagnosis memo) keep at most `max_size` entries, dropping the least recently used, so no stream of
distinct inputs (accounts, regions, buckets from pastes) can grow a process without bound (issue 22 §3)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruDict(Generic[K, V]):
    """A least-recently-used mapping of at most `max_size` entries. Not locked: its owners already hold a lock."""

    def __init__(self, max_size: int) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self._items: OrderedDict[K, V] = OrderedDict()
        self.evicted = 0

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def __setitem__(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.max_size:
            self._items.popitem(last=False)
            self.evicted += 1

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __getitem__(self, key: K) -> V:
        value = self._items[key]
        self._items.move_to_end(key)
        return value

    def __delitem__(self, key: K) -> None:
        del self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))

    def setdefault(self, key: K, default: V) -> V:
        if key in self._items:
            return self[key]
        self[key] = default
        return default
