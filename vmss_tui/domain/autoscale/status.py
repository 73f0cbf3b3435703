"""What the autoscale pane and `autoscale show` tell about a set right now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .engine import Evaluation
from .model import AutoscaleSetting


@dataclass(frozen=True)
class AutoscaleStatus:
    """The setting, what the engine would decide now and why, and when it runs next."""

    setting: AutoscaleSetting
    capacity: int
    now: Evaluation
    """A dry run at this instant: the profile in force, each rule's metric against its threshold."""
    last: Evaluation | None
    """The latest run that was stored."""
    next_evaluation_at: datetime
    cooldown_left: float
    load: str
    """The simulated load in words (emulator), or "" on Azure."""
