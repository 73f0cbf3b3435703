"""ARM resource ids: built and parsed in one place."""

from __future__ import annotations

import re

SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"

_ID_PATTERN = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/"
    r"virtualMachineScaleSets/(?P<name>[^/]+)$",
    re.IGNORECASE,
)



def scale_set_id(subscription_id: str, resource_group: str, name: str) -> str:
    """The ARM id of a scale set."""
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
            f"{SCALE_SET_TYPE}/{name}")


def parse_scale_set_id(resource_id: str) -> tuple[str, str, str] | None:
    """(subscription, resource group, name) of a scale-set id, or None if it is not one."""
    match = _ID_PATTERN.match(resource_id or "")
    if match is None:
        return None
    return match.group("sub"), match.group("rg"), match.group("name")


