"""What `az vmss create` builds for networking, as a pure plan from its options.

Read from azure-cli: `create_vmss` (vm/custom.py), the validators that run before it
(`_validate_vm_vmss_create_vnet`, `_validate_vmss_create_subnet`, `_subnet_capacity_check`,
`_validate_vmss_create_load_balancer_or_app_gateway`, `_validate_vmss_create_public_ip`,
`process_vmss_create_namespace`) and the template builders (`build_vnet_resource`,
`build_public_ip_resource`, `build_load_balancer_resource`, `build_nsg_resource`,
`build_vmss_resource`). Sources and the choices made where az consults Azure are in
docs/emulator-fidelity.md, "Networking (issue 14)". Application gateways are not planned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import AzureError
from . import errors
from .models import Sku, VirtualNetwork
from .nat import AZ_FRONTEND_PORT_RANGE_START, az_frontend_port_range_end
from .security import az_nsg_rule

DEFAULT_VNET_ADDRESS_PREFIX = "10.0.0.0/16"
FRONTEND_IP_NAME = "loadBalancerFrontEnd"
DEFAULT_NAT_RULE_NAME = "NatRule"
INSTANCE_PUBLIC_IP_NAME = "instancepublicip"


def _usage_error(message: str, code: str = "ArgumentUsageError") -> AzureError:
    error = errors.AzCliError(message, code=code)
    error.nothing_sent = True
    return error


@dataclass(frozen=True)
class CreateNetworkOptions:
    """The networking options of `az vmss create`, with az's defaults.

    For `load_balancer`, `public_ip_address` and `nsg`, None means "az's default" and the empty string
    means "none" (`--lb ""`), as in az.
    """

    name: str
    orchestration_mode: str = "Uniform"
    instance_count: int = 2
    os_type: str = "linux"
    location: str = "eastus"
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    resource_group: str = "rg"
    vnet_name: str | None = None
    subnet: str | None = None
    vnet_address_prefix: str = DEFAULT_VNET_ADDRESS_PREFIX
    subnet_address_prefix: str | None = None
    load_balancer: str | None = None
    backend_pool_name: str | None = None
    lb_sku: str | None = None
    nat_pool_name: str | None = None
    nat_rule_name: str | None = None
    backend_port: int | None = None
    public_ip_address: str | None = None
    public_ip_address_allocation: str | None = None
    public_ip_address_dns_name: str | None = None
    public_ip_per_vm: bool = False
    vm_domain_name: str | None = None
    nsg: str | None = None
    disable_overprovision: bool | None = None
    single_placement_group: bool | None = None
    zones: tuple[str, ...] = ()
    existing_vnets: tuple[VirtualNetwork, ...] = ()
    """Virtual networks already in the resource group (az searches them when no --vnet-name/--subnet)."""
    existing_load_balancers: Mapping[str, ExistingLoadBalancer] = field(default_factory=dict)
    existing_public_ips: frozenset[str] = frozenset()
    existing_nsgs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExistingLoadBalancer:
    """What az reads of a load balancer named by --lb that already exists."""

    backend_pool_names: tuple[str, ...] = ()
    nat_pool_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class VnetPlan:
    name: str
    subnet_name: str
    new: bool
    address_prefix: str | None = None
    subnet_address_prefix: str | None = None


@dataclass(frozen=True)
class PublicIpPlan:
    name: str
    allocation_method: str
    sku: str | None
    domain_name_label: str | None
    new: bool


@dataclass(frozen=True)
class NatPoolPlan:
    name: str
    frontend_port_range_start: int
    frontend_port_range_end: int
    backend_port: int
    protocol: str = "Tcp"


@dataclass(frozen=True)
class NatRuleV2Plan:
    name: str
    frontend_port_range_start: int
    frontend_port_range_end: int
    backend_port: int
    backend_pool_name: str
    protocol: str = "Tcp"


@dataclass(frozen=True)
class LoadBalancingRulePlan:
    name: str
    frontend_port: int
    backend_port: int
    protocol: str = "Tcp"
    idle_timeout_in_minutes: int = 5
    enable_floating_ip: bool = False


@dataclass(frozen=True)
class LoadBalancerPlan:
    name: str
    new: bool
    sku: str | None
    """None: az sends no SKU and Azure makes it Basic."""
    backend_pool_name: str
    frontend_ip_name: str = FRONTEND_IP_NAME
    public_ip: PublicIpPlan | None = None
    nat_pool: NatPoolPlan | None = None
    nat_rule: NatRuleV2Plan | None = None
    load_balancing_rule: LoadBalancingRulePlan | None = None

    @property
    def effective_sku(self) -> str:
        return self.sku or Sku.BASIC.value


@dataclass(frozen=True)
class NsgPlan:
    name: str
    new: bool
    rule_name: str | None = None
    rule_port: int | None = None


@dataclass(frozen=True)
class InstancePublicIpPlan:
    name: str = INSTANCE_PUBLIC_IP_NAME
    idle_timeout_in_minutes: int = 10
    domain_name_label: str | None = None


@dataclass(frozen=True)
class NetworkPlan:
    """Everything `az vmss create` creates or references for networking."""

    vnet: VnetPlan
    load_balancer: LoadBalancerPlan | None
    nsg: NsgPlan | None
    nic_name: str
    ip_config_name: str
    instance_public_ip: InstancePublicIpPlan | None
    backend_port: int
    warnings: tuple[str, ...] = ()


def hash_string(value: str, length: int = 16, force_lower: bool = False) -> str:
    """azure-cli's `hash_string`: the SHA-256 hex digest, repeated to `length`, cut to `length`."""
    digest = hashlib.sha256(value.encode()).hexdigest()
    digest = digest.lower() if force_lower else digest
    while len(digest) < length:
        digest += digest
    return digest[:length]


def naming_prefix(subscription_id: str, resource_group: str, name: str) -> str:
    """az's 9-character prefix of the NIC and IP configuration names: 5 letters of the name + a hash of the id."""
    scale_set_id = (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
                    f"Microsoft.Compute/virtualMachineScaleSets/{name}")
    scrubbed = name.replace("-", "").lower()[:5]
    return scrubbed + hash_string(scale_set_id, length=9 - len(scrubbed), force_lower=True)


def subnet_has_room(prefix_length: int, instance_count: int, overprovision: bool) -> bool:
    """az's `_subnet_capacity_check`: `2**(32-mask) - 2 > count * (1.5 if overprovision else 1)`."""
    factor = 1.5 if overprovision else 1
    return (1 << (32 - prefix_length)) - 2 > int(instance_count * factor)


def default_subnet_prefix(vnet_prefix: str, instance_count: int, overprovision: bool) -> str:
    """az's `_validate_vmss_create_subnet`: the vnet's first address with the largest mask from /24 down
    to /17 that holds the instances (az stops at /17 even when that is too small)."""
    address = vnet_prefix.split("/", 1)[0]
    length = 24
    for length in range(24, 16, -1):
        if subnet_has_room(length, instance_count, overprovision):
            break
    return f"{address}/{length}"


def plan_network(options: CreateNetworkOptions) -> NetworkPlan:
    """The networking `az vmss create` would build for these options (see the module docstring)."""
    flexible = options.orchestration_mode.lower() == "flexible"
    lb_sku = options.lb_sku
    single_placement_group = options.single_placement_group
    disable_overprovision = options.disable_overprovision
    warnings: list[str] = []
    if flexible:
        lb_sku = "Standard"
        if single_placement_group:
            raise _usage_error("usage error: --single-placement-group can only be set to False for Flex mode")
        single_placement_group = False
        if options.disable_overprovision is not None:
            raise _usage_error("usage error: --disable-overprovision is not supported for Flex mode")
        if options.nat_pool_name is not None:
            raise errors.flex_nat_pool_usage_error()
    else:
        if disable_overprovision is None:
            disable_overprovision = False
        if options.zones or options.instance_count > 100:
            if single_placement_group is None:
                single_placement_group = False
        if not options.public_ip_per_vm and options.vm_domain_name:
            raise _usage_error("usage error: --vm-domain-name can only be used when --public-ip-per-vm is enabled")

    vnet = _plan_vnet(options, overprovision=not disable_overprovision)
    load_balancer_name = options.load_balancer if options.load_balancer else f"{options.name}LB"
    load_balancer_type = _load_balancer_type(options)
    backend_pool_name = options.backend_pool_name
    nat_pool_name = options.nat_pool_name
    if load_balancer_type == "existing":
        existing = options.existing_load_balancers[options.load_balancer or ""]
        backend_pool_name = backend_pool_name or _only_value(existing.backend_pool_names, "--backend-pool-name")
        if not nat_pool_name:
            if len(existing.nat_pool_names) > 1:
                raise _usage_error("Multiple possible values found for '--nat-pool-name': "
                                   f"{', '.join(existing.nat_pool_names)}\nSpecify '--nat-pool-name' explicitly.",
                                   code="CLIError")
            if existing.nat_pool_names:
                nat_pool_name = existing.nat_pool_names[0]
            else:
                warnings.append(f"No inbound nat pool was configured on '{options.load_balancer}'")
    if load_balancer_type == "new" and single_placement_group is False:
        if lb_sku is None:
            lb_sku = "Standard"
        elif lb_sku.lower() == "basic":
            if options.zones:
                raise errors.standard_lb_required("for zonal scale-sets")
            if options.instance_count > 100:
                raise errors.standard_lb_required("for scale-sets with 100+ instances")
            raise errors.standard_lb_required("because 'single placement group' is turned off")
    if lb_sku and lb_sku.lower() == "basic":
        warnings.append("It's recommended to create with `--lb-sku Standard`. Please be aware that Basic option will "
                        "be removed in the future.")
    backend_pool_name = backend_pool_name or f"{load_balancer_name}BEPool"

    public_ip_type = _public_ip_type(options, load_balancer_type)
    backend_port = options.backend_port or (3389 if options.os_type.lower() == "windows" else 22)
    load_balancer: LoadBalancerPlan | None = None
    nsg: NsgPlan | None = None
    if options.nsg:
        nsg = NsgPlan(name=options.nsg, new=options.nsg not in options.existing_nsgs)
    if load_balancer_type == "new":
        public_ip = None
        if public_ip_type is not None:
            pip_name = options.public_ip_address or f"{load_balancer_name}PublicIP"
            allocation = options.public_ip_address_allocation or (
                "Static" if lb_sku and lb_sku.lower() == "standard" else "Dynamic")
            public_ip = PublicIpPlan(pip_name, allocation, lb_sku, options.public_ip_address_dns_name,
                                     new=public_ip_type == "new")
        if options.nat_rule_name and nat_pool_name:
            raise errors.mutually_exclusive_nat_names()
        is_basic = not lb_sku or lb_sku.lower() != "standard"
        if flexible:
            nat_pool_name = None
        elif nat_pool_name or (not options.nat_rule_name and is_basic):
            nat_pool_name = nat_pool_name or f"{load_balancer_name}NatPool"
        end = az_frontend_port_range_end(options.instance_count, disable_overprovision)
        nat_pool = NatPoolPlan(nat_pool_name, AZ_FRONTEND_PORT_RANGE_START, end, backend_port) \
            if nat_pool_name else None
        nat_rule = None
        if not nat_pool_name:
            if options.nat_rule_name and is_basic:
                warnings.append('Since the basic SKU of load balancer cannot fully support NAT rule V2, it is '
                                'recommended to specify "--lb-sku Standard" to use standard SKU instead.')
            nat_rule = NatRuleV2Plan(options.nat_rule_name or DEFAULT_NAT_RULE_NAME, AZ_FRONTEND_PORT_RANGE_START,
                                     end, backend_port, backend_pool_name)
        standard = bool(lb_sku) and lb_sku.lower() == "standard"
        load_balancer = LoadBalancerPlan(
            name=load_balancer_name, new=True, sku=lb_sku, backend_pool_name=backend_pool_name, public_ip=public_ip,
            nat_pool=nat_pool, nat_rule=nat_rule,
            load_balancing_rule=LoadBalancingRulePlan("LBRule", 80, 80) if standard else None)
        if standard and options.nsg is None and options.os_type:
            # create_vmss passes 'rdp'/'ssh' in lower case; build_nsg_resource tests for 'RDP'.
            rule = az_nsg_rule("rdp" if options.os_type.lower() == "windows" else "ssh")
            nsg = NsgPlan(name=f"{options.name}NSG", new=True, rule_name=rule.name if rule else None,
                          rule_port=int(rule.destination_port_range) if rule else None)
    elif load_balancer_type == "existing":
        load_balancer = LoadBalancerPlan(
            name=load_balancer_name, new=False, sku=lb_sku, backend_pool_name=backend_pool_name,
            nat_pool=NatPoolPlan(nat_pool_name, 0, 0, backend_port) if nat_pool_name else None)

    prefix = naming_prefix(options.subscription_id, options.resource_group, options.name)
    instance_public_ip = InstancePublicIpPlan(domain_name_label=options.vm_domain_name) \
        if options.public_ip_per_vm else None
    return NetworkPlan(vnet=vnet, load_balancer=load_balancer, nsg=nsg, nic_name=f"{prefix}Nic",
                       ip_config_name=f"{prefix}IPConfig", instance_public_ip=instance_public_ip,
                       backend_port=backend_port, warnings=tuple(warnings))


def _only_value(values: Sequence[str], option: str) -> str:
    if len(values) > 1:
        raise _usage_error(f"Multiple possible values found for '{option}': {', '.join(values)}\n"
                           f"Specify '{option}' explicitly.", code="CLIError")
    if not values:
        raise _usage_error(f"No existing values found for '{option}'. Create one first and try again.",
                           code="CLIError")
    return values[0]


def _plan_vnet(options: CreateNetworkOptions, overprovision: bool) -> VnetPlan:
    vnet_name, subnet = options.vnet_name, options.subnet
    if vnet_name and "/" in vnet_name:
        raise _usage_error("incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME", code="CLIError")
    if not vnet_name and not subnet:
        for candidate in options.existing_vnets:
            if candidate.location.lower() != options.location.lower() or not candidate.subnets:
                continue
            match = next((s for s in candidate.subnets if s.name.lower() != "gatewaysubnet" and subnet_has_room(
                int(s.address_prefix.split("/")[-1]), options.instance_count, overprovision)), None)
            if match is not None:
                return VnetPlan(name=candidate.name, subnet_name=match.name, new=False)
    if subnet:
        subnet_is_id = subnet.startswith("/subscriptions/")
        if subnet_is_id == bool(vnet_name):
            raise _usage_error("incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME", code="CLIError")
        if subnet_is_id:
            return VnetPlan(name=subnet.split("/virtualNetworks/")[-1].split("/")[0], subnet_name=subnet.rsplit(
                "/", 1)[-1], new=False)
        existing = next((v for v in options.existing_vnets if v.name.lower() == (vnet_name or "").lower()), None)
        if existing is not None and existing.subnet(subnet) is not None:
            return VnetPlan(name=existing.name, subnet_name=subnet, new=False)
    name = vnet_name or f"{options.name}VNET"
    subnet_name = subnet or f"{options.name}Subnet"
    subnet_prefix = options.subnet_address_prefix or default_subnet_prefix(
        options.vnet_address_prefix, options.instance_count, overprovision)
    return VnetPlan(name=name, subnet_name=subnet_name, new=True, address_prefix=options.vnet_address_prefix,
                    subnet_address_prefix=subnet_prefix)


def _load_balancer_type(options: CreateNetworkOptions) -> str | None:
    if options.load_balancer == "":
        return None
    if options.load_balancer is None:
        return "new"
    return "existing" if options.load_balancer in options.existing_load_balancers else "new"


def _public_ip_type(options: CreateNetworkOptions, load_balancer_type: str | None) -> str | None:
    if load_balancer_type is None:
        if options.public_ip_address:
            raise _usage_error("--public-ip-address can only be used when creating a new load balancer or "
                               "application gateway frontend.", code="CLIError")
        return None
    if options.public_ip_address == "":
        return None
    if options.public_ip_address is None:
        return "new"
    return "existing" if options.public_ip_address in options.existing_public_ips else "new"


# --- `az vm create` (a VM added to a Flexible set: `add-vm`) -----------------------------------

@dataclass(frozen=True)
class VmNetworkOptions:
    """The networking options of `az vm create`, with az's defaults (None = az's default, "" = none)."""

    name: str
    os_type: str = "linux"
    location: str = "eastus"
    vnet_name: str | None = None
    subnet: str | None = None
    vnet_address_prefix: str = DEFAULT_VNET_ADDRESS_PREFIX
    subnet_address_prefix: str = "10.0.0.0/24"
    private_ip_address: str | None = None
    nsg: str | None = None
    nsg_rule: str | None = None
    """`SSH`, `RDP` or `NONE`; None: RDP for Windows, SSH otherwise."""
    public_ip_address: str | None = None
    public_ip_sku: str | None = None
    public_ip_address_allocation: str | None = None
    public_ip_address_dns_name: str | None = None
    existing_vnets: tuple[VirtualNetwork, ...] = ()
    existing_public_ips: frozenset[str] = frozenset()
    existing_nsgs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class VmNetworkPlan:
    vnet: VnetPlan
    nic_name: str
    ip_config_name: str
    private_ip_allocation_method: str
    private_ip_address: str | None
    nsg: NsgPlan | None
    public_ip: PublicIpPlan | None


def plan_vm_network(options: VmNetworkOptions) -> VmNetworkPlan:
    """What `az vm create` builds for networking: NIC `{vm}VMNic` with IP configuration `ipconfig{vm}`,
    the first existing subnet of the group's virtual networks in the location (or `{vm}VNET`/`{vm}Subnet`,
    10.0.0.0/16 and 10.0.0.0/24), NSG `{vm}NSG` with az's SSH or RDP rule, public IP `{vm}PublicIP`."""
    vnet = _plan_vm_vnet(options)
    nsg = None
    if options.nsg != "":
        nsg_new = options.nsg is None or options.nsg not in options.existing_nsgs
        rule = None
        if nsg_new:
            kind = options.nsg_rule or ("RDP" if options.os_type.lower() == "windows" else "SSH")
            rule = az_nsg_rule(kind)
        nsg = NsgPlan(name=options.nsg or f"{options.name}NSG", new=nsg_new, rule_name=rule.name if rule else None,
                      rule_port=int(rule.destination_port_range) if rule else None)
    public_ip = None
    if options.public_ip_address != "":
        sku = options.public_ip_sku
        allocation = options.public_ip_address_allocation or (
            "Static" if sku and sku.lower() == "standard" else "Dynamic")
        public_ip = PublicIpPlan(
            name=options.public_ip_address or f"{options.name}PublicIP", allocation_method=allocation.capitalize(),
            sku=sku, domain_name_label=options.public_ip_address_dns_name,
            new=options.public_ip_address is None or options.public_ip_address not in options.existing_public_ips)
    return VmNetworkPlan(
        vnet=vnet, nic_name=f"{options.name}VMNic", ip_config_name=f"ipconfig{options.name}",
        private_ip_allocation_method="Static" if options.private_ip_address else "Dynamic",
        private_ip_address=options.private_ip_address, nsg=nsg, public_ip=public_ip)


def _plan_vm_vnet(options: VmNetworkOptions) -> VnetPlan:
    vnet_name, subnet = options.vnet_name, options.subnet
    if vnet_name and "/" in vnet_name:
        raise _usage_error("incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME", code="CLIError")
    if not vnet_name and not subnet:
        for candidate in options.existing_vnets:
            if candidate.location.lower() != options.location.lower() or not candidate.subnets:
                continue
            match = next((s for s in candidate.subnets if s.name.lower() != "gatewaysubnet"), None)
            if match is not None:
                return VnetPlan(name=candidate.name, subnet_name=match.name, new=False)
    if subnet:
        subnet_is_id = subnet.startswith("/subscriptions/")
        if subnet_is_id == bool(vnet_name):
            raise _usage_error("incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME", code="CLIError")
        if subnet_is_id:
            return VnetPlan(name=subnet.split("/virtualNetworks/")[-1].split("/")[0],
                            subnet_name=subnet.rsplit("/", 1)[-1], new=False)
        existing = next((v for v in options.existing_vnets if v.name.lower() == (vnet_name or "").lower()), None)
        if existing is not None and existing.subnet(subnet) is not None:
            return VnetPlan(name=existing.name, subnet_name=subnet, new=False)
        if existing is not None:  # az adds the missing subnet to the existing virtual network
            return VnetPlan(name=existing.name, subnet_name=subnet, new=True,
                            subnet_address_prefix=options.subnet_address_prefix)
    return VnetPlan(name=vnet_name or f"{options.name}VNET", subnet_name=subnet or f"{options.name}Subnet", new=True,
                    address_prefix=options.vnet_address_prefix, subnet_address_prefix=options.subnet_address_prefix)
