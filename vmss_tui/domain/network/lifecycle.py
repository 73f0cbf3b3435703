"""What may be deleted, and the public addresses the emulator hands out.

Azure refuses to delete a network resource something still uses, naming the user; deleting a scale set
or a VM first releases what it held (its NIC IP configurations leave their subnet, its NAT rules and pool
memberships go). Sources in docs/emulator-fidelity.md, "Networking (issue 14)".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping, Sequence

from . import errors
from .addresses import SubnetAddresses
from .models import LoadBalancer, PublicIPAddress, VirtualNetwork

EMULATED_PUBLIC_PREFIX = "20.1.0.0/16"
"""Where the emulator's public IP addresses come from (Azure's own come from its regional ranges)."""


def check_subnet_deletable(subnet_name: str, addresses: SubnetAddresses) -> None:
    """A subnet that still holds an IP configuration cannot be deleted (the first holder is named)."""
    for address in sorted(addresses.holders, key=ipaddress.IPv4Address):
        raise errors.in_use_subnet_cannot_be_deleted(subnet_name, addresses.holders[address])


def check_vnet_deletable(vnet: VirtualNetwork, addresses_by_subnet: Mapping[str, SubnetAddresses]) -> None:
    """Deleting a virtual network fails on its first subnet still in use, as deleting that subnet would."""
    for subnet in vnet.subnets:
        held = addresses_by_subnet.get(subnet.name)
        if held is not None:
            check_subnet_deletable(subnet.name, held)


def check_public_ip_deletable(public_ip_id: str, public_ip: PublicIPAddress) -> None:
    if public_ip.ip_configuration_id:
        raise errors.public_ip_cannot_be_deleted(public_ip_id, public_ip.ip_configuration_id)


def check_nsg_deletable(nsg_id: str, user_ids: Sequence[str]) -> None:
    """`user_ids`: the NICs and subnets that reference the security group."""
    if user_ids:
        raise errors.nsg_cannot_be_deleted(nsg_id, tuple(user_ids))


def check_load_balancer_deletable(lb: LoadBalancer, users: Mapping[str, Sequence[str]]) -> None:
    """`users` maps a scale set id to the names of this load balancer's children (pools, NAT pools) it uses."""
    for scale_set_id, child_names in users.items():
        if child_names:
            raise errors.load_balancer_in_use_by_scale_set(lb.id or lb.name, tuple(child_names), scale_set_id)


def check_load_balancer_update(before: LoadBalancer, after: LoadBalancer,
                               users: Mapping[str, Sequence[str]]) -> None:
    """An update may not drop a NAT pool or backend pool a scale set still references.

    `users` maps a scale set id to the names of this load balancer's children it references.
    """
    kept_nat_pools = {p.name.lower() for p in after.inbound_nat_pools}
    kept_pools = {p.name.lower() for p in after.backend_address_pools}
    for scale_set_id, child_names in users.items():
        used = {name.lower() for name in child_names}
        for pool in before.inbound_nat_pools:
            if pool.name.lower() in used and pool.name.lower() not in kept_nat_pools:
                raise errors.nat_pool_in_use_by_scale_set(pool.name, scale_set_id)
        for pool in before.backend_address_pools:
            if pool.name.lower() in used and pool.name.lower() not in kept_pools:
                raise errors.backend_pool_in_use_by_scale_set(pool.name, scale_set_id)


def next_public_address(in_use: Collection[str], prefix: str = EMULATED_PUBLIC_PREFIX) -> str:
    """The lowest address of `prefix` (network and broadcast addresses excluded) no public IP holds."""
    taken = set(in_use)
    for host in ipaddress.IPv4Network(prefix).hosts():
        if str(host) not in taken:
            return str(host)
    raise errors.NetworkBadRequest(f"The emulator's public address range {prefix} is exhausted.",
                                   code="PublicIPCountLimitReached")
