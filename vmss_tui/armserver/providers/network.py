"""Microsoft.Network: the routes `az network vnet|lb|public-ip|nsg show|list|create|delete` and
`az vmss list-instance-connection-info` use, and a scale set's NICs.

az's `list-instance-connection-info` GETs the scale set (its `networkProfile` comes from here:
`scale_set_network_profile`), then the load balancer its primary NIC configuration points at, then the
public IP of the load balancer's first frontend (azure-cli vm/custom.py). Bodies are
`vmss_tui.arm.network`'s; the backend keeps the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...arm import network as arm_network
from ...backends.protocol import Network
from ...domain import errors
from ...domain.network.names import validate_network_name
from ..routing import RG, SUB, VMSS, Request, Response, Route
from .resources import require_group

if TYPE_CHECKING:
    from ..app import ArmApp

NETWORK = r"/providers/Microsoft\.Network"
_KINDS = {"virtualnetworks": "vnet", "publicipaddresses": "public-ip", "loadbalancers": "lb",
          "networksecuritygroups": "nsg"}
_COLLECTION = r"/(?P<collection>virtualNetworks|publicIPAddresses|loadBalancers|networkSecurityGroups)"


class NetworkRoute(Route):
    """A route the Network resource provider serves: its api-versions, not Compute's."""

    @property
    def api_kind(self) -> str:
        return "network"


def _network(app: ArmApp) -> Network:
    if not isinstance(app.backend, Network):
        raise errors.OperationNotAllowed("This endpoint's backend serves no Microsoft.Network resources.")
    return app.backend


def _kind(collection: str) -> str:
    return _KINDS[collection.lower()]


def list_in_subscription(app: ArmApp, request: Request, sub: str, collection: str) -> Response:
    network = _network(app)
    found: list[dict[str, Any]] = []
    for group in app.call(app.backend.list_resource_groups):
        found += app.call(network.list_network_resources, _kind(collection), group)
    return app.page(request, found)


def list_in_group(app: ArmApp, request: Request, sub: str, rg: str, collection: str) -> Response:
    require_group(app, rg)
    return app.page(request, app.call(_network(app).list_network_resources, _kind(collection), rg))


def get_resource(app: ArmApp, request: Request, sub: str, rg: str, collection: str, name: str) -> Response:
    validate_network_name(name)
    return Response(200, app.call(_network(app).get_network_resource, _kind(collection), rg, name))


def put_resource(app: ArmApp, request: Request, sub: str, rg: str, collection: str, name: str) -> Response:
    validate_network_name(name)
    if not isinstance(request.body, dict):
        raise errors.InvalidParameter("The request body must be a JSON object.", target="body")
    network = _network(app)
    put = getattr(network, "put_network_resource", None)
    if put is None:
        raise errors.OperationNotAllowed("This backend cannot create network resources from ARM bodies.")
    resource, created = app.call(put, _kind(collection), rg, name, request.body)
    return Response(201 if created else 200, resource)


def delete_resource(app: ArmApp, request: Request, sub: str, rg: str, collection: str, name: str) -> Response:
    validate_network_name(name)
    require_group(app, rg)
    network = _network(app)
    try:
        app.call(network.get_network_resource, _kind(collection), rg, name)
    except errors.ResourceNotFound:
        return Response(204)  # ARM deletes are idempotent
    app.call(network.delete_network_resource, _kind(collection), rg, name)
    return Response(200)


def list_scale_set_nics(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    """`GET .../virtualMachineScaleSets/{vmss}/networkInterfaces` (the Network RP answers it)."""
    return app.page(request, app.call(_network(app).list_scale_set_nics, rg, vmss))


def get_network_interface(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    """`GET .../networkInterfaces/{name}`: a VM's own NIC (what `az vm show -d` reads its addresses from)."""
    reader = getattr(app.backend, "get_network_interface", None)
    if reader is None:
        raise errors.OperationNotAllowed("This endpoint's backend serves no network interfaces.")
    return Response(200, app.call(reader, rg, name))


def network_profile_of(app: ArmApp, rg: str, vmss: str) -> dict[str, Any] | None:
    """The set's `virtualMachineProfile.networkProfile` when the backend keeps its network (None otherwise)."""
    profile_of = getattr(app.backend, "scale_set_network_profile", None)
    return None if profile_of is None else app.call(profile_of, rg, vmss)


ROUTES = [
    NetworkRoute(SUB + NETWORK + _COLLECTION, {"GET": list_in_subscription}, resource_type="networkResources"),
    NetworkRoute(RG + NETWORK + _COLLECTION, {"GET": list_in_group}, resource_type="networkResources"),
    NetworkRoute(RG + NETWORK + _COLLECTION + r"/(?P<name>[^/]+)",
                 {"GET": get_resource, "PUT": put_resource, "DELETE": delete_resource},
                 resource_type="networkResources"),
    NetworkRoute(VMSS + r"/networkInterfaces", {"GET": list_scale_set_nics}, resource_type="networkInterfaces"),
    NetworkRoute(RG + NETWORK + r"/networkInterfaces/(?P<name>[^/]+)", {"GET": get_network_interface},
                 resource_type="networkInterfaces"),
]
