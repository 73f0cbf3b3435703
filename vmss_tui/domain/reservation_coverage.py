"""What a scale set's capacity reservations cover: per VM, per size and zone, and if a zone were lost.

Pure functions over the values the backends return (a ScaleSet, its Instances, the CapacityReservationGroups):
the TUI's reservation pane draws them. Azure's accounting is taken as it reports it [CR-OVERVIEW]: a reservation's
`virtualMachinesAssociated` (every VM configured to use it, deallocated ones included) and
`instanceView.utilizationInfo.virtualMachinesAllocated` (the associated VMs that draw on it: running, stopped but
allocated, starting, stopping; not deallocated). Allocated beyond the reserved quantity is allowed and not covered
by the capacity SLA [CR-OVERALLOC]. The choices no source states are in docs/emulator-fidelity.md, "Capacity
reservations (issue 16)", "The TUI's reservation pane".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .models import Instance, PowerState, ScaleSet
from .reservations import CapacityReservation, CapacityReservationGroup


class Coverage:
    """How one VM stands against the reservations."""

    COVERED = "covered"
    """Allocated against a reservation, within its reserved quantity."""
    BEYOND = "beyond reservation"
    """Allocated against a reservation that has more VMs allocated than reserved: no capacity SLA [CR-OVERALLOC]."""
    NO_MATCH = "no matching reservation"
    """Associated with a group that has no reservation for the VM's size (and zone)."""
    NOT_ASSOCIATED = "not associated"
    """In no capacity reservation group."""
    DEALLOCATED = "deallocated"
    """Associated, but deallocated: it stays associated and does not draw on the reservation [CR-OVERVIEW]."""


OUTSIDE = frozenset({Coverage.BEYOND, Coverage.NO_MATCH, Coverage.NOT_ASSOCIATED})
"""Statuses of a VM that runs outside any reservation (when it is allocated)."""


@dataclass(frozen=True)
class VmCoverage:
    """One VM of the set and the reservation it draws on."""

    instance_id: str
    name: str
    zone: str | None
    vm_size: str
    power_state: str
    allocated: bool
    """It holds hardware (running, stopped but allocated, starting, stopping): Azure's `virtualMachinesAllocated`."""
    status: str
    """One of `Coverage`'s values."""
    group: CapacityReservationGroup | None = None
    reservation: CapacityReservation | None = None

    @property
    def outside(self) -> bool:
        """True for a VM that runs (holds hardware) without reserved capacity behind it."""
        return self.allocated and self.status in OUTSIDE


@dataclass(frozen=True)
class SlotCoverage:
    """One VM size in one zone (zone None: a regional reservation, or a VM without a zone)."""

    sku_name: str
    zone: str | None
    reservation: CapacityReservation | None
    """None: the set has VMs of this size and zone that no reservation of theirs matches."""
    group_name: str | None
    reserved: int
    allocated: int
    """Every VM drawing on the reservation, this set's and others'."""
    associated: int
    set_allocated: int
    """This set's VMs of this size and zone that hold hardware."""
    set_outside: int
    """Of those, how many run outside any reservation."""

    @property
    def overallocated(self) -> int:
        """VMs allocated against the reservation beyond its quantity (not covered by its SLA)."""
        return max(0, self.allocated - self.reserved)

    @property
    def others(self) -> int:
        """VMs of other sets (or standalone VMs) drawing on the same reservation."""
        return max(0, self.allocated - self.set_allocated) if self.reservation is not None else 0


@dataclass(frozen=True)
class ZoneLossCoverage:
    """If one of the set's zones went down: the VMs that must be re-created and what would cover them."""

    zone: str
    to_recreate: tuple[str, ...]
    """Instance ids of the set's allocated VMs in that zone."""
    covered: int
    """How many of them spare reserved capacity in the set's other zones (or a regional reservation) would cover."""
    covering_zones: tuple[str, ...]
    """The zones whose reservations have that spare capacity ("regional" for a regional reservation)."""
    remaining_zones: tuple[str, ...]
    """The set's other zones, where its VMs can be re-created."""

    @property
    def not_covered(self) -> int:
        return len(self.to_recreate) - self.covered


@dataclass(frozen=True)
class SetCoverage:
    """Everything the reservation pane shows about one set."""

    set_name: str
    group_id: str | None
    """The group the set's VM profile names (None: not associated)."""
    group: CapacityReservationGroup | None
    """That group, if it could be read."""
    groups: tuple[CapacityReservationGroup, ...]
    """Every group this set or its VMs use (the set's first)."""
    vms: tuple[VmCoverage, ...]
    slots: tuple[SlotCoverage, ...]
    zone_losses: tuple[ZoneLossCoverage, ...]
    """One per zone of a zonal set; empty for a regional one (Azure does not say where its VMs are)."""

    @property
    def outside(self) -> tuple[VmCoverage, ...]:
        return tuple(vm for vm in self.vms if vm.outside)

    @property
    def covered(self) -> int:
        return sum(1 for vm in self.vms if vm.allocated and vm.status == Coverage.COVERED)

    @property
    def allocated(self) -> int:
        return sum(1 for vm in self.vms if vm.allocated)


def same_id(left: str, right: str) -> bool:
    """ARM ids compare case-insensitively (Azure upper-cases parts of them in places [CR-OVERALLOC])."""
    return left.lower() == right.lower()


def holds_hardware(power_state: PowerState | str) -> bool:
    """Allocated in Azure's sense: every power state but deallocated [CR-OVERVIEW]."""
    return str(power_state) != PowerState.DEALLOCATED.value


def _age_key(instance: Instance) -> tuple[float, int, str]:
    number = int(instance.instance_id) if instance.instance_id.isdigit() else 0
    return (instance.time_created.timestamp(), number, instance.instance_id)


def set_coverage(scale_set: ScaleSet, instances: Sequence[Instance],
                 groups: Iterable[CapacityReservationGroup]) -> SetCoverage:
    """Per VM, per size and zone, and per lost zone: what the reservations cover for this set.

    Which of a reservation's allocated VMs are the ones beyond its quantity, Azure does not say
    (utilizationInfo lists them all). The view counts the VMs of other sets first and this set's newest
    (by creation time) last: the VMs it flags are the most this set can have without the SLA.
    """
    known = list(groups)
    group_ids = {g.id.lower(): g for g in known}
    set_group_id = scale_set.capacity_reservation_group or None
    set_group = group_ids.get(set_group_id.lower()) if set_group_id else None

    # which group and reservation each VM is associated with, from Azure's own lists
    by_vm: dict[str, tuple[CapacityReservationGroup, CapacityReservation | None]] = {}
    for group in known:
        for vm_id in group.virtual_machines_associated:
            by_vm.setdefault(vm_id.lower(), (group, None))
        for reservation in group.reservations:
            for vm_id in reservation.virtual_machines_associated:
                by_vm[vm_id.lower()] = (group, reservation)

    # this set's allocated VMs per reservation, oldest first: the newest are the ones beyond the quantity
    drawing: dict[str, list[Instance]] = {}
    statuses: dict[str, tuple[str, bool, CapacityReservationGroup | None, CapacityReservation | None]] = {}
    for instance in instances:
        group, reservation = by_vm.get(instance.id.lower(), (None, None))
        if reservation is not None:
            allocated = any(same_id(vm, instance.id) for vm in reservation.virtual_machines_allocated)
            if allocated:
                drawing.setdefault(reservation.id.lower(), []).append(instance)
                status = Coverage.COVERED  # settled below
            else:
                status = Coverage.DEALLOCATED
        else:
            allocated = holds_hardware(instance.power_state)
            status = Coverage.NOT_ASSOCIATED if group is None else (
                Coverage.NO_MATCH if allocated else Coverage.DEALLOCATED)
        statuses[instance.instance_id] = (status, allocated, group, reservation)
    beyond: set[str] = set()
    for group in known:
        for reservation in group.reservations:
            mine = sorted(drawing.get(reservation.id.lower(), []), key=_age_key)
            others = len(reservation.virtual_machines_allocated) - len(mine)
            room = max(0, reservation.capacity - max(0, others))
            beyond.update(instance.instance_id for instance in mine[room:])

    vms = []
    for instance in instances:
        status, allocated, group, reservation = statuses[instance.instance_id]
        if instance.instance_id in beyond:
            status = Coverage.BEYOND
        vms.append(VmCoverage(instance_id=instance.instance_id, name=instance.name, zone=instance.zone,
                              vm_size=instance.vm_size, power_state=str(instance.power_state), allocated=allocated,
                              status=status, group=group, reservation=reservation))

    used = [set_group] if set_group is not None else []
    for vm in vms:
        if vm.group is not None and all(vm.group is not g for g in used):
            used.append(vm.group)
    return SetCoverage(set_name=scale_set.name, group_id=set_group_id, group=set_group, groups=tuple(used),
                       vms=tuple(vms), slots=_slots(used, vms),
                       zone_losses=tuple(_zone_loss(scale_set, zone, vms, set_group) for zone in scale_set.zones))


def _slots(groups: Sequence[CapacityReservationGroup], vms: Sequence[VmCoverage]) -> tuple[SlotCoverage, ...]:
    """Every reservation of the groups in use, and each size and zone of the set's VMs no reservation matches."""
    rows = []
    for group in groups:
        for reservation in group.reservations:
            mine = [vm for vm in vms if vm.reservation is reservation and vm.allocated]
            rows.append(SlotCoverage(
                sku_name=reservation.sku_name, zone=reservation.zones[0] if reservation.zones else None,
                reservation=reservation, group_name=group.name, reserved=reservation.capacity,
                allocated=len(reservation.virtual_machines_allocated),
                associated=len(reservation.virtual_machines_associated), set_allocated=len(mine),
                set_outside=sum(1 for vm in mine if vm.outside)))
    unmatched: dict[tuple[str, str | None, str | None], list[VmCoverage]] = {}
    for vm in vms:
        if vm.reservation is None and vm.allocated:
            key = (vm.vm_size, vm.zone, vm.group.name if vm.group else None)
            unmatched.setdefault(key, []).append(vm)
    for (size, zone, group_name), members in unmatched.items():
        rows.append(SlotCoverage(sku_name=size, zone=zone, reservation=None, group_name=group_name, reserved=0,
                                 allocated=0, associated=0, set_allocated=len(members), set_outside=len(members)))
    return tuple(sorted(rows, key=lambda r: (r.sku_name.lower(), r.zone or "", r.reservation is None,
                                             r.group_name or "")))


def _zone_loss(scale_set: ScaleSet, zone: str, vms: Sequence[VmCoverage],
               set_group: CapacityReservationGroup | None) -> ZoneLossCoverage:
    """The set's VMs in `zone` re-created in its other zones: how many spare reserved capacity would cover.

    Zonal reservations cover only their zone, and the lost zone's give nothing; a regional reservation
    covers any zone [CR-OVERVIEW]. Spare = reserved minus allocated now (never below 0). Whether the share of a
    regional reservation that sat in the lost zone survives is not documented: the lost VMs are not counted as
    released, so the figure is the least the reservations would cover. A re-created VM uses the set's group, or
    (a Flexible set without one) the group its VM had.
    """
    remaining = tuple(z for z in scale_set.zones if z != zone)
    lost = [vm for vm in vms if vm.allocated and vm.zone == zone]
    wanted: dict[tuple[str, str], int] = {}
    groups: dict[str, CapacityReservationGroup] = {}
    for vm in lost:
        group = set_group or vm.group
        if group is None:
            continue
        groups[group.id.lower()] = group
        key = (group.id.lower(), vm.vm_size.lower())
        wanted[key] = wanted.get(key, 0) + 1
    covered = 0
    covering: list[str] = []
    for (gid, size), count in sorted(wanted.items()):
        group = groups[gid]
        spare_by_zone: list[tuple[str, int]] = []
        for reservation in group.reservations:
            if reservation.sku_name.lower() != size:
                continue
            spare = max(0, reservation.capacity - len(reservation.virtual_machines_allocated))
            if not reservation.zones:
                spare_by_zone.append(("regional", spare))
            elif reservation.zones[0] in remaining:
                spare_by_zone.append((reservation.zones[0], spare))
        take = min(count, sum(spare for _, spare in spare_by_zone))
        covered += take
        if take:
            covering += [where for where, spare in spare_by_zone if spare > 0 and where not in covering]
    return ZoneLossCoverage(zone=zone, to_recreate=tuple(vm.instance_id for vm in lost), covered=covered,
                            covering_zones=tuple(sorted(covering)), remaining_zones=remaining)


def vm_owner(vm_id: str) -> tuple[str | None, str]:
    """(scale set or None, instance id or VM name) of a VM id in a reservation's lists."""
    parts = vm_id.split("/")
    lowered = [p.lower() for p in parts]
    if "virtualmachinescalesets" in lowered:
        at = lowered.index("virtualmachinescalesets")
        if at + 3 < len(parts) and lowered[at + 2] == "virtualmachines":
            return parts[at + 1], parts[at + 3]
    return None, parts[-1]
