"""Instance views reused while a set's shard is unchanged and no step of it is due.

Building the 1000 `Instance` views of a large set takes tens of milliseconds, and a TUI refresh,
an ARM endpoint walking pages of 100, or `get_instance` asks for the same set again and again.
Views computed at time t stay right until the shard changes (the store hands out a new parsed
object whenever the file's bytes change, so identity of the parsed tables is the version) or
until the first instance transition starts or finishes after t.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ...domain.models import Instance

DEFAULT_SETS_KEPT = 4


@dataclass
class _Entry:
    tables: dict[str, dict[str, Any]]
    subscription_id: str
    computed_at: float
    valid_until: float
    views: tuple[Instance, ...]


def next_change(tables: dict[str, dict[str, Any]], now: float) -> float:
    """The first time after `now` at which any instance's state moves (inf when none is pending)."""
    due = math.inf
    for doc in tables.get("instances", {}).values():
        tr = doc.get("tr")
        if tr:
            for moment in (tr["start"], tr["until"]):
                if now < moment < due:
                    due = moment
    return due


class InstanceViewCache:
    """A small LRU of per-set instance views, keyed by store key."""

    def __init__(self, sets_kept: int = DEFAULT_SETS_KEPT) -> None:
        self.sets_kept = max(1, sets_kept)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, tables: dict[str, dict[str, Any]], now: float,
            subscription_id: str) -> tuple[Instance, ...] | None:
        """The cached views if they were built from these very tables and nothing is due since."""
        with self._lock:
            entry = self._entries.get(key)
            if (entry is None or entry.tables is not tables or entry.subscription_id != subscription_id
                    or not entry.computed_at <= now < entry.valid_until):
                return None
            self._entries.move_to_end(key)
            return entry.views

    def put(self, key: str, tables: dict[str, dict[str, Any]], now: float, subscription_id: str,
            views: list[Instance]) -> tuple[Instance, ...]:
        """Remember views built at `now` from `tables`; returns them as a tuple."""
        frozen = tuple(views)
        entry = _Entry(tables, subscription_id, now, next_change(tables, now), frozen)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.sets_kept:
                self._entries.popitem(last=False)
        return frozen
