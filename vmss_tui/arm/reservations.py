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
from .values import format_time

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
