"""Microsoft.Network resources as frozen values: virtual networks, NICs, public IPs, load balancers, NSGs.

Field names follow the ARM properties (api-version 2024-05-01 of the network spec, as the
azure-mgmt-network models carry them) in snake_case; references to other resources are ARM ids.
The emulator stores these, the codecs turn them into Azure's JSON, and the rules in `nat`,
`addresses`, `security` and `connection` read them. Sources: docs/emulator-fidelity.md,
"## Networking (issue 14)".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class IPAllocationMethod(StrEnum):
    STATIC = "Static"
    DYNAMIC = "Dynamic"


class Sku(StrEnum):
    """Public IP and load balancer SKU name."""

    BASIC = "Basic"
    STANDARD = "Standard"


class TransportProtocol(StrEnum):
    """Protocol of load-balancing rules, NAT pools and NAT rules."""

    TCP = "Tcp"
    UDP = "Udp"
    ALL = "All"


class ProbeProtocol(StrEnum):
    TCP = "Tcp"
    HTTP = "Http"
    HTTPS = "Https"


def network_id(subscription_id: str, resource_group: str, resource_type: str, name: str) -> str:
    """The ARM id of a top-level Microsoft.Network resource (`virtualNetworks`, `loadBalancers`, ...)."""
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Network/"
            f"{resource_type}/{name}")


def child_id(parent_id: str, collection: str, name: str) -> str:
    """The id of a child resource (`subnets`, `backendAddressPools`, ...) of a network resource."""
    return f"{parent_id}/{collection}/{name}"


def last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def parent_of(resource_id: str) -> str:
    """The id of the resource a child id belongs to (strip `/collection/name`)."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[:-2])


# --- Virtual networks --------------------------------------------------------------------------

@dataclass(frozen=True)
class Subnet:
    name: str
    address_prefix: str
    network_security_group_id: str | None = None


@dataclass(frozen=True)
class VirtualNetwork:
    name: str
    location: str
    address_prefixes: tuple[str, ...]
    subnets: tuple[Subnet, ...] = ()

    def subnet(self, name: str) -> Subnet | None:
        return next((s for s in self.subnets if s.name.lower() == name.lower()), None)


# --- Public IP addresses -----------------------------------------------------------------------

DNS_ZONE_SUFFIX = "cloudapp.azure.com"


def public_fqdn(domain_name_label: str, location: str) -> str:
    """`{label}.{location}.cloudapp.azure.com`: the regional DNS name Azure gives a labelled public IP."""
    return f"{domain_name_label.lower()}.{location.replace(' ', '').lower()}.{DNS_ZONE_SUFFIX}"


@dataclass(frozen=True)
class PublicIPAddress:
    name: str
    location: str
    sku: Sku = Sku.BASIC
    allocation_method: IPAllocationMethod = IPAllocationMethod.DYNAMIC
    ip_address: str | None = None
    """Static: set at creation. Dynamic: set while attached to a running resource, else absent."""
    domain_name_label: str | None = None
    idle_timeout_in_minutes: int = 4
    ip_configuration_id: str | None = None
    """The NIC IP configuration or load-balancer frontend that uses this address."""

    @property
    def fqdn(self) -> str | None:
        return public_fqdn(self.domain_name_label, self.location) if self.domain_name_label else None


# --- Network interfaces ------------------------------------------------------------------------

@dataclass(frozen=True)
class NicIpConfiguration:
    name: str
    subnet_id: str
    private_ip_address: str | None = None
    private_ip_allocation_method: IPAllocationMethod = IPAllocationMethod.DYNAMIC
    primary: bool = True
    public_ip_address_id: str | None = None
    load_balancer_backend_address_pool_ids: tuple[str, ...] = ()
    load_balancer_inbound_nat_pool_ids: tuple[str, ...] = ()
    load_balancer_inbound_nat_rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkInterface:
    name: str
    ip_configurations: tuple[NicIpConfiguration, ...]
    network_security_group_id: str | None = None
    primary: bool = True
    virtual_machine_id: str | None = None

    @property
    def primary_ip_configuration(self) -> NicIpConfiguration | None:
        return next((c for c in self.ip_configurations if c.primary), None) or \
            (self.ip_configurations[0] if self.ip_configurations else None)


def scale_set_nic_ip_configuration_id(scale_set_id: str, instance_id: str, nic_name: str,
                                      ip_config_name: str) -> str:
    """The id of a Uniform instance's NIC IP configuration, as load balancers refer to it.

    `.../virtualMachineScaleSets/{set}/virtualMachines/{instanceId}/networkInterfaces/{nic}/ipConfigurations/{c}`:
    az reads the instance id back as the resource id's `child_name_1`.
    """
    return (f"{scale_set_id}/virtualMachines/{instance_id}/networkInterfaces/{nic_name}/"
            f"ipConfigurations/{ip_config_name}")


# --- Load balancers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FrontendIPConfiguration:
    name: str
    public_ip_address_id: str | None = None
    subnet_id: str | None = None
    """Internal frontends sit in a subnet and take a private address instead of a public IP."""
    private_ip_address: str | None = None


@dataclass(frozen=True)
class NatRulePortMapping:
    """One backend member's port on one NAT rule V2 (`inboundNatRulesPortMapping[]`)."""

    inbound_nat_rule_name: str
    frontend_port: int
    backend_port: int


@dataclass(frozen=True)
class LoadBalancerBackendAddress:
    """A member of a backend pool as the pool reports it (`loadBalancerBackendAddresses[]`)."""

    name: str
    network_interface_ip_configuration_id: str
    inbound_nat_rules_port_mapping: tuple[NatRulePortMapping, ...] = ()


@dataclass(frozen=True)
class BackendAddressPool:
    name: str
    backend_ip_configuration_ids: tuple[str, ...] = ()
    """The NIC IP configurations that joined the pool (`backendIPConfigurations[]`)."""
    load_balancer_backend_addresses: tuple[LoadBalancerBackendAddress, ...] = ()
    """With a NAT rule V2 on a Standard load balancer: each member with its port mappings."""


@dataclass(frozen=True)
class Probe:
    name: str
    protocol: ProbeProtocol
    port: int
    interval_in_seconds: int = 15
    number_of_probes: int = 2
    request_path: str | None = None


@dataclass(frozen=True)
class LoadBalancingRule:
    name: str
    frontend_ip_configuration_name: str
    backend_address_pool_name: str
    protocol: TransportProtocol
    frontend_port: int
    backend_port: int
    probe_name: str | None = None
    idle_timeout_in_minutes: int = 4
    enable_floating_ip: bool = False


@dataclass(frozen=True)
class InboundNatPool:
    """NAT rule "V1" for scale sets: Azure creates one `InboundNatRule` per instance NIC from the range."""

    name: str
    frontend_ip_configuration_name: str
    protocol: TransportProtocol
    frontend_port_range_start: int
    frontend_port_range_end: int
    backend_port: int
    idle_timeout_in_minutes: int = 4
    enable_floating_ip: bool = False

    @property
    def size(self) -> int:
        return self.frontend_port_range_end - self.frontend_port_range_start + 1


@dataclass(frozen=True)
class InboundNatRule:
    """An inbound NAT rule: single-VM (frontend_port + backend IP configuration), created from a NAT pool
    (the same, and `created_from_pool` names the pool), or V2 (a port range and a backend pool)."""

    name: str
    frontend_ip_configuration_name: str
    protocol: TransportProtocol
    backend_port: int
    frontend_port: int | None = None
    backend_ip_configuration_id: str | None = None
    frontend_port_range_start: int | None = None
    frontend_port_range_end: int | None = None
    backend_address_pool_name: str | None = None
    created_from_pool: str | None = None
    idle_timeout_in_minutes: int = 4
    enable_floating_ip: bool = False

    @property
    def is_v2(self) -> bool:
        return self.backend_address_pool_name is not None

    @property
    def size(self) -> int:
        if self.frontend_port_range_start is None or self.frontend_port_range_end is None:
            return 0
        return self.frontend_port_range_end - self.frontend_port_range_start + 1


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    location: str
    id: str | None = None
    """The ARM id, when the caller knows it (error messages name it)."""
    sku: Sku = Sku.BASIC
    frontend_ip_configurations: tuple[FrontendIPConfiguration, ...] = ()
    backend_address_pools: tuple[BackendAddressPool, ...] = ()
    probes: tuple[Probe, ...] = ()
    load_balancing_rules: tuple[LoadBalancingRule, ...] = ()
    inbound_nat_pools: tuple[InboundNatPool, ...] = ()
    inbound_nat_rules: tuple[InboundNatRule, ...] = ()

    def pool(self, name: str) -> BackendAddressPool | None:
        return next((p for p in self.backend_address_pools if p.name.lower() == name.lower()), None)

    def nat_pool(self, name: str) -> InboundNatPool | None:
        return next((p for p in self.inbound_nat_pools if p.name.lower() == name.lower()), None)

    def nat_rule(self, name: str) -> InboundNatRule | None:
        return next((r for r in self.inbound_nat_rules if r.name.lower() == name.lower()), None)

    def child(self, collection: str, name: str) -> str:
        """The id (or, without an id, the path) of a child such as `inboundNatPools/{name}`."""
        return child_id(self.id or f"loadBalancers/{self.name}", collection, name)

    def with_pool(self, pool: BackendAddressPool) -> LoadBalancer:
        pools = tuple(pool if p.name.lower() == pool.name.lower() else p for p in self.backend_address_pools)
        return replace(self, backend_address_pools=pools)


# --- Network security groups -------------------------------------------------------------------

class SecurityRuleDirection(StrEnum):
    INBOUND = "Inbound"
    OUTBOUND = "Outbound"


class SecurityRuleAccess(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class SecurityRuleProtocol(StrEnum):
    TCP = "Tcp"
    UDP = "Udp"
    ICMP = "Icmp"
    ESP = "Esp"
    AH = "Ah"
    ANY = "*"


@dataclass(frozen=True)
class SecurityRule:
    name: str
    priority: int
    direction: SecurityRuleDirection
    access: SecurityRuleAccess
    protocol: SecurityRuleProtocol
    destination_port_range: str = "*"
    source_port_range: str = "*"
    source_address_prefix: str = "*"
    destination_address_prefix: str = "*"
    description: str | None = None


@dataclass(frozen=True)
class NetworkSecurityGroup:
    name: str
    location: str
    security_rules: tuple[SecurityRule, ...] = ()
    default_security_rules: tuple[SecurityRule, ...] = field(default_factory=lambda: DEFAULT_SECURITY_RULES)


DEFAULT_SECURITY_RULES: tuple[SecurityRule, ...] = (
    SecurityRule("AllowVnetInBound", 65000, SecurityRuleDirection.INBOUND, SecurityRuleAccess.ALLOW,
                 SecurityRuleProtocol.ANY, source_address_prefix="VirtualNetwork",
                 destination_address_prefix="VirtualNetwork",
                 description="Allow inbound traffic from all VMs in VNET"),
    SecurityRule("AllowAzureLoadBalancerInBound", 65001, SecurityRuleDirection.INBOUND, SecurityRuleAccess.ALLOW,
                 SecurityRuleProtocol.ANY, source_address_prefix="AzureLoadBalancer",
                 description="Allow inbound traffic from azure load balancer"),
    SecurityRule("DenyAllInBound", 65500, SecurityRuleDirection.INBOUND, SecurityRuleAccess.DENY,
                 SecurityRuleProtocol.ANY, description="Deny all inbound traffic"),
    SecurityRule("AllowVnetOutBound", 65000, SecurityRuleDirection.OUTBOUND, SecurityRuleAccess.ALLOW,
                 SecurityRuleProtocol.ANY, source_address_prefix="VirtualNetwork",
                 destination_address_prefix="VirtualNetwork",
                 description="Allow outbound traffic from all VMs to all VMs in VNET"),
    SecurityRule("AllowInternetOutBound", 65001, SecurityRuleDirection.OUTBOUND, SecurityRuleAccess.ALLOW,
                 SecurityRuleProtocol.ANY, destination_address_prefix="Internet",
                 description="Allow outbound traffic from all VMs to Internet"),
    SecurityRule("DenyAllOutBound", 65500, SecurityRuleDirection.OUTBOUND, SecurityRuleAccess.DENY,
                 SecurityRuleProtocol.ANY, description="Deny all outbound traffic"),
)
"""The six rules Azure adds to every network security group (`defaultSecurityRules`)."""
