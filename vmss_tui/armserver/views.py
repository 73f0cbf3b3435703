"""Wire JSON built only for the page asked for, and reused while the backend's views are the same.

A list of 1000 VMs is served 100 at a time through `nextLink`. Converting every instance for every
page (then slicing) made a full walk cost ten full conversions. Here a page converts only its own
items, and a converted row is kept for as long as the backend hands back the very same view object
(the emulator reuses its views while the set's shard is unchanged and no step is due, and after a
change rebuilds only the views of the instances that changed). So walking all pages converts each
instance once, and a walk after a change to one instance converts that one instance.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Sequence

import orjson

DEFAULT_LISTS_KEPT = 8


class EncodedRow(dict):  # type: ignore[type-arg]
    """A wire row that keeps its own JSON bytes: the next page that shows it again is not re-encoded.

    Rows are never changed after conversion (a change makes a new view and so a new row).
    """

    __slots__ = ("_encoded",)

    def encoded(self) -> bytes:
        try:
            return self._encoded  # type: ignore[no-any-return]
        except AttributeError:
            self._encoded: bytes = orjson.dumps(dict(self))
            return self._encoded


class EncodedPage(list):  # type: ignore[type-arg]
    """A page of `EncodedRow`s that keeps its own JSON bytes: the rows' bytes joined once, so serving
    the same page again (or encoding it) costs one call, not one per row."""

    __slots__ = ("_encoded",)

    def encoded(self) -> bytes:
        try:
            return self._encoded  # type: ignore[no-any-return]
        except AttributeError:
            self._encoded: bytes = b"[" + b",".join(row.encoded() for row in self) + b"]"
            return self._encoded


def _encode_subclass(value: Any) -> Any:
    """orjson's `default` under OPT_PASSTHROUGH_SUBCLASS: a row's own bytes, any other subclass as its base."""
    if isinstance(value, EncodedRow):
        return orjson.Fragment(value.encoded())
    if isinstance(value, EncodedPage):
        return orjson.Fragment(value.encoded())
    for base in (str, int, float, dict, list):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(body: Any) -> bytes:
    """`body` as JSON bytes, reusing the bytes of every row already encoded once."""
    return orjson.dumps(body, default=_encode_subclass, option=orjson.OPT_PASSTHROUGH_SUBCLASS)


class LazyRows(Sequence[dict[str, Any]]):
    """A list of source items that become wire dicts only when read, each at most once.

    With `item_key`, each item has a key (unique; str or int), strictly ascending in list order when
    `ordered`: `paging.page` writes the last key served into the next page's token (see paging.py).
    """

    def __init__(self, items: Sequence[Any], convert: Callable[[Any], dict[str, Any]],
                 previous: LazyRows | None = None, item_key: Callable[[Any], Hashable] | None = None,
                 ordered: bool = False) -> None:
        self.items = tuple(items)
        self._convert = convert
        self._rows: list[dict[str, Any] | None] = [None] * len(self.items)
        self._pages: dict[tuple[int, int], EncodedPage] = {}
        self._keys: list[Hashable] | None = None
        self._item_key = item_key
        self.ordered = ordered and item_key is not None
        self._lock = threading.Lock()
        if previous is not None:  # rows of views that are the same objects as before stay valid
            with previous._lock:
                known = {id(item): row for item, row in zip(previous.items, previous._rows) if row is not None}
            if known:  # `previous` holds its items until here, so an equal id is the same object
                self._rows = [known.get(id(item)) for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self._page(*index.indices(len(self.items)))
        with self._lock:
            row = self._rows[index]
            if row is None:
                row = self._rows[index] = EncodedRow(self._convert(self.items[index]))
            return row

    def _page(self, start: int, stop: int, step: int) -> list[dict[str, Any]]:
        """The rows of a slice, under one lock; a plain forward slice is kept (with its bytes) for the next reader."""
        with self._lock:
            if step == 1:
                cached = self._pages.get((start, stop))
                if cached is not None:
                    return cached
            rows = self._rows
            for i in range(start, stop, step):
                if rows[i] is None:
                    rows[i] = EncodedRow(self._convert(self.items[i]))
            if step != 1:
                return [rows[i] for i in range(start, stop, step)]
            page = self._pages[(start, stop)] = EncodedPage(rows[start:stop])
            return page

    def key_at(self, index: int) -> Hashable | None:
        """The key of the item at `index` (None when the list has no keys)."""
        if self._item_key is None:
            return None
        if self._keys is not None:
            return self._keys[index]
        return self._item_key(self.items[index])

    def all_keys(self) -> Sequence[Hashable | None]:
        """Every item's key, in list order (computed once)."""
        if self._item_key is None:
            return [None] * len(self.items)
        if self._keys is None:
            self._keys = [self._item_key(item) for item in self.items]
        return self._keys


class RowCache:
    """LazyRows per list (key), reused while the items are the same objects in the same order."""

    def __init__(self, lists_kept: int = DEFAULT_LISTS_KEPT) -> None:
        self.lists_kept = max(1, lists_kept)
        self._lists: OrderedDict[Hashable, LazyRows] = OrderedDict()
        self._latest: dict[Hashable, Hashable] = {}
        self._lock = threading.Lock()

    def known_key(self, family: Hashable, items: Sequence[Any]) -> Hashable | None:
        """The key last used for `family` when its list shares a view object with `items`, else None.

        A view object is reused only for the same stored resource, so sharing one proves the list is
        the same resource's: what the key records about it (a set's location and mode, which never
        change) still holds, and the caller need not ask the backend again.
        """
        with self._lock:
            key = self._latest.get(family)
            cached = self._lists.get(key) if key is not None else None
        if cached is None:
            return None
        return key if any(a is b for a, b in zip(cached.items, items)) else None

    def rows(self, key: Hashable, items: Sequence[Any], convert: Callable[[Any], dict[str, Any]],
             family: Hashable | None = None, item_key: Callable[[Any], Hashable] | None = None,
             ordered: bool = False) -> LazyRows:
        """The lazily converted rows of `items`; `key` must name everything `convert` depends on.

        `family` names the list regardless of what the key records about it (see `known_key`);
        `item_key` and `ordered` as in `LazyRows` (the same for every list of one `key`).
        """
        with self._lock:
            if family is not None:
                self._latest[family] = key
            cached = self._lists.get(key)
            # Tuple equality checks identity first, in C: the same views are found at once; an equal
            # but rebuilt view (frozen, so it converts to the same row) may reuse the rows too.
            if cached is not None and cached.items == tuple(items):
                self._lists.move_to_end(key)
                return cached
        fresh = LazyRows(items, convert, previous=cached, item_key=item_key, ordered=ordered)
        with self._lock:
            self._lists[key] = fresh
            self._lists.move_to_end(key)
            while len(self._lists) > self.lists_kept:
                self._lists.popitem(last=False)
            for stale in [f for f, k in self._latest.items() if k not in self._lists]:
                del self._latest[stale]
        return fresh


class ChainedRows(Sequence[dict[str, Any]]):
    """Several row lists read as one (the VMs of many Flexible sets), converting only what is read.

    Keyed (unordered) by its parts' keys: `paging.page` finds the last item served by its key.
    """

    ordered = False

    def __init__(self, parts: Sequence[LazyRows]) -> None:
        self.parts = list(parts)

    def key_at(self, index: int) -> Hashable | None:
        for part in self.parts:
            if index < len(part):
                return part.key_at(index)
            index -= len(part)
        raise IndexError(index)

    def all_keys(self) -> Sequence[Hashable | None]:
        return [key for part in self.parts for key in part.all_keys()]

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
