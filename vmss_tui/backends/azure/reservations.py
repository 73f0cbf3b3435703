"""The live adapter's CapacityReservations capability, with azure-mgmt-compute's capacity reservation operations.

A mixin of `AzureBackend` (which supplies the client and error translation). Bodies go through
`arm/reservations.py` both ways, so the live adapter and the emulator answer in the same domain values; the
group's `$expand=instanceView` gives each reservation's allocated VMs in one call.
"""

from __future__ import annotations

from typing import Any, Callable

from ...arm import reservations as codec
from ...domain import errors
from .translated import translated
from ...domain.reservations import CapacityReservation, CapacityReservationGroup, validate_name



def _body(model: Any) -> dict[str, Any]:
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


class CapacityReservationOps:
    """`CapacityReservations` for the live adapter (mixed into AzureBackend)."""

    _client: Any
    _refuse_if_read_only: Callable[[str], None]
    """AzureBackend's: refuses a change in read-only mode."""

    @translated
    def _group_view(self, resource_group: str, name: str) -> CapacityReservationGroup:
        group = self._client.capacity_reservation_groups.get(resource_group, name, expand="instanceView")
        reservations = [_body(r) for r in
                        self._client.capacity_reservations.list_by_capacity_reservation_group(resource_group, name)]
        return codec.group_from_arm(_body(group), reservations)

    @translated
    def create_or_update_capacity_reservation_group(self, resource_group: str, name: str, *,
                                                    location: str | None = None, zones: tuple[str, ...] = (),
                                                    tags: dict[str, str] | None = None
                                                    ) -> tuple[CapacityReservationGroup, bool]:
        validate_name(name)
        self._refuse_if_read_only("create a capacity reservation group")
        try:
            existing: CapacityReservationGroup | None = self._group_view(resource_group, name)
        except errors.ResourceNotFound:
            existing = None
        if location is None:
            location = existing.location if existing else self.get_resource_group(resource_group).location  # type: ignore[attr-defined]
        zones = tuple(zones) or (existing.zones if existing else ())
        self._client.capacity_reservation_groups.create_or_update(resource_group, name,
                                                                 codec.group_put_body(location, zones, tags))
        return self._group_view(resource_group, name), existing is None

    @translated
    def get_capacity_reservation_group(self, resource_group: str, name: str) -> CapacityReservationGroup:
        validate_name(name)
        return self._group_view(resource_group, name)

    @translated
    def list_capacity_reservation_groups(self, resource_group: str | None = None) -> list[CapacityReservationGroup]:
        operations = self._client.capacity_reservation_groups
        found = operations.list_by_resource_group(resource_group) if resource_group else operations.list_by_subscription()
        groups = []
        for model in found:
            body = _body(model)
            group_name = str(body.get("name") or "")
            rg = codec.group_from_arm(body, []).resource_group
            groups.append(self._group_view(rg, group_name))
        return sorted(groups, key=lambda g: (g.resource_group.lower(), g.name.lower()))

    @translated
    def delete_capacity_reservation_group(self, resource_group: str, name: str) -> None:
        validate_name(name)
        self._refuse_if_read_only("delete a capacity reservation group")
        self._client.capacity_reservation_groups.begin_delete(resource_group, name).result()

    @translated
    def put_capacity_reservation(self, resource_group: str, group: str, name: str, *, sku: str | None = None,
                                 capacity: int | None = None, zones: tuple[str, ...] | None = None,
                                 location: str | None = None, tags: dict[str, str] | None = None
                                 ) -> tuple[CapacityReservation, bool]:
        validate_name(group)
        validate_name(name, "capacity reservation")
        self._refuse_if_read_only("change a capacity reservation")
        operations = self._client.capacity_reservations
        try:
            current: CapacityReservation | None = self.get_capacity_reservation(resource_group, group, name)
        except errors.ResourceNotFound:
            current = None
        if current is not None:  # a PATCH: only capacity and tags change (Azure refuses the rest)
            body: dict[str, Any] = {}
            if capacity is not None or sku is not None:
                body["sku"] = {k: v for k, v in (("name", sku), ("capacity", capacity)) if v is not None}
            if tags is not None:
                body["tags"] = dict(tags)
            operations.begin_update(resource_group, group, name, body).result()
        else:
            group_location = location or self.get_capacity_reservation_group(resource_group, group).location
            operations.begin_create_or_update(resource_group, group, name, codec.reservation_put_body(
                group_location, sku, capacity, zones, tags)).result()
        return self.get_capacity_reservation(resource_group, group, name), current is None

    @translated
    def get_capacity_reservation(self, resource_group: str, group: str, name: str) -> CapacityReservation:
        validate_name(group)
        validate_name(name, "capacity reservation")
        model = self._client.capacity_reservations.get(resource_group, group, name, expand="instanceView")
        return codec.reservation_from_arm(_body(model))

    @translated
    def list_capacity_reservations(self, resource_group: str, group: str) -> list[CapacityReservation]:
        return list(self.get_capacity_reservation_group(resource_group, group).reservations)

    @translated
    def delete_capacity_reservation(self, resource_group: str, group: str, name: str) -> None:
        validate_name(group)
        validate_name(name, "capacity reservation")
        self._refuse_if_read_only("delete a capacity reservation")
        self._client.capacity_reservations.begin_delete(resource_group, group, name).result()
