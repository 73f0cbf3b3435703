"""Microsoft.Resources: the subscription, its tenant, and resource groups (create, show, exists, list, delete).

Groups are served through the backend's `ResourceGroups` capability; a backend without it still
answers reads from `list_resource_groups` (names only, in the endpoint's default location).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...arm import resources as arm_resources
from ...backends.protocol import ResourceGroups
from ...domain import errors
from ...domain.models import ResourceGroup
from ..routing import RG, SUB, Request, Response, Route

if TYPE_CHECKING:
    from ..app import ArmApp

TENANT_DOMAIN = "vmss-tui.emulator"


def tenant_id(app: ArmApp) -> str:
    """The token authority's tenant when one serves sign-in; else one fixed per subscription."""
    from_authority = getattr(app.settings.authority, "tenant_id", None)
    return str(from_authority or uuid.uuid5(uuid.NAMESPACE_URL, f"vmss-tui:{app.subscription_id}"))


def _subscription(app: ArmApp) -> dict[str, Any]:
    info = app.call(app.backend.info)
    return arm_resources.subscription_json(app.subscription_id, tenant_id(app),
                                           info.subscription_name or "vmss-tui emulator")


def get_subscription(app: ArmApp, request: Request, sub: str) -> Response:
    return Response(200, _subscription(app))


def list_subscriptions(app: ArmApp, request: Request) -> Response:
    """`GET /subscriptions`: what `az login` calls to find the subscriptions it may use."""
    return Response(200, {"value": [_subscription(app)], "count": {"type": "Total", "value": 1}})


def list_tenants(app: ArmApp, request: Request) -> Response:
    """`GET /tenants`: what `az login` calls before listing each tenant's subscriptions."""
    return Response(200, {"value": [arm_resources.tenant_json(tenant_id(app), TENANT_DOMAIN)]})


# ---------------------------------------------------------------- resource groups

def _capability(app: ArmApp) -> ResourceGroups | None:
    return app.backend if isinstance(app.backend, ResourceGroups) else None


def _name_only_group(app: ArmApp, name: str) -> ResourceGroup:
    return ResourceGroup(name=name, location=app.default_location, subscription_id=app.subscription_id)


def find_group(app: ArmApp, rg: str) -> ResourceGroup:
    """The group (stored spelling); ResourceGroupNotFound (404) when there is none."""
    groups = _capability(app)
    if groups is not None:
        return app.call(groups.get_resource_group, rg)
    for name in app.call(app.backend.list_resource_groups):
        if name.lower() == rg.lower():
            return _name_only_group(app, name)
    raise errors.resource_group_not_found(rg)


def require_group(app: ArmApp, rg: str) -> str:
    """The group's stored spelling; ResourceGroupNotFound (404) when there is none."""
    return find_group(app, rg).name


def list_groups(app: ArmApp, request: Request, sub: str) -> Response:
    groups = _capability(app)
    found = (app.call(groups.list_resource_group_details) if groups is not None
             else [_name_only_group(app, name) for name in app.call(app.backend.list_resource_groups)])
    return app.page(request, [arm_resources.group_json(group) for group in found])


def get_group(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    return Response(200, arm_resources.group_json(find_group(app, rg)))


def head_group(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    """`az group exists`: 204 when it exists, 404 with no body when not."""
    try:
        find_group(app, rg)
    except errors.ResourceGroupNotFound:
        return Response(404)
    return Response(204)


def _require_capability(app: ArmApp) -> ResourceGroups:
    groups = _capability(app)
    if groups is None:
        raise errors.OperationNotAllowed("This endpoint's backend does not create or delete resource groups.")
    return groups


def put_group(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    """`az group create`: 201 when created, 200 when it existed (tags replaced, location must match)."""
    groups = _require_capability(app)
    if not isinstance(request.body, dict):
        raise errors.AzureError("The request content was invalid and could not be deserialized: "
                                "expected a JSON object.", code="InvalidRequestContent", http_status=400)
    location, tags = arm_resources.group_from_json(request.body)
    group, created = app.call(groups.create_or_update_resource_group, rg, location, tags)
    return Response(201 if created else 200, arm_resources.group_json(group))


def delete_group(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    """`az group delete`: 202 with a Location to poll; everything in the group goes with it."""
    groups = _require_capability(app)
    operation = app.call(groups.delete_resource_group, rg)
    return app.operations.accepted_by_resources(request, operation)


def get_operation_result(app: ArmApp, request: Request, sub: str, op: str) -> Response:
    return app.operations.resources_result(request, op)


ROUTES = [
    Route(r"/subscriptions", {"GET": list_subscriptions}, resource_type="subscriptions"),
    Route(r"/tenants", {"GET": list_tenants}, resource_type="tenants"),
    Route(SUB, {"GET": get_subscription}, resource_type="subscriptions"),
    Route(SUB + r"/operationresults/(?P<op>[^/]+)", {"GET": get_operation_result}, resource_type="subscriptions"),
    Route(SUB + r"/resourceGroups", {"GET": list_groups}, resource_type="resourceGroups"),
    Route(RG, {"GET": get_group, "HEAD": head_group, "PUT": put_group, "DELETE": delete_group},
          resource_type="resourceGroups"),
]
GROUP_ROUTE_PATTERNS = frozenset({RG})
"""Routes that are the group itself: a missing group there is the answer, not a precondition."""
