"""Garbage collection held from a refresh's read until its rows are on screen.

A refresh of a 1000-instance set allocates tens of thousands of short-lived objects (the changed
shard parsed, new views, new row strips). Collecting them while the read runs puts 5-10 ms, and
now and then a full collection of 100 ms or more, between the key and the repaint. Held, the
collector does the same work just after the frame that shows the rows: the operator sees them
first. The hold always ends: after the paint, or after `HOLD_LIMIT` whatever happened to the read.
"""

from __future__ import annotations

import gc
import threading

HOLD_LIMIT = 1.0
"""Seconds after which a hold ends even if no paint came (the read failed, the set went away)."""


class CollectionHold:
    """Turns the collector off for one refresh at a time and back on; never turns on what it did not turn off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def hold(self) -> bool:
        """Turn the collector off unless it is off already (start-up keeps it off until the first rows,
        `app.run_app`); True when this call turned it off and `release` must follow."""
        with self._lock:
            if self._held or not gc.isenabled():
                return False
            gc.disable()
            self._held = True
            return True

    def release(self) -> None:
        """Turn the collector back on if this hold turned it off (any number of calls is safe)."""
        with self._lock:
            if self._held:
                self._held = False
                gc.enable()
