"""What every emulated provider shares: one store, one clock, one speed, one source of randomness."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from ..clock import Clock, SystemClock
from ..store import Store
from ..timing import Speed


@dataclass
class Context:
    """The emulator's shared state. Providers hold this, never each other's records."""

    store: Store
    clock: Clock = field(default_factory=SystemClock)
    speed: Speed = Speed.FAST
    rng: random.Random = field(default_factory=random.Random)

    def now(self) -> float:
        """Seconds since the epoch by the emulator's clock (read under the lock for a write)."""
        return self.clock.now().timestamp()

    def new_uuid(self) -> str:
        """A random version-4 UUID from the emulator's randomness (tests seed it)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
