"""How domain values look on screen: glyphs, colours (theme variables only), filters, JSON.

Pure functions over domain objects, so they are unit-tested without an app. Colours
are looked up by theme variable name in a mapping the app passes in (its
`theme_variables`), so no colour is ever written here.

Text from data (names, sizes, images, messages) goes through `escape_control` here, on its way
into a cell, so an ESC sequence in a stored value is shown, never sent to the terminal. Cells are
`rich.text.Text`, never markup, so `[bold]` in a name stays literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, Mapping

from rich.text import Text

from ..domain.models import Instance, PowerState, ProvisioningState, ScaleSet
from ..domain.text import escape_control

POWER_GLYPHS: dict[PowerState, str] = {
    PowerState.RUNNING: "●",
    PowerState.STARTING: "◐",
    PowerState.STOPPING: "◑",
    PowerState.DEALLOCATING: "◒",
    PowerState.STOPPED: "○",
    PowerState.DEALLOCATED: "◌",
    PowerState.UNKNOWN: "?",
}
"""One distinct shape per power state, so states stay apart without colour (NO_COLOR)."""

CREATING_GLYPH = "✚"
DELETING_GLYPH = "✕"
FAILED_GLYPH = "✖"

_POWER_COLOURS: dict[PowerState, str] = {
    PowerState.RUNNING: "success",
    PowerState.STARTING: "warning",
    PowerState.STOPPING: "warning",
    PowerState.DEALLOCATING: "warning",
    PowerState.STOPPED: "error",
    PowerState.DEALLOCATED: "secondary",
    PowerState.UNKNOWN: "warning",
}


def instance_glyph(instance: Instance) -> str:
    """The map glyph: provisioning trouble or transitions first, then the power state."""
    if instance.provisioning_state is ProvisioningState.FAILED:
        return FAILED_GLYPH
    if instance.provisioning_state is ProvisioningState.CREATING:
        return CREATING_GLYPH
    if instance.provisioning_state is ProvisioningState.DELETING:
        return DELETING_GLYPH
    return POWER_GLYPHS.get(instance.power_state, POWER_GLYPHS[PowerState.UNKNOWN])  # Azure's open set


def instance_colour_variable(instance: Instance) -> str:
    """The theme variable that colours an instance's state."""
    if instance.provisioning_state is ProvisioningState.FAILED:
        return "error"
    if instance.provisioning_state in (ProvisioningState.CREATING, ProvisioningState.DELETING,
                                       ProvisioningState.UPDATING):
        return "warning"
    return _POWER_COLOURS.get(instance.power_state, "warning")  # a state Azure sent that we do not know


def provisioning_colour_variable(state: ProvisioningState) -> str:
    """The theme variable for a provisioning state."""
    if state is ProvisioningState.SUCCEEDED:
        return "success"
    if state is ProvisioningState.FAILED:
        return "error"
    return "warning"


def styled(text: str, variable: str | None, colours: Mapping[str, str], *, bold: bool = False) -> Text:
    """`text` coloured with a theme variable (no colour when the theme lacks it), control characters escaped."""
    style = colours.get(variable, "") if variable else ""
    if bold:
        style = f"bold {style}".strip()
    return Text(escape_control(text), style=style, end="")


def cell_text(text: str, style: str = "") -> Text:
    """A literal cell from data: control characters escaped, no markup."""
    return Text(escape_control(text), style=style, end="")


def instance_label(instance: Instance) -> str:
    """What the Instance column shows: the instance id (for Flexible sets that is the VM name)."""
    return escape_control(instance.instance_id)


def protection_label(instance: Instance) -> str:
    """`in+act`, `in` or `-`: which protections the instance has."""
    if instance.protect_from_scale_set_actions:
        return "in+act"
    if instance.protect_from_scale_in:
        return "in"
    return "-"


def created_label(moment: datetime) -> str:
    """Creation time to the minute, in the time zone the backend reported."""
    return moment.strftime("%Y-%m-%d %H:%M")


def zones_label(scale_set: ScaleSet) -> str:
    """`1,2,3` or `regional`."""
    return escape_control(",".join(scale_set.zones)) if scale_set.zones else "regional"


def running_label(instances: list[Instance] | tuple[Instance, ...]) -> int:
    """How many instances are running."""
    return sum(1 for i in instances if i.power_state is PowerState.RUNNING
               and i.provisioning_state is not ProvisioningState.CREATING)


# ----------------------------------------------------------------------------- filtering

FILTER_FIELDS: dict[str, tuple[str, ...]] = {
    "power": ("power",),
    "state": ("provisioning",),
    "prov": ("provisioning",),
    "zone": ("zone",),
    "fd": ("fd",),
    "ud": ("ud",),
    "model": ("model",),
    "latest": ("model",),
    "protect": ("protection",),
    "prot": ("protection",),
    "size": ("size",),
    "name": ("name", "id", "computer"),
    "id": ("id",),
    "ip": ("private_ip", "endpoint"),
    "endpoint": ("endpoint",),
}
"""`field:value` words the `/` filter understands, and which instance facts each one checks."""

ADDRESS_FIELDS = frozenset({"ip", "endpoint"})
"""Fields whose value is an address: matched whole, by a prefix ending at `.` or `:`, or as a CIDR range."""


def address_label(address: str | None) -> str:
    """An address as a cell shows it: empty when there is none (a set without a network), never `None`."""
    return escape_control(address) if address else ""


def endpoint_host(endpoint: str | None) -> str:
    """The address part of `20.1.2.3:50000` (or of `[2001:db8::1]:22`); the whole value when it has no port."""
    if not endpoint:
        return ""
    if endpoint.startswith("["):
        return endpoint[1:].partition("]")[0]
    host, sep, port = endpoint.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else endpoint


def _instance_facts(instance: Instance) -> dict[str, str]:
    return {
        "power": instance.power_state.value,
        "provisioning": instance.provisioning_state.value.lower(),
        "zone": instance.zone or "none",
        "fd": str(instance.fault_domain),
        "ud": "" if instance.update_domain is None else str(instance.update_domain),
        "model": "latest yes true" if instance.latest_model_applied else "outdated no false",
        "protection": protection_label(instance),
        "size": instance.vm_size.lower(),
        "name": instance.name.lower(),
        "id": instance.instance_id.lower(),
        "computer": instance.computer_name.lower(),
        "private_ip": (instance.private_ip or "").lower(),
        "endpoint": (instance.public_endpoint or "").lower(),
    }


class FilterError(ValueError):
    """A `field:value` word naming a field the filter does not know."""


def parse_filter(text: str) -> list[tuple[str | None, str]]:
    """Split a filter into (field or None, lower-case value) words; all words must match.

    Raises:
        FilterError: A `field:` the filter does not know, naming the known ones.
    """
    words: list[tuple[str | None, str]] = []
    for word in text.split():
        field_name, sep, value = word.partition(":")
        if sep:
            key = field_name.lower()
            if key not in FILTER_FIELDS:
                known = ", ".join(sorted(FILTER_FIELDS))
                raise FilterError(f"unknown filter field '{field_name}' (known: {known})")
            if key in ADDRESS_FIELDS and "/" in value:
                _address_range(value)  # a range that is no range is said now, not matched as text
            words.append((key, value.lower()))
        else:
            words.append((None, word.lower()))
    return words


def instance_matches(instance: Instance, words: list[tuple[str | None, str]]) -> bool:
    """True when every filter word matches: `field:value` exactly (prefix), a bare word anywhere."""
    facts = _instance_facts(instance)
    for field_name, value in words:
        if field_name is None:
            if not any(value in fact for fact in facts.values()):
                return False
            continue
        candidates = [facts[key] for key in FILTER_FIELDS[field_name]]
        if field_name in ADDRESS_FIELDS:
            if not any(_address_matches(fact, value) for fact in candidates if fact):
                return False
            continue
        if field_name in ("model", "latest"):
            if not any(value in fact.split() for fact in candidates):
                return False
        elif not any(fact.startswith(value) for fact in candidates):
            return False
    return True


@lru_cache(maxsize=64)
def _address_range(value: str) -> Any:
    """`10.0.1.0/24` as a network (host bits allowed: `10.0.1.7/24` means its /24).

    Raises:
        FilterError: Not an address range, naming what was typed.
    """
    import ipaddress

    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise FilterError(f"'{escape_control(value)}' is not an address range (e.g. 10.0.1.0/24)") from None


def _address_matches(fact: str, value: str) -> bool:
    """An address (`10.0.0.4`, or an endpoint `20.1.0.1:50000`) against a filter value: the whole address
    (an endpoint also by its address alone), a prefix ending at `.` or `:` (`10.0.1.`), or a range."""
    host = endpoint_host(fact)
    if value in (fact, host):
        return True
    if value.endswith((".", ":")):
        return fact.startswith(value)
    if "/" in value:
        import ipaddress

        try:
            return ipaddress.ip_address(host) in _address_range(value)
        except ValueError:
            return False
    return False


_NATURAL = re.compile(r"(\d+)")


def natural_key(value: str) -> tuple[Any, ...]:
    """Sort `web_10` after `web_9`: digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _NATURAL.split(value))


# ----------------------------------------------------------------------------- detail / JSON

_NOT_A_FIELD_ROW = frozenset({"stored_profile", "nic_id"})
"""Opaque values shown by the JSON view (`j`), not as one long row: the VM profile as it was PUT, and the
NIC's resource id (the Network section names the NIC)."""


def detail_fields(value: Any) -> list[tuple[str, str]]:
    """Every field of a domain value as (label, text) rows for the detail view."""
    rows: list[tuple[str, str]] = []
    for f in fields(value):
        if f.name in _NOT_A_FIELD_ROW:
            continue
        raw = getattr(value, f.name)
        if isinstance(raw, Enum):
            text = str(raw.value)
        elif isinstance(raw, datetime):
            text = raw.isoformat()
        elif isinstance(raw, tuple):
            text = ", ".join("=".join(item) if isinstance(item, tuple) else str(item) for item in raw) or "-"
        elif isinstance(raw, dict):
            text = ", ".join(f"{key}={item}" for key, item in raw.items()) or "-"
        elif raw is None or raw == "":
            text = "-"
        else:
            text = str(raw)
        rows.append((f.name.replace("_", " "), escape_control(text)))
    return rows


@dataclass(frozen=True)
class ProgressLine:
    """A text progress bar for the Activity pane (no animation, one line)."""

    label: str
    percent: float
    width: int = 20

    def render(self) -> str:
        """`label  [#######.............]  35%`."""
        filled = max(0, min(self.width, round(self.width * self.percent / 100)))
        return f"{escape_control(self.label)}  [{'#' * filled}{'.' * (self.width - filled)}] {self.percent:3.0f}%"
