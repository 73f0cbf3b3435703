"""The errors Microsoft.Network answers with, built in one place.

Codes and texts are Azure's where a source shows them (docs/emulator-fidelity.md, "## Networking
(issue 14)", names the source of each); the few marked `emulator-defined` there had no source and
say so. Every builder returns an `AzureError` subclass, so front ends print `(Code) message`.
"""

from __future__ import annotations

from ..errors import AzureError, BadRequest, InvalidInputValue, ResourceNotFound
from ..names import shown


class NetworkBadRequest(BadRequest):
    """400 from the network resource provider: the request breaks one of its rules."""


class NetworkInUse(BadRequest):
    """400: a network resource is still used by another resource and cannot be deleted."""


def _bad_request(code: str, message: str, target: str | None = None) -> NetworkBadRequest:
    return NetworkBadRequest(message, code=code, target=target)


# --- Addresses ---------------------------------------------------------------------------------

def subnet_is_full(subnet_id: str, address_prefix: str, requested: int = 1) -> NetworkBadRequest:
    """No free private address is left in the subnet (scale-out, NIC create)."""
    return _bad_request(
        "SubnetIsFull",
        f"Subnet {subnet_id} with address prefix {address_prefix} does not have enough capacity "
        f"for {requested} IP addresses.",
        subnet_id)


def invalid_cidr_notation(prefix: str, resource_id: str, expected: str) -> NetworkBadRequest:
    """A prefix whose address has host bits set (10.0.0.1/24)."""
    return _bad_request(
        "InvalidCIDRNotation",
        f"The address prefix {shown(prefix)} in resource {resource_id} has an invalid CIDR notation. For the "
        f"given prefix length, the address prefix should be {expected}.",
        resource_id)


def invalid_address_prefix_format(prefix: str, resource_id: str) -> NetworkBadRequest:
    """A prefix that is not an IPv4 CIDR at all."""
    return _bad_request("InvalidAddressPrefixFormat",
                        f"Address prefix {shown(prefix)} of resource {resource_id} is not formatted correctly. "
                        "It should follow CIDR notation, for example 10.0.0.0/24.", resource_id)


def subnet_range_outside_vnet(subnet: str, vnet: str) -> NetworkBadRequest:
    return _bad_request(
        "NetcfgSubnetRangeOutsideVnet",
        f"Subnet '{shown(subnet)}' is not valid because its IP address range is outside the IP address range "
        f"of virtual network '{shown(vnet)}'.", subnet)


def subnet_ranges_overlap(subnet: str, vnet: str) -> NetworkBadRequest:
    return _bad_request(
        "NetcfgSubnetRangesOverlap",
        f"Subnet '{shown(subnet)}' is not valid because its IP address range overlaps with that of an existing "
        f"subnet in virtual network '{shown(vnet)}'.", subnet)


def invalid_subnet(subnet: str, vnet: str) -> NetworkBadRequest:
    """Azure's generic refusal of a subnet (used for a prefix smaller than /29)."""
    return _bad_request("NetcfgInvalidSubnet", f"Subnet '{shown(subnet)}' is not valid in virtual network '{shown(vnet)}'.",
                        subnet)


def private_ip_in_use(address: str, subnet_id: str, holder_id: str) -> NetworkBadRequest:
    return _bad_request(
        "PrivateIPAddressInUse",
        f"IP configuration is using the private IP address {shown(address)} in subnet {subnet_id}, which is already "
        f"allocated to resource {holder_id}.", address)


def private_ip_not_in_subnet(address: str, subnet_id: str) -> NetworkBadRequest:
    return _bad_request(
        "PrivateIPAddressNotInSubnet",
        f"IP configuration has private IP address {shown(address)} which is not within the subnet {subnet_id}.",
        address)


def private_ip_reserved(address: str, subnet_id: str) -> NetworkBadRequest:
    return _bad_request(
        "PrivateIPAddressInReservedRange",
        f"Private static IP address {shown(address)} falls within the reserved IP range of subnet {subnet_id}. Azure "
        "reserves the first four addresses and the last address of every subnet.", address)


# --- Deleting what is in use -------------------------------------------------------------------

def in_use_subnet_cannot_be_deleted(subnet: str, user_id: str) -> NetworkInUse:
    """Deleting a subnet (or its virtual network) that still holds an IP configuration."""
    return NetworkInUse(
        f"Subnet {subnet} is in use by {user_id} and cannot be deleted. In order to delete the subnet, delete all "
        "the resources within the subnet. See aka.ms/deletesubnet.",
        code="InUseSubnetCannotBeDeleted", target=subnet)


def public_ip_cannot_be_deleted(public_ip_id: str, user_id: str) -> NetworkInUse:
    return NetworkInUse(
        f"Public IP address {public_ip_id} can not be deleted since it is still allocated to resource {user_id}. "
        "In order to delete the public IP, disassociate/detach the Public IP address from the resource.  To learn "
        "how to do this, see aka.ms/deletepublicip.",
        code="PublicIPAddressCannotBeDeleted", target=public_ip_id)


def nsg_cannot_be_deleted(nsg_id: str, user_ids: tuple[str, ...]) -> NetworkInUse:
    return NetworkInUse(
        f"Network security group {nsg_id} cannot be deleted because it is in use by the following resources: "
        f"{', '.join(user_ids)}. In order to delete the Network security group, remove the association with the "
        "resource(s).",
        code="InUseNetworkSecurityGroupCannotBeDeleted", target=nsg_id)


def load_balancer_in_use_by_scale_set(lb_id: str, child_names: tuple[str, ...], scale_set_id: str) -> NetworkInUse:
    return NetworkInUse(
        f"Cannot delete load balancer {lb_id} since its child resources {', '.join(child_names)} are in use by "
        f"virtual machine scale set {scale_set_id}.",
        code="LoadBalancerInUseByVirtualMachineScaleSet", target=lb_id)


def nat_pool_in_use_by_scale_set(pool_name: str, scale_set_id: str) -> NetworkInUse:
    """Removing an inbound NAT pool a scale set's network profile still references."""
    return NetworkInUse(
        f"Cannot remove inbound nat pool {pool_name} from load balancer since it is in use by virtual machine scale "
        f"set {scale_set_id}.", code="LoadBalancerInboundNatPoolInUseByVirtualMachineScaleSet", target=pool_name)


def backend_pool_in_use_by_scale_set(pool_name: str, scale_set_id: str) -> NetworkInUse:
    """Removing a backend address pool a scale set's network profile still references."""
    return NetworkInUse(
        f"Cannot remove backend address pool {pool_name} from load balancer since it is in use by virtual machine "
        f"scale set {scale_set_id}", code="LoadBalancerBackendAddressPoolInUseByVirtualMachineScaleSet",
        target=pool_name)


# --- Load balancer rules and NAT ---------------------------------------------------------------

def nat_pool_range_too_small(pool_id: str, start: int, end: int, requested: int) -> NetworkBadRequest:
    """Scale-out of a Uniform set needs more frontend ports than its inbound NAT pool holds."""
    return _bad_request(
        "InboundNatPoolFrontendPortRangeSmallerThanRequestedPorts",
        f"Inbound NAT pool {pool_id} has frontend port range {start}-{end} ({end - start + 1} ports), which is "
        f"smaller than the {requested} ports requested for the virtual machines that use it.", pool_id)


def nat_rule_range_too_small(rule_id: str, start: int, end: int, requested: int) -> NetworkBadRequest:
    """Growing the backend pool of a NAT rule V2 beyond its frontend port range is blocked."""
    return _bad_request(
        "InboundNatRuleFrontendPortRangeSmallerThanRequestedPorts",
        f"Inbound NAT rule {rule_id} has frontend port range {start}-{end} ({end - start + 1} ports), which is "
        f"smaller than the {requested} ports requested for the members of its backend address pool.", rule_id)


def nat_rule_v2_missing_range(rule_id: str) -> NetworkBadRequest:
    return _bad_request("MissedInboundNatRuleV2Properties",
                        "For inbound Nat rule V2 properties FrontendPortRangeStart, FrontendPortRangeEnd should not be "
                        "null.", rule_id)


def nat_rule_port_and_range(rule_id: str, frontend_port: int) -> NetworkBadRequest:
    return _bad_request("UnsupportedSetOfInboundNatRulePropertiesWhenFrontendPortIsSpecified",
                        f"If FrontendPort {frontend_port} is set, properties FrontendPortRangeStart, "
                        "FrontendPortRangeEnd should be null.", rule_id)


def nat_rule_ranges_overlap(first_id: str, second_id: str) -> NetworkBadRequest:
    return _bad_request(
        "InboundNatRuleFrontendPortRangesOverlap",
        f"Inbound NAT rules {first_id} and {second_id} use overlapping frontend port ranges on the same frontend IP "
        "configuration.", second_id)


def rules_use_same_backend_port(first_id: str, second_id: str, protocol: str, backend_port: int,
                                pool_id: str) -> NetworkBadRequest:
    return _bad_request(
        "RulesUseSameBackendPortProtocolAndPool",
        f"Load balancing rules {first_id} and {second_id} with floating IP disabled use the same protocol {protocol} "
        f"and backend port {backend_port}, and must not be used with the same backend address pool {pool_id}.",
        second_id)


def different_sku_load_balancer_and_public_ip(lb_id: str, lb_sku: str, public_ip_id: str,
                                              public_ip_sku: str) -> NetworkBadRequest:
    return _bad_request(
        "DifferentSkuLoadBalancersAndPublicIPAddressNotAllowed",
        f"Load balancer {lb_id} of SKU {lb_sku} cannot reference public IP address {public_ip_id} of SKU "
        f"{public_ip_sku}: both SKUs must match.", lb_id)


def nat_pool_on_flexible_set(scale_set: str) -> NetworkBadRequest:
    """A Flexible set's network profile that references an inbound NAT pool (V1)."""
    return _bad_request(
        "InboundNatPoolNotSupportedForFlexibleOrchestrationMode",
        f"Virtual machine scale set '{scale_set}' uses Flexible orchestration mode, which does not support inbound "
        "NAT pools; use an inbound NAT rule with a backend address pool instead.", scale_set)


def invalid_network_value(message: str, target: str | None = None) -> InvalidInputValue:
    """400 `InvalidParameter` for a value Azure's network model does not allow (port, priority, protocol)."""
    return InvalidInputValue(message, target=target)


# --- What `az vmss list-instance-connection-info` says (az-side errors, no ARM code) -------------

class AzCliError(AzureError):
    """An error az itself raises after reading the resources; the code is az's error class name."""

    http_status = 400


def connection_info_flexible() -> AzCliError:
    return AzCliError('This command is not available for VMSS in Flex mode. Please use the "az network public-ip '
                      'list/show" to retrieve networking information.', code="ArgumentUsageError")


def connection_info_no_primary_nic() -> AzCliError:
    return AzCliError("could not find a primary NIC which is needed to search to load balancer", code="CLIError")


def connection_info_no_load_balancer() -> ResourceNotFound:
    return ResourceNotFound("No load balancer exists to retrieve public IP address", code="ResourceNotFoundError")


def connection_info_internal_load_balancer() -> AzCliError:
    return AzCliError("The VM scale-set uses an internal load balancer, hence no connection information",
                      code="CLIError")


def connection_info_empty_backend_pool() -> AzCliError:
    return AzCliError("There is no connection information. If you are using NAT rule V2, please confirm whether the "
                      "load balancer SKU is Standard", code="CLIError")


def flex_nat_pool_usage_error() -> AzCliError:
    """az's own refusal of `az vmss create --orchestration-mode Flexible --nat-pool-name ...`."""
    error = AzCliError("usage error: --nat-pool-name is not supported for Flex mode", code="ArgumentUsageError")
    error.nothing_sent = True
    return error


def mutually_exclusive_nat_names() -> AzCliError:
    error = AzCliError('Please do not pass in both "--nat-pool-name" and "--nat-rule-name" parameters at the same '
                       'time."--nat-rule-name" parameter is recommended', code="MutuallyExclusiveArgumentError")
    error.nothing_sent = True
    return error


def standard_lb_required(reason: str) -> AzCliError:
    error = AzCliError(f"usage error:'Standard' load balancer is required {reason}", code="CLIError")
    error.nothing_sent = True
    return error


# --- Network security groups -------------------------------------------------------------------

def security_rule_conflict(first: str, second: str) -> NetworkBadRequest:
    return _bad_request("SecurityRuleConflict",
                        f"Security rule {shown(first)} conflicts with rule {shown(second)}. Rules cannot have the same Priority and "
                        "Direction. To learn more, see aka.ms/nsgrules.", second)


def security_rule_invalid_priority(rule: str, priority: int) -> NetworkBadRequest:
    return _bad_request("SecurityRuleInvalidPriority",
                        f"Security rule {shown(rule)} has invalid Priority. Value provided: {priority} Allowed range 100-4096.",
                        rule)


def security_rule_invalid_port_range(rule: str, value: str) -> NetworkBadRequest:
    return _bad_request("SecurityRuleInvalidPortRange",
                        f"Security rule {shown(rule)} has invalid Port range. Value provided: {shown(value)}. Value should be an "
                        "integer OR integer range with '-' delimiter. Valid range 0-65535.", rule)
