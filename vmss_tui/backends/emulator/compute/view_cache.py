"""Instance views of recently read sets, reused whole while a set is unchanged and per instance after a change.

Building the 1000 `Instance` views of a large set takes tens of milliseconds, and a TUI refresh,
an ARM endpoint walking pages of 100, or `get_instance` asks for the same set again and again.
- Whole: views computed at time t stay right until the shard changes (the store hands out a new
  parsed object whenever the file's bytes change, so identity of the parsed tables is the version)
  or until the first instance transition starts or finishes after t.
- Per instance: after a change (a stop of five instances, a protection flip), each instance's view
  is reused when what it is built from is unchanged (compute/views.instance_views), so a refresh
  right after a change rebuilds only the instances that changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ....domain.models import Instance
from .views import ViewMemo, instance_views, set_fingerprint

DEFAULT_SETS_KEPT = 4


@dataclass
class _Entry:
    tables: dict[str, dict[str, Any]]
    subscription_id: str
    fingerprint: tuple[Any, ...]
    computed_at: float
    valid_until: float
    views: tuple[Instance, ...]
    memo: ViewMemo


class InstanceViewCache:
    """A small LRU of per-set instance views, keyed by store key."""

    def __init__(self, sets_kept: int = DEFAULT_SETS_KEPT) -> None:
        self.sets_kept = max(1, sets_kept)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def views(self, key: str, tables: dict[str, dict[str, Any]], now: float,
              subscription_id: str) -> tuple[Instance, ...]:
        """The set's instance views at `now`, from `tables` (the shard's parsed tables, read only)."""
        set_doc = next(iter(tables["scale_set"].values()))
        fingerprint = set_fingerprint(set_doc, subscription_id)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                if (entry.tables is tables and entry.subscription_id == subscription_id
                        and entry.computed_at <= now < entry.valid_until):
                    return entry.views
        memo = entry.memo if entry is not None and entry.fingerprint == fingerprint else None
        built, fresh, valid_until = instance_views(set_doc, tables.get("instances", {}).values(), now,
                                                   subscription_id, memo)
        frozen = tuple(built)
        with self._lock:
            self._entries[key] = _Entry(tables, subscription_id, fingerprint, now, valid_until, frozen, fresh)
            self._entries.move_to_end(key)
            while len(self._entries) > self.sets_kept:
                self._entries.popitem(last=False)
        return frozen
