"""Scalar values as ARM writes them: timestamps and Azure's open and closed enums."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from ..domain.errors import InvalidParameter
from ..domain.models import unknown_value

UNKNOWN_TIME = datetime.fromtimestamp(0, timezone.utc)
"""`timeCreated` Azure did not send (api-versions before 2021-11-01, or its own examples)."""


def format_time(moment: datetime | None) -> str | None:
    """ISO-8601 with an explicit UTC offset, as ARM writes timestamps."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def parse_time(text: Any) -> datetime | None:
    """Parse ARM's ISO-8601 timestamps (with `Z`, offsets or 7-digit fractions)."""
    if text is None or text == "":
        return None
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    raw = str(text).strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", raw)
    if match and match.group(2):  # Azure sends 7 fraction digits; keep microseconds
        raw = match.group(1) + match.group(2)[:7] + match.group(3)
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_time(text: Any) -> datetime | None:
    """`parse_time` for what Azure sent: text that is not a timestamp reads as missing, not as a crash."""
    try:
        return parse_time(text)
    except (TypeError, ValueError):
        return None


def open_enum(enum_type: Any, text: Any, default: Any = None) -> Any:
    """The member Azure's text names (case-insensitive), or the text kept as an unknown value.

    Azure's enums are open: a value this version does not know (a newer api-version's, or
    an old name such as priority `Low`) is shown as Azure sent it, never refused and never
    mapped to a member it might not mean. Missing text gives `default` (Azure's documented
    default), or the unknown value "unknown" when Azure documents none.
    """
    if text is None or str(text).strip() == "":
        return default if default is not None else unknown_value(enum_type, "unknown")
    for member in enum_type:
        if str(text).lower() == member.value.lower():
            return member
    return unknown_value(enum_type, str(text))


def enum_text(enum_type: Any, text: Any, target: str) -> str:
    """Case-insensitive enum value, or Azure's InvalidParameter naming the property."""
    for member in enum_type:
        if str(text).lower() == member.value.lower():
            return str(member.value)
    allowed = ", ".join(f"'{member.value}'" for member in enum_type)
    raise InvalidParameter(f"The value '{text}' of parameter '{target}' is not allowed. Allowed values are {allowed}.",
                           target=target)


