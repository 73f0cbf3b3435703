"""Microsoft.Compute capacityReservationGroups and capacityReservations: the routes `az capacity reservation
group create|show|list|update|delete` and `az capacity reservation create|show|list|update|delete` use.

Bodies are `vmss_tui.arm.reservations`'s; the backend keeps the rules. A reservation PUT answers 201/200
with `provisioningState: Succeeded` (nothing is left to poll); `$expand=instanceView` adds the instance
views with `utilizationInfo`. Deletes of what is gone answer 204, as ARM's idempotent deletes do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...arm import reservations as codec
from ...backends.protocol import CapacityReservations
from ...domain import errors
from ...domain.reservations import validate_name
from ..routing import COMPUTE, RG, SUB, Request, Response, Route
from .resources import require_group

if TYPE_CHECKING:
    from ..app import ArmApp

GROUPS = r"/capacityReservationGroups"
GROUP = RG + COMPUTE + GROUPS + r"/(?P<crg>[^/]+)"
RESERVATIONS = GROUP + r"/capacityReservations"
RESERVATION = RESERVATIONS + r"/(?P<res>[^/]+)"


class ReservationRoute(Route):
    """A Compute route with the capacity reservation api-versions (2021-04-01 and later)."""

    @property
    def api_kind(self) -> str:
        return "reservations"


class SkuRoute(Route):
    """Resource SKUs: their own api-versions (2019-04-01 is what az sends)."""

    @property
    def api_kind(self) -> str:
        return "skus"


_LOCATION_FILTER = re.compile(r"^\s*location\s+eq\s+'([A-Za-z0-9 ]{1,64})'\s*$", re.IGNORECASE)


def list_skus(app: ArmApp, request: Request, sub: str) -> Response:
    """`GET /subscriptions/{sub}/providers/Microsoft.Compute/skus[?$filter=location eq 'x']`."""
    raw_filter = request.query.get("$filter")
    location = None
    if raw_filter:
        match = _LOCATION_FILTER.match(raw_filter)
        if match is None:
            raise errors.InvalidParameter("Only a filter of the form location eq '<region>' is supported.",
                                          target="$filter")
        location = match.group(1)
    return app.page(request, codec.resource_skus_json(location))


def _backend(app: ArmApp) -> CapacityReservations:
    if not isinstance(app.backend, CapacityReservations):
        raise errors.OperationNotAllowed("This endpoint's backend serves no capacity reservation groups.")
    return app.backend


def list_in_subscription(app: ArmApp, request: Request, sub: str) -> Response:
    groups = app.call(_backend(app).list_capacity_reservation_groups, None)
    return app.page(request, [codec.group_json(g, instance_view=request.expand_instance_view) for g in groups])


def list_in_group(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    rg = require_group(app, rg)
    groups = app.call(_backend(app).list_capacity_reservation_groups, rg)
    return app.page(request, [codec.group_json(g, instance_view=request.expand_instance_view) for g in groups])


def get_group(app: ArmApp, request: Request, sub: str, rg: str, crg: str) -> Response:
    validate_name(crg)
    group = app.call(_backend(app).get_capacity_reservation_group, rg, crg)
    return Response(200, codec.group_json(group, instance_view=request.expand_instance_view))


def put_group(app: ArmApp, request: Request, sub: str, rg: str, crg: str) -> Response:
    validate_name(crg)
    fields = codec.group_from_json(request.body)
    group, created = app.call(_backend(app).create_or_update_capacity_reservation_group, rg, crg, **fields)
    return Response(201 if created else 200, codec.group_json(group))


def patch_group(app: ArmApp, request: Request, sub: str, rg: str, crg: str) -> Response:
    """PATCH (az's `update`): tags only; an existing group is required."""
    validate_name(crg)
    backend = _backend(app)
    current = app.call(backend.get_capacity_reservation_group, rg, crg)
    fields = codec.group_from_json(request.body)
    group, _created = app.call(backend.create_or_update_capacity_reservation_group, rg, crg,
                               location=current.location, zones=fields["zones"] or current.zones, tags=fields["tags"])
    return Response(200, codec.group_json(group))


def delete_group(app: ArmApp, request: Request, sub: str, rg: str, crg: str) -> Response:
    validate_name(crg)
    require_group(app, rg)
    backend = _backend(app)
    try:
        app.call(backend.get_capacity_reservation_group, rg, crg)
    except errors.ResourceNotFound:
        return Response(204)
    app.call(backend.delete_capacity_reservation_group, rg, crg)
    return Response(200)


def list_reservations(app: ArmApp, request: Request, sub: str, rg: str, crg: str) -> Response:
    validate_name(crg)
    found = app.call(_backend(app).list_capacity_reservations, rg, crg)
    return app.page(request, [codec.reservation_json(r, instance_view=request.expand_instance_view) for r in found])


def get_reservation(app: ArmApp, request: Request, sub: str, rg: str, crg: str, res: str) -> Response:
    validate_name(crg)
    validate_name(res, "capacity reservation")
    reservation = app.call(_backend(app).get_capacity_reservation, rg, crg, res)
    return Response(200, codec.reservation_json(reservation, instance_view=request.expand_instance_view))


def put_reservation(app: ArmApp, request: Request, sub: str, rg: str, crg: str, res: str) -> Response:
    validate_name(crg)
    validate_name(res, "capacity reservation")
    fields = codec.reservation_from_json(request.body)
    reservation, created = app.call(_backend(app).put_capacity_reservation, rg, crg, res, **fields)
    return Response(201 if created else 200, codec.reservation_json(reservation))


def patch_reservation(app: ArmApp, request: Request, sub: str, rg: str, crg: str, res: str) -> Response:
    """PATCH (az's `update --capacity`): an existing reservation; only capacity and tags may change."""
    validate_name(crg)
    validate_name(res, "capacity reservation")
    backend = _backend(app)
    app.call(backend.get_capacity_reservation, rg, crg, res)
    fields = codec.reservation_from_json(request.body)
    reservation, _created = app.call(backend.put_capacity_reservation, rg, crg, res, **fields)
    return Response(200, codec.reservation_json(reservation))


def delete_reservation(app: ArmApp, request: Request, sub: str, rg: str, crg: str, res: str) -> Response:
    validate_name(crg)
    validate_name(res, "capacity reservation")
    require_group(app, rg)
    backend = _backend(app)
    try:
        app.call(backend.get_capacity_reservation, rg, crg, res)
    except errors.ResourceNotFound:
        return Response(204)
    app.call(backend.delete_capacity_reservation, rg, crg, res)
    return Response(200)


ROUTES = [
    SkuRoute(SUB + COMPUTE + r"/skus", {"GET": list_skus}, resource_type="skus"),
    ReservationRoute(SUB + COMPUTE + GROUPS, {"GET": list_in_subscription}, resource_type="capacityReservationGroups"),
    ReservationRoute(RG + COMPUTE + GROUPS, {"GET": list_in_group}, resource_type="capacityReservationGroups"),
    ReservationRoute(GROUP, {"GET": get_group, "PUT": put_group, "PATCH": patch_group, "DELETE": delete_group},
                     resource_type="capacityReservationGroups"),
    ReservationRoute(RESERVATIONS, {"GET": list_reservations},
                     resource_type="capacityReservationGroups/capacityReservations"),
    ReservationRoute(RESERVATION, {"GET": get_reservation, "PUT": put_reservation, "PATCH": patch_reservation,
                                   "DELETE": delete_reservation},
                     resource_type="capacityReservationGroups/capacityReservations"),
]
