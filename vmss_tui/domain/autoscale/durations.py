"""ISO 8601 durations as autoscale uses them (`PT1M`, `PT5M`, `PT1H`, `P1D`, `P7D`)."""

from __future__ import annotations

import re

from ..errors import refused_input

_DURATION = re.compile(r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?")


def parse_duration(text: str, *, field: str = "duration") -> float:
    """Seconds in an ISO 8601 duration; a refusal (InvalidParameter) naming the field when it is not one.

    Years and months are refused: autoscale's bounds (1 minute .. 1 week) never need them and their
    length in seconds is not fixed.
    """
    if not isinstance(text, str):
        raise refused_input(f"The value of '{field}' must be an ISO 8601 duration such as PT5M.", target=field)
    match = _DURATION.fullmatch(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise refused_input(f"The value '{text}' of '{field}' is not an ISO 8601 duration such as PT5M.",
                               target=field)
    parts = match.groupdict()
    return (int(parts["w"] or 0) * 604800 + int(parts["d"] or 0) * 86400 + int(parts["h"] or 0) * 3600
            + int(parts["m"] or 0) * 60 + float(parts["s"] or 0))


def format_duration(seconds: float) -> str:
    """The shortest ISO 8601 form Azure writes back: `PT5M`, `PT1H`, `P1D`, `PT1H30M`."""
    whole = int(round(seconds))
    if whole <= 0:
        return "PT0S"
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return text + ("T" + time if time else "")


def short_duration(seconds: float) -> str:
    """A person's spelling for tables and history lines: `5m`, `1h`, `1h30m`, `45s`."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"
