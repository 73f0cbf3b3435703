"""A bounded cache of parsed shards: least recently used first out, by count and by file bytes.

A parsed 1000-instance shard holds about 4x its file size in Python objects (a 0.6 MB file is
about 2.3 MB), so a TUI or an ARM endpoint that reads every set of a large estate must not keep
them all. The store revalidates every hit by file signature, so an evicted shard is only a
re-read, never a wrong answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

DEFAULT_MAX_SHARDS = 64
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
"""File bytes kept parsed: about six 1000-instance shards (~15 MB of Python objects)."""


def _weight(shard: Any) -> int:
    """The file size a cached shard stands for (0 for a shard with no file)."""
    signature = getattr(shard, "signature", None)
    return signature[2] if signature else 0


class ShardCache:
    """A dict-like LRU (`get`, `[key] = value`, `pop`) bounded by entry count and total file bytes.

    The most recently stored or read shard always stays, even when it alone is over the byte bound:
    the caller is about to use it.
    """

    def __init__(self, max_shards: int = DEFAULT_MAX_SHARDS, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_shards = max(1, max_shards)
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                return default
            self._entries.move_to_end(key)
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= _weight(old)
            self._entries[key] = value
            self._bytes += _weight(value)
            while len(self._entries) > 1 and (len(self._entries) > self.max_shards or self._bytes > self.max_bytes):
                _key, evicted = self._entries.popitem(last=False)
                self._bytes -= _weight(evicted)

    def pop(self, key: str, default: Any = None) -> Any:
        with self._lock:
            value = self._entries.pop(key, None)
            if value is None:
                return default
            self._bytes -= _weight(value)
            return value

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def bytes(self) -> int:
        """File bytes of the shards held now."""
        with self._lock:
            return self._bytes
