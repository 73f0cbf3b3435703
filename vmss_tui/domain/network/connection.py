"""`az vmss list-instance-connection-info` as az computes it, and the Flexible equivalent.

az never computes a port: it reads the load balancer. It takes the first IP configuration of the
scale set's primary NIC configuration that references a NAT pool (first pool) or else a backend pool
(first pool), fetches that load balancer, and the public IP of its first frontend. Then, if every
inbound NAT rule names a backend IP configuration (NAT pool, "V1"), each rule gives
`"instance {instanceId}": "{ip}:{frontendPort}"` in the rules' order; otherwise (NAT rule V2) each
backend pool's members with a port mapping give the same, from their first mapping. Read from
azure-cli `list_vmss_instance_connection_info` (source in docs/emulator-fidelity.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import errors
from .models import LoadBalancer, PublicIPAddress, parent_of
from .nat import child_name_1, instance_sort_key


@dataclass(frozen=True)
class ScaleSetIpConfigurationRefs:
    """What az reads of one IP configuration in the scale set's network profile."""

    name: str
    load_balancer_inbound_nat_pool_ids: tuple[str, ...] = ()
    load_balancer_backend_address_pool_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScaleSetNicConfigurationRefs:
    name: str
    primary: bool
    ip_configurations: tuple[ScaleSetIpConfigurationRefs, ...] = ()


def _address_text(address: str | None, port: int | None) -> str:
    """az formats with `'{}:{}'.format(...)`, so a missing address prints as `None`."""
    return f"{address if address is not None else 'None'}:{port if port is not None else 'None'}"


def list_instance_connection_info(orchestration_mode: str,
                                  nic_configurations: Sequence[ScaleSetNicConfigurationRefs],
                                  load_balancer_by_id: Callable[[str], LoadBalancer],
                                  public_ip_by_id: Callable[[str], PublicIPAddress]) -> dict[str, str]:
    """The JSON object az prints: `{"instance 0": "20.1.2.3:50000", ...}`.

    The two callables look resources up by ARM id (they raise the store's not-found error); nothing
    else is read.
    """
    if orchestration_mode.lower() == "flexible":
        raise errors.connection_info_flexible()
    primary = next((n for n in nic_configurations if n.primary), None)
    if primary is None:
        raise errors.connection_info_no_primary_nic()
    reference = None
    for ip_configuration in primary.ip_configurations:
        if ip_configuration.load_balancer_inbound_nat_pool_ids:
            reference = ip_configuration.load_balancer_inbound_nat_pool_ids[0]
            break
        if ip_configuration.load_balancer_backend_address_pool_ids:
            reference = ip_configuration.load_balancer_backend_address_pool_ids[0]
            break
    if not reference:
        raise errors.connection_info_no_load_balancer()
    lb = load_balancer_by_id(parent_of(reference))
    frontend = lb.frontend_ip_configurations[0] if lb.frontend_ip_configurations else None
    if frontend is None or not frontend.public_ip_address_id:
        raise errors.connection_info_internal_load_balancer()
    address = public_ip_by_id(frontend.public_ip_address_id).ip_address
    return _connection_info_from_load_balancer(lb, address)


def _connection_info_from_load_balancer(lb: LoadBalancer, address: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for rule in lb.inbound_nat_rules:
        if not rule.backend_ip_configuration_id:
            break  # a rule without a backend IP configuration: the load balancer uses NAT rule V2
        found[f"instance {child_name_1(rule.backend_ip_configuration_id)}"] = _address_text(address, rule.frontend_port)
    else:
        return found
    for pool in lb.backend_address_pools:
        if not pool.load_balancer_backend_addresses:
            raise errors.connection_info_empty_backend_pool()
        for member in pool.load_balancer_backend_addresses:
            if not member.network_interface_ip_configuration_id:
                continue
            if not member.inbound_nat_rules_port_mapping:
                continue
            instance = child_name_1(member.network_interface_ip_configuration_id)
            found[f"instance {instance}"] = _address_text(address, member.inbound_nat_rules_port_mapping[0].frontend_port)
    return found


@dataclass(frozen=True)
class FlexibleVmEndpoints:
    """What the Flexible equivalent needs of one VM: its name, its primary NIC IP configuration, and
    the public IP attached to it (if any)."""

    vm_name: str
    nic_ip_configuration_id: str
    public_ip: PublicIPAddress | None = None


def flexible_connection_info(vms: Iterable[FlexibleVmEndpoints], load_balancers: Iterable[LoadBalancer],
                             public_ip_by_id: Callable[[str], PublicIPAddress],
                             ssh_port: int = 22) -> dict[str, str]:
    """The Flexible equivalent az does not offer: each VM's way in, under the same `"instance {name}"` keys.

    A VM with its own public IP (seed 003's `newvm`) is reached at that address on `ssh_port` (22 for
    Linux, 3389 for Windows); otherwise through the first NAT rule V2 mapping a Standard load balancer
    lists for its NIC, at the load balancer's public IP. A VM with neither is left out, as az leaves
    out instances without a mapping.
    """
    mappings: dict[str, str] = {}
    for lb in load_balancers:
        frontend = lb.frontend_ip_configurations[0] if lb.frontend_ip_configurations else None
        if frontend is None or not frontend.public_ip_address_id:
            continue
        address = public_ip_by_id(frontend.public_ip_address_id).ip_address
        for pool in lb.backend_address_pools:
            for member in pool.load_balancer_backend_addresses:
                if member.inbound_nat_rules_port_mapping:
                    mappings.setdefault(member.network_interface_ip_configuration_id.lower(), _address_text(
                        address, member.inbound_nat_rules_port_mapping[0].frontend_port))
    found: dict[str, str] = {}
    for vm in sorted(vms, key=lambda v: instance_sort_key(v.vm_name)):
        if vm.public_ip is not None and vm.public_ip.ip_address:
            found[f"instance {vm.vm_name}"] = _address_text(vm.public_ip.ip_address, ssh_port)
        elif vm.nic_ip_configuration_id.lower() in mappings:
            found[f"instance {vm.vm_name}"] = mappings[vm.nic_ip_configuration_id.lower()]
    return found
