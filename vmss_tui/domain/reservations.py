"""Capacity reservation groups and reservations: the model and Azure's rules, as pure functions.

A group (`Microsoft.Compute/capacityReservationGroups`, regional or zonal) holds reservations (one per VM
size, or per size and zone in a zonal group), each reserving a quantity of VMs. Scale sets and VMs are
*associated* with a group; an associated VM that is allocated draws on the reservation matching its size
and zone. Sources for every rule are in docs/emulator-fidelity.md, "Capacity reservations (issue 16)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from . import errors
from .models import VmSize
from .sizes import find_size

GROUP_TYPE = "Microsoft.Compute/capacityReservationGroups"
RESERVATION_TYPE = "Microsoft.Compute/capacityReservationGroups/capacityReservations"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]|[A-Za-z0-9]")
"""Emulator choice: Microsoft.Compute's usual name rule (1-80 letters, digits, `_ . -`, not ending in `.` or `-`)."""

_GROUP_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/"
    r"capacityReservationGroups/(?P<name>[^/]+)$", re.IGNORECASE)

SUPPORTED_FAMILIES = frozenset({
    "standardBSFamily", "standardDSv3Family", "standardDSv5Family", "standardDASv5Family",
    "standardESv5Family", "standardFSv2Family", "standardLSv3Family",
})
"""Catalogue families in the supported series of [CR-OVERVIEW]: Av2, B, D (v2+), E, F, Lsv3/Lasv3. G, H, M and
NC v3 (and any size the catalogue does not know) are not supported."""

MAX_FAULT_DOMAINS = 3
"""[CR-OVERVIEW]: a fault-domain count above 3 fails; [CR-UNIFORM]: static fixed spreading (5 FDs) is unsupported."""


class UtilizationState:
    """[CR-OVERALLOC]: how a reservation's allocated VMs compare with its reserved quantity."""

    AVAILABLE = "available"
    CONSUMED = "consumed"
    OVERALLOCATED = "overallocated"


def utilization_state(capacity: int, allocated: int) -> str:
    if allocated < capacity:
        return UtilizationState.AVAILABLE
    if allocated == capacity:
        return UtilizationState.CONSUMED
    return UtilizationState.OVERALLOCATED


@dataclass(frozen=True)
class CapacityReservation:
    """One reservation: a quantity of one VM size (in one zone, in a zonal group)."""

    name: str
    group_name: str
    resource_group: str
    location: str
    sku_name: str
    capacity: int
    zones: tuple[str, ...]
    id: str
    reservation_id: str
    time_created: datetime
    provisioning_time: datetime
    provisioning_state: str
    platform_fault_domain_count: int
    virtual_machines_associated: tuple[str, ...] = ()
    virtual_machines_allocated: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def state(self) -> str:
        return utilization_state(self.capacity, len(self.virtual_machines_allocated))

    @property
    def not_covered(self) -> int:
        """Allocated VMs beyond the reserved quantity: they run without the capacity SLA [CR-OVERALLOC]."""
        return max(0, len(self.virtual_machines_allocated) - self.capacity)


@dataclass(frozen=True)
class CapacityReservationGroup:
    """A group: a container that reserves nothing itself [CR-CREATE]."""

    name: str
    resource_group: str
    location: str
    zones: tuple[str, ...]
    id: str
    reservations: tuple[CapacityReservation, ...] = ()
    virtual_machines_associated: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def is_zonal(self) -> bool:
        return bool(self.zones)


def validate_name(name: str, kind: str = "capacity reservation group") -> None:
    """Letters, digits, `_ . -`; 1-80 characters; refused before anything is stored."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = repr(name)[:90]
        raise errors.InvalidResourceName(
            f"The {kind} name {shown} is not valid: use 1 to 80 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit and not ending with '.' or '-'.", target="name")


def group_id(subscription_id: str, resource_group: str, name: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{GROUP_TYPE}/{name}"


def reservation_id(subscription_id: str, resource_group: str, group: str, name: str) -> str:
    return f"{group_id(subscription_id, resource_group, group)}/capacityReservations/{name}"


def parse_group_id(resource_id: str) -> tuple[str, str, str] | None:
    """(subscription, resource group, name) of a group id (any letter case), or None."""
    match = _GROUP_ID.match(resource_id or "")
    if match is None:
        return None
    return match.group("sub"), match.group("rg"), match.group("name")


def group_reference_id(reference: str, subscription_id: str, resource_group: str) -> str:
    """A group named by id stays as it is; a bare name is the group of that name in `resource_group`."""
    if parse_group_id(reference) is not None or not subscription_id:
        return reference
    validate_name(reference)
    return group_id(subscription_id, resource_group, reference)


def supported_size(sku_name: str) -> VmSize:
    """The size, if capacity reservation supports it; else Azure's NotSupported text [CLI-18943]."""
    size = find_size(sku_name or "")
    if size is None or size.family not in SUPPORTED_FAMILIES:
        raise errors.AzureError(f"Capacity Reservation is not supported for VM size {sku_name}.",
                                code="NotSupported", http_status=400, target="sku.name")
    return size


def validate_capacity(capacity: object) -> int:
    """A whole number of VMs, 0 or more (0 keeps the reservation but reserves nothing [CR-REMOVE-VMSS])."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise errors.InvalidParameter(
            f"The value '{capacity}' of parameter 'sku.capacity' is not valid: give a whole number, 0 or more.",
            target="sku.capacity")
    return capacity


def reservation_slot(group_zones: Iterable[str], sku_name: str, zones: Iterable[str]) -> tuple[str, str | None]:
    """The (size, zone) a reservation occupies: one reservation per size (regional) or size and zone (zonal)."""
    zone_list = tuple(zones)
    return sku_name.lower(), (zone_list[0] if zone_list and tuple(group_zones) else None)


def check_new_reservation(*, group_name: str, group_location: str, group_zones: tuple[str, ...],
                          existing_slots: Iterable[tuple[str, str | None]], location: str, sku_name: str,
                          zones: tuple[str, ...]) -> tuple[str, str | None]:
    """Refuse what [CR-CREATE] and [CR-OVERVIEW] refuse; returns the new reservation's slot."""
    if location.lower() != group_location.lower():
        raise errors.InvalidParameter(
            f"The location '{location}' of the capacity reservation does not match the location "
            f"'{group_location}' of its capacity reservation group '{group_name}'.", target="location")
    supported_size(sku_name)
    if len(zones) > 1:
        raise errors.InvalidParameter("A capacity reservation can be in at most one availability zone.",
                                      target="zones")
    if group_zones and not zones:
        raise errors.InvalidParameter(
            f"Capacity reservation group '{group_name}' is zonal (zones {', '.join(group_zones)}): a capacity "
            "reservation in it must name one of its zones.", target="zones")
    if zones and not group_zones:
        raise errors.InvalidParameter(
            f"Capacity reservation group '{group_name}' is regional: a capacity reservation in it cannot name a "
            "zone.", target="zones")
    if zones and zones[0] not in group_zones:
        raise errors.InvalidParameter(
            f"Zone '{zones[0]}' is not one of the zones ({', '.join(group_zones)}) of capacity reservation group "
            f"'{group_name}'.", target="zones")
    slot = reservation_slot(group_zones, sku_name, zones)
    if slot in set(existing_slots):
        where = f" in zone {slot[1]}" if slot[1] else ""
        raise errors.Conflict(
            f"Capacity reservation group '{group_name}' already has a capacity reservation for VM size "
            f"{sku_name}{where}; change that reservation's capacity instead.", target="sku.name")
    return slot


def check_reservation_change(*, name: str, sku_name: str, zones: tuple[str, ...], location: str,
                             new_sku_name: str | None, new_zones: tuple[str, ...] | None,
                             new_location: str | None) -> None:
    """Only `sku.capacity` may change after creation [CR-OVERVIEW]."""
    for prop, old, new in (("sku.name", sku_name.lower(), new_sku_name.lower() if new_sku_name else None),
                           ("zones", zones, new_zones),
                           ("location", location.lower(), new_location.lower() if new_location else None)):
        if new is not None and new != old:
            raise errors.PropertyChangeNotAllowed(
                f"Changing property '{prop}' of capacity reservation '{name}' is not allowed: only sku.capacity "
                "can change after creation.", target=prop)


@dataclass(frozen=True)
class AssociationTarget:
    """What decides whether a scale set (or VM) may use a group."""

    name: str
    location: str
    zones: tuple[str, ...]
    vm_size: str | None
    priority: str = "Regular"
    uniform: bool = True
    single_placement_group: bool | None = False
    platform_fault_domain_count: int = 1
    proximity_placement_group: bool = False
    ultra_ssd: bool = False


def not_supported(message: str, target: str | None = None) -> errors.AzureError:
    return errors.AzureError(message, code="NotSupported", http_status=400, target=target)


def check_restrictions(target: AssociationTarget) -> None:
    """[CR-OVERVIEW]'s unsupported features: Spot, proximity placement groups, UltraSSD (emulator's texts)."""
    who = f" ('{target.name}')" if target.name else ""
    if target.priority.lower() in ("spot", "low", "spotplus"):
        raise not_supported(f"Capacity Reservation is not supported for Spot virtual machines{who}.", "priority")
    if target.proximity_placement_group:
        raise not_supported("Capacity Reservation is not supported for virtual machines in a proximity placement "
                            f"group{who}.", "proximityPlacementGroup")
    if target.ultra_ssd:
        raise not_supported(f"Capacity Reservation is not supported for virtual machines with UltraSSD disks{who}.",
                            "additionalCapabilities.ultraSSDEnabled")


def check_association(target: AssociationTarget, *, group_name: str, group_location: str,
                      group_zones: tuple[str, ...], slots: Iterable[tuple[str, str | None]]) -> None:
    """Refuse an association Azure refuses: [CR-OVERVIEW] restrictions, [CR-UNIFORM] placement rules."""
    check_restrictions(target)
    if target.uniform and target.single_placement_group:
        raise errors.InvalidParameter(
            f"Virtual Machine Scale Set '{target.name}' must have singlePlacementGroup set to false to use a "
            "capacity reservation group.", target="singlePlacementGroup")
    if target.platform_fault_domain_count > MAX_FAULT_DOMAINS:
        raise not_supported(
            f"Capacity Reservation supports at most {MAX_FAULT_DOMAINS} fault domains; '{target.name}' has "
            f"platformFaultDomainCount {target.platform_fault_domain_count}. Use max spreading (1) or up to 3.",
            "platformFaultDomainCount")
    if target.location.lower() != group_location.lower():
        raise errors.InvalidParameter(
            f"'{target.name}' is in '{target.location}' but capacity reservation group '{group_name}' is in "
            f"'{group_location}': the region must match.", target="capacityReservationGroup")
    if bool(target.zones) != bool(group_zones) or any(z not in group_zones for z in target.zones):
        wanted = f"zones {', '.join(target.zones)}" if target.zones else "no zone (regional)"
        has = f"zones {', '.join(group_zones)}" if group_zones else "no zones (regional)"
        raise errors.InvalidParameter(
            f"'{target.name}' asks for {wanted} but capacity reservation group '{group_name}' has {has}: the zones "
            "must match.", target="zones")
    if target.vm_size is None:
        return  # a Flexible set without a profile: each VM is checked when it is added
    supported_size(target.vm_size)
    have = set(slots)
    for zone in target.zones or (None,):
        if (target.vm_size.lower(), zone) not in have:
            where = f" in zone {zone}" if zone else ""
            raise errors.InvalidParameter(
                f"Capacity reservation group '{group_name}' has no capacity reservation for VM size "
                f"{target.vm_size}{where}.", target="capacityReservationGroup")


@dataclass(frozen=True)
class ZoneLossRow:
    """One VM size of a zonal group if a zone were lost: what stays reserved and what its VMs would need."""

    sku_name: str
    reserved_left: int
    """Reserved in the zones that remain."""
    allocated_left: int
    """VMs allocated against reservations in the zones that remain."""
    vms_lost: int
    """VMs allocated against the lost zone's reservation."""
    replacements_covered: int
    """How many of the lost VMs, recreated in the other zones, the spare reserved capacity there would cover."""

    @property
    def replacements_not_covered(self) -> int:
        return self.vms_lost - self.replacements_covered


def zone_loss(group: CapacityReservationGroup, zone: str) -> tuple[ZoneLossRow, ...]:
    """What a zonal group would still cover if `zone` went down (reservations are per zone [CR-OVERVIEW]).

    An emulator view, not an Azure API: the lost zone's reservations give nothing; VMs allocated there are
    counted as lost; the spare capacity (reserved minus allocated, never below 0) of the other zones' reservations
    of the same size is what would cover them if they were recreated there.
    """
    if not group.zones:
        raise errors.InvalidParameter(
            f"Capacity reservation group '{group.name}' is regional: its reservations are not tied to a zone.",
            target="zone")
    if zone not in group.zones:
        raise errors.InvalidParameter(f"Zone '{zone}' is not one of the group's zones ({', '.join(group.zones)}).",
                                      target="zone")
    rows = []
    for size in sorted({r.sku_name for r in group.reservations}, key=str.lower):
        same = [r for r in group.reservations if r.sku_name == size]
        lost = [r for r in same if zone in r.zones]
        left = [r for r in same if zone not in r.zones]
        vms_lost = sum(len(r.virtual_machines_allocated) for r in lost)
        spare = sum(max(0, r.capacity - len(r.virtual_machines_allocated)) for r in left)
        rows.append(ZoneLossRow(sku_name=size, reserved_left=sum(r.capacity for r in left),
                                allocated_left=sum(len(r.virtual_machines_allocated) for r in left),
                                vms_lost=vms_lost, replacements_covered=min(vms_lost, spare)))
    return tuple(rows)
