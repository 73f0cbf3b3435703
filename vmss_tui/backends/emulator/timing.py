"""How long simulated operations take, by speed setting."""

from __future__ import annotations

from enum import StrEnum


class Speed(StrEnum):
    """`instant` for scripts and tests, `fast` (Azure ÷ 20) by default, `real` for rehearsals."""

    INSTANT = "instant"
    FAST = "fast"
    REAL = "real"


# Typical Azure durations in seconds (portal activity logs; create/reimage vary most).
AZURE_SECONDS: dict[str, float] = {
    "create": 90.0,
    "start": 30.0,
    "stop": 30.0,
    "deallocate": 60.0,
    "restart": 40.0,
    "reimage": 120.0,
    "upgrade": 90.0,
    "delete": 60.0,
    "createSet": 10.0,
    "updateSet": 5.0,
    "deleteSet": 30.0,
}

_DIVISOR = {Speed.INSTANT: None, Speed.FAST: 20.0, Speed.REAL: 1.0}


def parse_speed(value: str | Speed | None) -> Speed:
    """A Speed from user input; ValueError names the choices."""
    if value is None:
        return Speed.FAST
    try:
        return Speed(str(value).lower())
    except ValueError:
        raise ValueError(f"unknown speed '{value}' (choose from: instant, fast, real)") from None


def duration(kind: str, speed: Speed) -> float:
    """Seconds a step of this kind takes at this speed (0 when instant)."""
    divisor = _DIVISOR[speed]
    if divisor is None:
        return 0.0
    return AZURE_SECONDS[kind] / divisor


def staggered(base: float, index: int, count: int) -> float:
    """Spread parallel steps over ±25 % so a scale-out shows instances finishing one by one."""
    if count <= 1 or base == 0:
        return base
    return base * (0.75 + 0.5 * index / (count - 1))
