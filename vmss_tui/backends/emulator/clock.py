"""Injectable clocks: the emulator computes every state from timestamps on one of these."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from .store import Store


class Clock(Protocol):
    """Where the emulator gets "now" and how it waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait this long (a fake clock just moves forward)."""
        ...


class SystemClock:
    """Wall-clock time: what operators and other processes see."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to: deterministic tests of in-between states."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))


CLOCK_KEY = "clock"
"""The store shard that holds the emulated clock's offset from the system clock."""


class StoreClock:
    """The system clock moved forward by an offset kept in the store: the emulated clock.

    `vmss-tui emulator clock advance 15m` adds to the offset, so every process on the store, at
    every speed, sees the same "now": power transitions finish, operations end and autoscale runs
    its evaluations as if the time had passed. Scripts and tests fast-forward instead of sleeping.
    The offset file is re-read only when its signature changes (one stat per `now()`).
    The clock never goes back: stored timestamps would end in the future.
    """

    def __init__(self, store: "Store", base: Clock | None = None) -> None:
        self._store = store
        self._base = base or SystemClock()
        self._signature: tuple[int, int, int] | None = None
        self._offset = 0.0
        self._lock = threading.Lock()
        self._path: Path | None = None

    def offset(self) -> float:
        """Seconds the emulated clock is ahead of the base clock."""
        path = self._path
        if path is None:  # only stat here: the offset itself is read through the store, which checks the key again
            path = self._path = self._store.path_for(CLOCK_KEY)
        try:
            stat = path.stat()
            signature: tuple[int, int, int] | None = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            signature = None
        with self._lock:
            if signature != self._signature:
                self._offset = self._read_offset() if signature is not None else 0.0
                self._signature = signature
            return self._offset

    def _read_offset(self) -> float:
        with self._store.snapshot() as txn:
            docs = txn.view(CLOCK_KEY).get("clock", {})
        for doc in docs.values():
            value = doc.get("offset")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 10 * 365 * 86400:
                return float(value)
        return 0.0

    def now(self) -> datetime:
        return self._base.now() + timedelta(seconds=self.offset())

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds)

    def advance(self, seconds: float) -> datetime:
        """Move the emulated clock forward; returns the new "now"."""
        if seconds < 0:
            from ...domain.errors import refused_input
            raise refused_input("The emulated clock only moves forward; stored timestamps would be in the future.",
                                target="clock")
        with self._store.transaction() as txn:
            table = txn.db(CLOCK_KEY).table("clock")
            current = 0.0
            for doc in table.all():
                current = float(doc.get("offset", 0.0))
            table.truncate()
            table.insert({"offset": current + seconds})
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Move the emulated clock to `moment` (timezone-aware), which must not be in its past."""
        return self.advance((moment - self.now()).total_seconds())
