"""Backend names for completion (sets, groups, instance ids), fetched in background threads.

Each list is fetched off the caller's thread and kept for a short TTL, and a caller waits at most
`wait_seconds` for a fetch, so typing never blocks on a slow backend. It needs only the session's
backend, so the `Session` can own one without importing the completer (and the command table) above it.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .session import Session


class CompletionCache:
    """Backend lists for completion, refreshed in background threads and kept `ttl` seconds.

    Args:
        session: Whose backend to ask.
        ttl: Seconds a fetched list counts as fresh.
        wait_seconds: How long `get` waits for a fetch before answering with what it has.
    """

    def __init__(self, session: Session, ttl: float = 10.0, wait_seconds: float = 0.4) -> None:
        self.session = session
        self.ttl = ttl
        self.wait_seconds = wait_seconds
        self._values: dict[str, tuple[float, Any]] = {}
        self._pending: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Mark every list stale (after a command changed something); old values stay as fallback."""
        with self._lock:
            self._values = {key: (0.0, value) for key, (_, value) in self._values.items()}

    def get(self, key: str, loader: Callable[[], Any], default: Any) -> Any:
        """The cached value of `key`, refreshing it in the background when stale."""
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(key)
            if cached is not None and now - cached[0] < self.ttl:
                return cached[1]
            event = self._pending.get(key)
            if event is None:
                event = threading.Event()
                self._pending[key] = event
                threading.Thread(target=self._fetch, args=(key, loader, event), daemon=True,
                                 name=f"vmss-complete-{key}").start()
        event.wait(self.wait_seconds)
        with self._lock:
            cached = self._values.get(key)
        return cached[1] if cached is not None else default

    def _fetch(self, key: str, loader: Callable[[], Any], event: threading.Event) -> None:
        try:
            value = loader()
        except Exception:  # noqa: BLE001 - completion must never surface backend errors
            value = None
        with self._lock:
            if value is not None:
                self._values[key] = (time.monotonic(), value)
            self._pending.pop(key, None)
        event.set()

    def prefetch(self) -> None:
        """Start fetching set names so the first Tab is instant."""
        self.get("sets", self._load_sets, [])

    def _load_sets(self) -> list[tuple[str, str]]:
        return [(s.resource_group, s.name) for s in self.session.backend.list_scale_sets()]

    def sets(self) -> list[tuple[str, str]]:
        """(resource group, name) of every set."""
        return list(self.get("sets", self._load_sets, []))

    def groups(self) -> list[str]:
        """Resource group names."""
        return list(self.get("groups", self.session.backend.list_resource_groups, []))

    def instance_ids(self, resource_group: str, name: str) -> list[tuple[str, str]]:
        """(instance id, power state) of a set's instances."""
        def load() -> list[tuple[str, str]]:
            return [(i.instance_id, str(i.power_state))
                    for i in self.session.backend.list_instances(resource_group, name)]

        return list(self.get(f"instances:{resource_group.lower()}/{name.lower()}", load, []))


__all__ = ["CompletionCache"]
