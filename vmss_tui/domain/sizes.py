"""The VM size catalogue and the region facts the rules depend on.

A small, real subset of Azure's sizes: enough to practise quota, memory-preserving
update and Spot rules. Names and vCPU counts are Azure's; quota family names are the
ones `az vm list-usage` prints.
"""

from __future__ import annotations

from .images import IMAGE_ALIASES
from .models import VmSize

_SIZE_ROWS: tuple[tuple[str, str, int, float, bool], ...] = (
    # name, quota family, vCPUs, memory GiB, memory-preserving updates
    # Standard A1-A4: the quickstart templates' sizes (previous generation; figures from MicrosoftDocs
    # articles/virtual-machines/sizes-previous-gen.md, family from the Resource SKUs API's example).
    ("Standard_A1", "standardA0_A7Family", 1, 1.75, True),
    ("Standard_A2", "standardA0_A7Family", 2, 3.5, True),
    ("Standard_A3", "standardA0_A7Family", 4, 7, True),
    ("Standard_A4", "standardA0_A7Family", 8, 14, True),
    ("Standard_B1ls", "standardBSFamily", 1, 0.5, True),
    ("Standard_B1s", "standardBSFamily", 1, 1, True),
    ("Standard_B2s", "standardBSFamily", 2, 4, True),
    ("Standard_B2ms", "standardBSFamily", 2, 8, True),
    ("Standard_D2s_v3", "standardDSv3Family", 2, 8, True),
    ("Standard_D4s_v3", "standardDSv3Family", 4, 16, True),
    ("Standard_D8s_v3", "standardDSv3Family", 8, 32, True),
    ("Standard_D2s_v5", "standardDSv5Family", 2, 8, True),
    ("Standard_D4s_v5", "standardDSv5Family", 4, 16, True),
    ("Standard_D2as_v5", "standardDASv5Family", 2, 8, True),
    ("Standard_E2s_v5", "standardESv5Family", 2, 16, True),
    ("Standard_E4s_v5", "standardESv5Family", 4, 32, True),
    ("Standard_F2s_v2", "standardFSv2Family", 2, 4, True),
    ("Standard_F4s_v2", "standardFSv2Family", 4, 8, True),
    ("Standard_G1", "standardGFamily", 2, 28, False),
    ("Standard_H8", "standardHFamily", 8, 56, False),
    ("Standard_L8s_v3", "standardLSv3Family", 8, 64, False),
    ("Standard_M8ms", "standardMSFamily", 8, 218.75, False),
    ("Standard_NC6s_v3", "standardNCSv3Family", 6, 112, False),
    ("Standard_NC4as_T4_v3", "standardNCASv3_T4Family", 4, 28, False),
)

SIZES: dict[str, VmSize] = {
    row[0].lower(): VmSize(name=row[0], family=row[1], vcpus=row[2], memory_gib=row[3],
                           memory_preserving_updates=row[4])
    for row in _SIZE_ROWS
}

DEFAULT_VM_SIZE = "Standard_D2s_v3"
"""What `az vmss create` picks when no size is given (Standard_DS1_v2 historically; D2s_v3 today)."""

FLEXIBLE_FORBIDDEN_SIZES = frozenset({"standard_b1ls"})
"""Sizes Azure rejects for Flexible sets (MicrosoftDocs/azure-docs#102050)."""

IMAGES: tuple[str, ...] = tuple(IMAGE_ALIASES)
"""The `az` image aliases the emulator knows (from the one catalogue, domain/images.py); any ARM image id too."""

DEFAULT_IMAGE = "Ubuntu2204"


def find_size(name: str) -> VmSize | None:
    """The catalogue entry for a size name (case-insensitive), or None."""
    return SIZES.get(name.lower())


def is_specialty(size: VmSize) -> bool:
    """G, H, L, M and N series: no memory-preserving updates ("specialty" in the Flexible docs)."""
    return not size.memory_preserving_updates


# Region facts: (max regional fault domain count, has availability zones).
REGIONS: dict[str, tuple[int, bool]] = {
    "eastus": (3, True),
    "eastus2": (3, True),
    "westus": (3, False),
    "westus2": (3, True),
    "westus3": (3, True),
    "centralus": (3, True),
    "northeurope": (3, True),
    "westeurope": (3, True),
    "uksouth": (3, True),
    "centralindia": (3, True),
    "southeastasia": (3, True),
    "japaneast": (3, True),
    "australiaeast": (3, True),
    "canadaeast": (2, False),
    "westcentralus": (2, False),
}

DEFAULT_LOCATION = "westeurope"


def region_fault_domain_max(location: str) -> int:
    """Regional max fault domain count (2 or 3 by region)."""
    return REGIONS.get(location.lower(), (3, True))[0]


def region_has_zones(location: str) -> bool:
    """True when the region offers availability zones 1-3."""
    return REGIONS.get(location.lower(), (3, True))[1]
