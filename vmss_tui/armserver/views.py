"""Wire JSON built only for the page asked for, and reused while the backend's views are the same.

A list of 1000 VMs is served 100 at a time through `nextLink`. Converting every instance for every
page (then slicing) made a full walk cost ten full conversions. Here a page converts only its own
items, and the converted rows of a set are kept while the backend hands back the very same view
objects (the emulator reuses its views while the set's shard is unchanged and no step is due),
so walking all pages converts each instance once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Sequence

DEFAULT_LISTS_KEPT = 8


class LazyRows(Sequence[dict[str, Any]]):
    """A list of source items that become wire dicts only when read, each at most once."""

    def __init__(self, items: Sequence[Any], convert: Callable[[Any], dict[str, Any]]) -> None:
        self.items = tuple(items)
        self._convert = convert
        self._rows: list[dict[str, Any] | None] = [None] * len(self.items)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.items)))]
        with self._lock:
            row = self._rows[index]
            if row is None:
                row = self._rows[index] = self._convert(self.items[index])
            return row


class RowCache:
    """LazyRows per list (key), reused while the items are the same objects in the same order."""

    def __init__(self, lists_kept: int = DEFAULT_LISTS_KEPT) -> None:
        self.lists_kept = max(1, lists_kept)
        self._lists: OrderedDict[Hashable, LazyRows] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, key: Hashable, items: Sequence[Any], convert: Callable[[Any], dict[str, Any]]) -> LazyRows:
        """The lazily converted rows of `items`; `key` must name everything `convert` depends on."""
        with self._lock:
            cached = self._lists.get(key)
            if cached is not None and len(cached.items) == len(items) and all(
                    a is b for a, b in zip(cached.items, items)):
                self._lists.move_to_end(key)
                return cached
        fresh = LazyRows(items, convert)
        with self._lock:
            self._lists[key] = fresh
            self._lists.move_to_end(key)
            while len(self._lists) > self.lists_kept:
                self._lists.popitem(last=False)
        return fresh


class ChainedRows(Sequence[dict[str, Any]]):
    """Several row lists read as one (the VMs of many Flexible sets), converting only what is read."""

    def __init__(self, parts: Sequence[Sequence[dict[str, Any]]]) -> None:
        self.parts = list(parts)

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        for part in self.parts:
            if index < len(part):
                return part[index]
            index -= len(part)
        raise IndexError(index)
