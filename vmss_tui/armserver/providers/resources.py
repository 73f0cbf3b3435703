"""Microsoft.Resources: the subscription and its resource groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...domain import errors
from ..routing import RG, SUB, Request, Response, Route

if TYPE_CHECKING:
    from ..app import ArmApp


def get_subscription(app: ArmApp, request: Request, sub: str) -> Response:
    info = app.call(app.backend.info)
    return Response(200, {"id": f"/subscriptions/{app.subscription_id}",
                          "subscriptionId": app.subscription_id,
                          "displayName": info.subscription_name or "vmss-tui emulator",
                          "state": "Enabled"})


def group_json(app: ArmApp, name: str) -> dict[str, Any]:
    return {"id": f"/subscriptions/{app.subscription_id}/resourceGroups/{name}", "name": name,
            "type": "Microsoft.Resources/resourceGroups", "location": app.default_location,
            "properties": {"provisioningState": "Succeeded"}}


def list_groups(app: ArmApp, request: Request, sub: str) -> Response:
    groups = app.call(app.backend.list_resource_groups)
    return app.page(request, [group_json(app, name) for name in groups])


def require_group(app: ArmApp, rg: str) -> str:
    """The group's stored spelling; ResourceGroupNotFound (404) when there is none."""
    for name in app.call(app.backend.list_resource_groups):
        if name.lower() == rg.lower():
            return name
    raise errors.resource_group_not_found(rg)


def get_group(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    return Response(200, group_json(app, require_group(app, rg)))


ROUTES = [
    Route(SUB, {"GET": get_subscription}, resource_type="subscriptions"),
    Route(SUB + r"/resourceGroups", {"GET": list_groups}, resource_type="resourceGroups"),
    Route(RG, {"GET": get_group}, resource_type="resourceGroups"),
]
