"""capacityReservationGroups and capacityReservations as ARM JSON (azure-mgmt-compute's
`CapacityReservationGroup`, `CapacityReservation` and their properties/instance views), and the
PUT/PATCH bodies read back into what the backend takes.

Read-only members (`capacityReservations`, `virtualMachinesAssociated`, `instanceView`, `reservationId`,
`provisioningTime`, `timeCreated`, ...) are only written; a PUT body's values are checked by type and
refused with a one-line InvalidParameter naming the member.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..domain import errors
from ..domain.reservations import GROUP_TYPE, RESERVATION_TYPE, CapacityReservation, CapacityReservationGroup
from .values import UNKNOWN_TIME, format_time, read_time

_SUCCEEDED = {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"}


def _ids(values: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    return [{"id": value} for value in values]


def _statuses(reservation: CapacityReservation) -> list[dict[str, Any]]:
    return [{**_SUCCEEDED, "time": format_time(reservation.provisioning_time)}]


def _utilization(reservation: CapacityReservation) -> dict[str, Any]:
    """`utilizationInfo` [CR-OVERALLOC]: the VMs allocated against it; currentCapacity (api >= 2022-08-01)."""
    return {"currentCapacity": reservation.capacity,
            "virtualMachinesAllocated": _ids(reservation.virtual_machines_allocated)}


def reservation_json(reservation: CapacityReservation, *, instance_view: bool = False) -> dict[str, Any]:
    """A capacity reservation as `GET .../capacityReservations/{name}` returns it."""
    properties: dict[str, Any] = {
        "reservationId": reservation.reservation_id,
        "platformFaultDomainCount": reservation.platform_fault_domain_count,
        "virtualMachinesAssociated": _ids(reservation.virtual_machines_associated),
        "provisioningTime": format_time(reservation.provisioning_time),
        "provisioningState": reservation.provisioning_state,
        "timeCreated": format_time(reservation.time_created),
    }
    if instance_view:
        properties["instanceView"] = {"utilizationInfo": _utilization(reservation), "statuses": _statuses(reservation)}
    body: dict[str, Any] = {
        "id": reservation.id, "name": reservation.name, "type": RESERVATION_TYPE, "location": reservation.location,
        "sku": {"name": reservation.sku_name, "capacity": reservation.capacity},
        "properties": properties,
    }
    if reservation.zones:
        body["zones"] = list(reservation.zones)
    if reservation.tags:
        body["tags"] = dict(reservation.tags)
    return body


def group_json(group: CapacityReservationGroup, *, instance_view: bool = False) -> dict[str, Any]:
    """A group as `GET .../capacityReservationGroups/{name}[?$expand=instanceView]` returns it."""
    properties: dict[str, Any] = {
        "capacityReservations": _ids([r.id for r in group.reservations]),
        "virtualMachinesAssociated": _ids(group.virtual_machines_associated),
    }
    if instance_view:
        properties["instanceView"] = {"capacityReservations": [
            {"name": r.name, "utilizationInfo": _utilization(r), "statuses": _statuses(r)}
            for r in group.reservations]}
    body: dict[str, Any] = {"id": group.id, "name": group.name, "type": GROUP_TYPE, "location": group.location,
                            "properties": properties}
    if group.zones:
        body["zones"] = list(group.zones)
    if group.tags:
        body["tags"] = dict(group.tags)
    return body


def _object(body: Any, where: str) -> Mapping[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise errors.InvalidParameter(f"'{where}' must be a JSON object.", target=where)
    return body


def _tags(body: Mapping[str, Any]) -> dict[str, str] | None:
    tags = body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise errors.InvalidParameter("'tags' must be an object of string values.", target="tags")
    return dict(tags)


def _zones(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    zones = body.get("zones")
    if zones is None:
        return None
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise errors.InvalidParameter("'zones' must be a list of zone names such as [\"1\"].", target="zones")
    return tuple(zones)


def _location(body: Mapping[str, Any]) -> str | None:
    location = body.get("location")
    if location is not None and not isinstance(location, str):
        raise errors.InvalidParameter("'location' must be a string.", target="location")
    return location


def group_from_json(body: Any) -> dict[str, Any]:
    """A group PUT/PATCH body -> keyword arguments of `create_or_update_capacity_reservation_group`."""
    body = _object(body, "body")
    _object(body.get("properties"), "properties")
    return {"location": _location(body), "zones": _zones(body) or (), "tags": _tags(body)}


def reservation_from_json(body: Any) -> dict[str, Any]:
    """A reservation PUT/PATCH body -> keyword arguments of `put_capacity_reservation`."""
    body = _object(body, "body")
    _object(body.get("properties"), "properties")
    sku = _object(body.get("sku"), "sku")
    name = sku.get("name")
    capacity = sku.get("capacity")
    if name is not None and not isinstance(name, str):
        raise errors.InvalidParameter("'sku.name' must be a string.", target="sku.name")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
        raise errors.InvalidParameter("'sku.capacity' must be a whole number.", target="sku.capacity")
    return {"sku": name, "capacity": capacity, "zones": _zones(body), "location": _location(body),
            "tags": _tags(body)}


# ---------------------------------------------------------------- read back (the live adapter)

def _id_list(values: Any) -> tuple[str, ...]:
    return tuple(str(v["id"]) for v in values or () if isinstance(v, Mapping) and v.get("id"))


def _group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


def reservation_from_arm(body: Mapping[str, Any], allocated: tuple[str, ...] | None = None) -> CapacityReservation:
    """A `CapacityReservation` body (the SDK model's `as_dict()`, or the REST JSON) in the domain.

    `allocated`: the VMs allocated, when they come from elsewhere (the group's instance view).
    """
    properties = body.get("properties") or {}
    sku = body.get("sku") or {}
    resource_id = str(body.get("id") or "")
    parts = resource_id.split("/")
    group_name = parts[-3] if len(parts) >= 3 else ""
    utilization = (properties.get("instanceView") or {}).get("utilizationInfo") or {}
    created = read_time(properties.get("timeCreated")) or UNKNOWN_TIME
    return CapacityReservation(
        name=str(body.get("name") or parts[-1]), group_name=group_name, resource_group=_group_of(resource_id),
        location=str(body.get("location") or ""), sku_name=str(sku.get("name") or ""),
        capacity=int(sku.get("capacity") or 0), zones=tuple(str(z) for z in body.get("zones") or ()), id=resource_id,
        reservation_id=str(properties.get("reservationId") or ""),
        time_created=created, provisioning_time=read_time(properties.get("provisioningTime")) or created,
        provisioning_state=str(properties.get("provisioningState") or ""),
        platform_fault_domain_count=int(properties.get("platformFaultDomainCount") or 0),
        virtual_machines_associated=_id_list(properties.get("virtualMachinesAssociated")),
        virtual_machines_allocated=(allocated if allocated is not None
                                    else _id_list(utilization.get("virtualMachinesAllocated"))),
        tags=tuple(sorted((body.get("tags") or {}).items())))


def group_from_arm(body: Mapping[str, Any], reservations: list[Mapping[str, Any]]) -> CapacityReservationGroup:
    """A `CapacityReservationGroup` body and its reservations' bodies in the domain; the allocated VMs of each
    come from the group's instance view when the reservation body has none."""
    properties = body.get("properties") or {}
    views = {str(v.get("name") or "").lower(): _id_list((v.get("utilizationInfo") or {}).get("virtualMachinesAllocated"))
             for v in (properties.get("instanceView") or {}).get("capacityReservations") or ()}
    resource_id = str(body.get("id") or "")
    members = []
    for reservation in reservations:
        has_view = bool(((reservation.get("properties") or {}).get("instanceView") or {}).get("utilizationInfo"))
        name = str(reservation.get("name") or "").lower()
        members.append(reservation_from_arm(reservation, None if has_view else views.get(name, ())))
    return CapacityReservationGroup(
        name=str(body.get("name") or resource_id.rsplit("/", 1)[-1]), resource_group=_group_of(resource_id),
        location=str(body.get("location") or ""), zones=tuple(str(z) for z in body.get("zones") or ()), id=resource_id,
        reservations=tuple(sorted(members, key=lambda r: r.name.lower())),
        virtual_machines_associated=_id_list(properties.get("virtualMachinesAssociated")),
        tags=tuple(sorted((body.get("tags") or {}).items())))


def group_put_body(location: str, zones: tuple[str, ...], tags: dict[str, str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"location": location}
    if zones:
        body["zones"] = list(zones)
    if tags is not None:
        body["tags"] = dict(tags)
    return body


def reservation_put_body(location: str, sku: str | None, capacity: int | None, zones: tuple[str, ...] | None,
                         tags: dict[str, str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"location": location, "sku": {}}
    if sku is not None:
        body["sku"]["name"] = sku
    if capacity is not None:
        body["sku"]["capacity"] = capacity
    if zones:
        body["zones"] = list(zones)
    if tags is not None:
        body["tags"] = dict(tags)
    return body


# ---------------------------------------------------------------- resource SKUs

def resource_skus_json(location: str | None = None) -> list[dict[str, Any]]:
    """`GET /providers/Microsoft.Compute/skus` (`ResourceSku`): one entry per VM size and region, as Azure lists
    them, with the capability `CapacityReservationSupported` that [CR-CREATE] names as the authoritative check
    (`az vm list-skus ... capabilities[?name=='CapacityReservationSupported']`) and the region's zones
    (`locationInfo`, which `az vmss create --zones` reads)."""
    from ..domain.reservations import SUPPORTED_FAMILIES
    from ..domain.sizes import REGIONS, SIZES, region_has_zones

    regions = [r for r in REGIONS if location is None or r == location.replace(" ", "").lower()]
    found = []
    for region in regions:
        zones = ["1", "2", "3"] if region_has_zones(region) else []
        for size in SIZES.values():
            found.append({
                "resourceType": "virtualMachines", "name": size.name, "tier": "Standard",
                "size": size.name.split("_", 1)[-1], "family": size.family, "locations": [region],
                "locationInfo": [{"location": region, "zones": zones, "zoneDetails": []}],
                "capabilities": [
                    {"name": "vCPUs", "value": str(size.vcpus)},
                    {"name": "MemoryGB", "value": f"{size.memory_gib:g}"},
                    {"name": "MemoryPreservingMaintenanceSupported",
                     "value": str(size.memory_preserving_updates)},
                    {"name": "CapacityReservationSupported", "value": str(size.family in SUPPORTED_FAMILIES)},
                ],
                "restrictions": [],
            })
    return found
