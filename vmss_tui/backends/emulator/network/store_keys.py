"""Store keys of the network room: every name is checked (Azure's rules) before it becomes a path part.

- `network/<group>/<collection>/<name>` for virtualNetworks, publicIPAddresses, loadBalancers and
  networkSecurityGroups: table `resource` (one doc, `arm`: the resource as ARM JSON from arm/network.py);
  a virtual network also has table `addresses` (one doc: subnet name lower-cased -> {address: holder id}).
- `network/<group>/scaleSetNetworks/<set>`: table `binding` (one doc: what the set's NICs use and each
  instance's NIC: private address, public address).
- `netpublic/addresses`: table `held` (one doc: public address -> holder id), so no public address is
  handed out twice in the subscription.
"""

from __future__ import annotations

from ....domain import names
from ....domain.network.names import validate_network_name
from ..compute.shard import key_part

NETWORK_PREFIX = "network/"
PUBLIC_ADDRESSES = "netpublic/addresses"
COLLECTIONS = ("virtualNetworks", "publicIPAddresses", "loadBalancers", "networkSecurityGroups")
BINDINGS = "scaleSetNetworks"


def group_prefix(resource_group: str) -> str:
    names.validate_resource_group_name(resource_group)
    return f"{NETWORK_PREFIX}{key_part(resource_group)}/"


def resource_key(resource_group: str, collection: str, name: str) -> str:
    if collection not in COLLECTIONS:
        raise ValueError(collection)
    validate_network_name(name)
    return f"{group_prefix(resource_group)}{collection}/{key_part(name)}"


def collection_prefix(resource_group: str, collection: str) -> str:
    if collection not in (*COLLECTIONS, BINDINGS):
        raise ValueError(collection)
    return f"{group_prefix(resource_group)}{collection}/"


def binding_key(resource_group: str, scale_set: str) -> str:
    names.validate_scale_set_name(scale_set)
    return f"{group_prefix(resource_group)}{BINDINGS}/{key_part(scale_set)}"
