"""Microsoft.Network resources as ARM JSON (api-version 2024-05-01) <-> domain.network values.

The one codec per network resource: the emulator stores what `*_to_arm` gives, the endpoint serves it,
and `*_from_arm` reads request bodies (and stored documents) back. Property names and shapes follow
azure-mgmt-network's generated models (`VirtualNetwork`, `Subnet`, `PublicIPAddress`, `LoadBalancer`
with `FrontendIPConfiguration`, `BackendAddressPool`, `LoadBalancerBackendAddress`, `Probe`,
`LoadBalancingRule`, `InboundNatPool`, `InboundNatRule`, `NetworkSecurityGroup`, `SecurityRule`,
`NetworkInterface`, `NetworkInterfaceIPConfiguration`); tests/network_provider checks them by
deserializing with those models. References between resources are `{"id": ...}` objects, as ARM has them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.errors import InvalidInputValue
from ..domain.network.models import (
    DEFAULT_SECURITY_RULES,
    BackendAddressPool,
    FrontendIPConfiguration,
    InboundNatPool,
    InboundNatRule,
    IPAllocationMethod,
    LoadBalancer,
    LoadBalancerBackendAddress,
    LoadBalancingRule,
    NatRulePortMapping,
    NetworkSecurityGroup,
    Probe,
    ProbeProtocol,
    PublicIPAddress,
    SecurityRule,
    SecurityRuleAccess,
    SecurityRuleDirection,
    SecurityRuleProtocol,
    Sku,
    Subnet,
    TransportProtocol,
    VirtualNetwork,
    child_id,
    last_segment,
    network_id,
)
from ..domain.network.names import validate_network_name

API_VERSION = "2024-05-01"
SUCCEEDED = "Succeeded"

VNET_TYPE = "Microsoft.Network/virtualNetworks"
PUBLIC_IP_TYPE = "Microsoft.Network/publicIPAddresses"
LB_TYPE = "Microsoft.Network/loadBalancers"
NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
NIC_TYPE = "Microsoft.Network/networkInterfaces"


def _ref(resource_id: str | None) -> dict[str, str] | None:
    return {"id": resource_id} if resource_id else None


def _ref_id(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    props = body.get("properties") or {}
    if not isinstance(props, Mapping):
        raise InvalidInputValue("'properties' must be an object.", target="properties")
    return props


def _list(value: Any, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise InvalidInputValue(f"'{what}' must be an array of objects.", target=what)
    return value


def _int(value: Any, what: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise InvalidInputValue(f"'{what}' must be an integer.", target=what)
    return value


def _choice(enum: Any, value: Any, what: str, default: Any) -> Any:
    if value is None:
        return default
    for member in enum:
        if isinstance(value, str) and member.value.lower() == value.lower():
            return member
    allowed = ", ".join(member.value for member in enum)
    raise InvalidInputValue(f"The value of '{what}' is not valid. Allowed values are {allowed}.", target=what)


def _child_name(item: Mapping[str, Any], what: str) -> str:
    name = item.get("name")
    if not isinstance(name, str):
        raise InvalidInputValue(f"Each of '{what}' needs a name.", target=what)
    return validate_network_name(name)


def _sku(body: Mapping[str, Any]) -> Sku:
    sku = body.get("sku") or {}
    return _choice(Sku, sku.get("name") if isinstance(sku, Mapping) else None, "sku.name", Sku.BASIC)


def _base(resource_id: str, name: str, resource_type: str, location: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": resource_id, "name": name, "type": resource_type}
    if location is not None:
        out["location"] = location
    return out


# --- Virtual networks --------------------------------------------------------------------------

def vnet_to_arm(vnet: VirtualNetwork, subscription_id: str, resource_group: str,
                ip_configurations: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """`ip_configurations`: subnet name (lower case) -> ids of the NIC IP configurations in it."""
    vnet_id = network_id(subscription_id, resource_group, "virtualNetworks", vnet.name)
    subnets = []
    for subnet in vnet.subnets:
        props: dict[str, Any] = {"provisioningState": SUCCEEDED, "addressPrefix": subnet.address_prefix}
        if subnet.network_security_group_id:
            props["networkSecurityGroup"] = _ref(subnet.network_security_group_id)
        held = (ip_configurations or {}).get(subnet.name.lower())
        if held:
            props["ipConfigurations"] = [{"id": i} for i in held]
        subnets.append({"id": child_id(vnet_id, "subnets", subnet.name), "name": subnet.name,
                        "type": f"{VNET_TYPE}/subnets", "properties": props})
    return {**_base(vnet_id, vnet.name, VNET_TYPE, vnet.location),
            "properties": {"provisioningState": SUCCEEDED, "addressSpace": {"addressPrefixes": list(vnet.address_prefixes)},
                           "subnets": subnets}}


def vnet_from_arm(body: Mapping[str, Any], name: str, location: str) -> VirtualNetwork:
    props = _props(body)
    space = props.get("addressSpace") or {}
    prefixes = space.get("addressPrefixes") if isinstance(space, Mapping) else None
    if not isinstance(prefixes, list) or not prefixes or not all(isinstance(p, str) for p in prefixes):
        raise InvalidInputValue("A virtual network needs addressSpace.addressPrefixes (one or more CIDR prefixes).",
                                target="addressSpace")
    subnets = []
    for item in _list(props.get("subnets"), "subnets"):
        sub_props = _props(item)
        prefix = sub_props.get("addressPrefix")
        if not isinstance(prefix, str):
            raise InvalidInputValue("Each subnet needs an addressPrefix.", target="subnets")
        subnets.append(Subnet(_child_name(item, "subnets"), prefix, _ref_id(sub_props.get("networkSecurityGroup"))))
    return VirtualNetwork(validate_network_name(name), str(body.get("location") or location), tuple(prefixes),
                          tuple(subnets))


# --- Public IP addresses -----------------------------------------------------------------------

def public_ip_to_arm(pip: PublicIPAddress, subscription_id: str, resource_group: str) -> dict[str, Any]:
    pip_id = network_id(subscription_id, resource_group, "publicIPAddresses", pip.name)
    props: dict[str, Any] = {"provisioningState": SUCCEEDED, "publicIPAllocationMethod": pip.allocation_method.value,
                             "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": pip.idle_timeout_in_minutes}
    if pip.ip_address:
        props["ipAddress"] = pip.ip_address
    if pip.domain_name_label:
        props["dnsSettings"] = {"domainNameLabel": pip.domain_name_label, "fqdn": pip.fqdn}
    if pip.ip_configuration_id:
        props["ipConfiguration"] = {"id": pip.ip_configuration_id}
    return {**_base(pip_id, pip.name, PUBLIC_IP_TYPE, pip.location), "sku": {"name": pip.sku.value, "tier": "Regional"},
            "properties": props}


def public_ip_from_arm(body: Mapping[str, Any], name: str, location: str) -> PublicIPAddress:
    props = _props(body)
    sku = _sku(body)
    allocation = _choice(IPAllocationMethod, props.get("publicIPAllocationMethod"), "publicIPAllocationMethod",
                         IPAllocationMethod.STATIC if sku is Sku.STANDARD else IPAllocationMethod.DYNAMIC)
    dns = props.get("dnsSettings") or {}
    label = dns.get("domainNameLabel") if isinstance(dns, Mapping) else None
    if label is not None:
        from ..domain.network.names import validate_domain_name_label

        label = validate_domain_name_label(str(label))
    idle = _int(props.get("idleTimeoutInMinutes"), "idleTimeoutInMinutes", 4) or 4
    if not 4 <= idle <= 30:
        raise InvalidInputValue(f"idleTimeoutInMinutes must be between 4 and 30, got {idle}.",
                                target="idleTimeoutInMinutes")
    return PublicIPAddress(
        name=validate_network_name(name), location=str(body.get("location") or location), sku=sku,
        allocation_method=allocation, ip_address=props.get("ipAddress") if isinstance(props.get("ipAddress"), str) else None,
        domain_name_label=label, idle_timeout_in_minutes=idle, ip_configuration_id=_ref_id(props.get("ipConfiguration")))


# --- Load balancers ----------------------------------------------------------------------------

def load_balancer_to_arm(lb: LoadBalancer, subscription_id: str, resource_group: str) -> dict[str, Any]:
    lb_id = network_id(subscription_id, resource_group, "loadBalancers", lb.name)

    def child(collection: str, name: str | None) -> dict[str, str] | None:
        return {"id": child_id(lb_id, collection, name)} if name else None

    frontends = []
    for frontend in lb.frontend_ip_configurations:
        props: dict[str, Any] = {"provisioningState": SUCCEEDED}
        if frontend.public_ip_address_id:
            props["publicIPAddress"] = _ref(frontend.public_ip_address_id)
        if frontend.subnet_id:
            props["subnet"] = _ref(frontend.subnet_id)
            props["privateIPAllocationMethod"] = "Dynamic"
            if frontend.private_ip_address:
                props["privateIPAddress"] = frontend.private_ip_address
        users = ([child("loadBalancingRules", r.name) for r in lb.load_balancing_rules
                  if r.frontend_ip_configuration_name.lower() == frontend.name.lower()])
        if users:
            props["loadBalancingRules"] = users
        nat_pools = [child("inboundNatPools", p.name) for p in lb.inbound_nat_pools
                     if p.frontend_ip_configuration_name.lower() == frontend.name.lower()]
        if nat_pools:
            props["inboundNatPools"] = nat_pools
        nat_rules = [child("inboundNatRules", r.name) for r in lb.inbound_nat_rules
                     if r.frontend_ip_configuration_name.lower() == frontend.name.lower()]
        if nat_rules:
            props["inboundNatRules"] = nat_rules
        frontends.append({"id": child_id(lb_id, "frontendIPConfigurations", frontend.name), "name": frontend.name,
                          "type": f"{LB_TYPE}/frontendIPConfigurations", "properties": props})
    pools = []
    for pool in lb.backend_address_pools:
        props = {"provisioningState": SUCCEEDED}
        if pool.backend_ip_configuration_ids:
            props["backendIPConfigurations"] = [{"id": i} for i in pool.backend_ip_configuration_ids]
        if pool.load_balancer_backend_addresses:
            props["loadBalancerBackendAddresses"] = [
                {"name": a.name, "properties": {
                    "networkInterfaceIPConfiguration": {"id": a.network_interface_ip_configuration_id},
                    "inboundNatRulesPortMapping": [
                        {"inboundNatRuleName": m.inbound_nat_rule_name, "frontendPort": m.frontend_port,
                         "backendPort": m.backend_port} for m in a.inbound_nat_rules_port_mapping]}}
                for a in pool.load_balancer_backend_addresses]
        rules = [child("loadBalancingRules", r.name) for r in lb.load_balancing_rules
                 if r.backend_address_pool_name.lower() == pool.name.lower()]
        if rules:
            props["loadBalancingRules"] = rules
        nat_rules = [child("inboundNatRules", r.name) for r in lb.inbound_nat_rules
                     if (r.backend_address_pool_name or "").lower() == pool.name.lower()]
        if nat_rules:
            props["inboundNatRules"] = nat_rules
        pools.append({"id": child_id(lb_id, "backendAddressPools", pool.name), "name": pool.name,
                      "type": f"{LB_TYPE}/backendAddressPools", "properties": props})
    probes = []
    for probe in lb.probes:
        props = {"provisioningState": SUCCEEDED, "protocol": probe.protocol.value, "port": probe.port,
                 "intervalInSeconds": probe.interval_in_seconds, "numberOfProbes": probe.number_of_probes}
        if probe.request_path:
            props["requestPath"] = probe.request_path
        probes.append({"id": child_id(lb_id, "probes", probe.name), "name": probe.name,
                       "type": f"{LB_TYPE}/probes", "properties": props})
    rules = []
    for rule in lb.load_balancing_rules:
        props = {"provisioningState": SUCCEEDED, "frontendIPConfiguration": child("frontendIPConfigurations",
                                                                                   rule.frontend_ip_configuration_name),
                 "backendAddressPool": child("backendAddressPools", rule.backend_address_pool_name),
                 "protocol": rule.protocol.value, "frontendPort": rule.frontend_port, "backendPort": rule.backend_port,
                 "idleTimeoutInMinutes": rule.idle_timeout_in_minutes, "enableFloatingIP": rule.enable_floating_ip}
        if rule.probe_name:
            props["probe"] = child("probes", rule.probe_name)
        rules.append({"id": child_id(lb_id, "loadBalancingRules", rule.name), "name": rule.name,
                      "type": f"{LB_TYPE}/loadBalancingRules", "properties": props})
    nat_pools = [{"id": child_id(lb_id, "inboundNatPools", pool.name), "name": pool.name,
                  "type": f"{LB_TYPE}/inboundNatPools",
                  "properties": {"provisioningState": SUCCEEDED,
                                 "frontendIPConfiguration": child("frontendIPConfigurations",
                                                                  pool.frontend_ip_configuration_name),
                                 "protocol": pool.protocol.value, "frontendPortRangeStart": pool.frontend_port_range_start,
                                 "frontendPortRangeEnd": pool.frontend_port_range_end, "backendPort": pool.backend_port,
                                 "idleTimeoutInMinutes": pool.idle_timeout_in_minutes,
                                 "enableFloatingIP": pool.enable_floating_ip}}
                 for pool in lb.inbound_nat_pools]
    nat_rules = []
    for rule in lb.inbound_nat_rules:
        props = {"provisioningState": SUCCEEDED,
                 "frontendIPConfiguration": child("frontendIPConfigurations", rule.frontend_ip_configuration_name),
                 "protocol": rule.protocol.value, "backendPort": rule.backend_port,
                 "idleTimeoutInMinutes": rule.idle_timeout_in_minutes, "enableFloatingIP": rule.enable_floating_ip}
        if rule.frontend_port is not None:
            props["frontendPort"] = rule.frontend_port
        if rule.backend_ip_configuration_id:
            props["backendIPConfiguration"] = {"id": rule.backend_ip_configuration_id}
        if rule.is_v2:
            props["frontendPortRangeStart"] = rule.frontend_port_range_start
            props["frontendPortRangeEnd"] = rule.frontend_port_range_end
            props["backendAddressPool"] = child("backendAddressPools", rule.backend_address_pool_name)
        nat_rules.append({"id": child_id(lb_id, "inboundNatRules", rule.name), "name": rule.name,
                          "type": f"{LB_TYPE}/inboundNatRules", "properties": props})
    return {**_base(lb_id, lb.name, LB_TYPE, lb.location), "sku": {"name": lb.sku.value, "tier": "Regional"},
            "properties": {"provisioningState": SUCCEEDED, "frontendIPConfigurations": frontends,
                           "backendAddressPools": pools, "probes": probes, "loadBalancingRules": rules,
                           "inboundNatPools": nat_pools, "inboundNatRules": nat_rules}}


def _child_ref_name(value: Any, what: str, required: bool = True) -> str | None:
    ref = _ref_id(value)
    if ref is None:
        if required:
            raise InvalidInputValue(f"'{what}' must reference a child of this load balancer by id.", target=what)
        return None
    return last_segment(ref)


def load_balancer_from_arm(body: Mapping[str, Any], name: str, location: str, lb_id: str | None = None) -> LoadBalancer:
    props = _props(body)
    frontends = []
    for item in _list(props.get("frontendIPConfigurations"), "frontendIPConfigurations"):
        p = _props(item)
        frontends.append(FrontendIPConfiguration(
            _child_name(item, "frontendIPConfigurations"), _ref_id(p.get("publicIPAddress")), _ref_id(p.get("subnet")),
            p.get("privateIPAddress") if isinstance(p.get("privateIPAddress"), str) else None))
    pools = []
    for item in _list(props.get("backendAddressPools"), "backendAddressPools"):
        p = _props(item)
        addresses = []
        for address in _list(p.get("loadBalancerBackendAddresses"), "loadBalancerBackendAddresses"):
            ap = _props(address)
            config = _ref_id(ap.get("networkInterfaceIPConfiguration"))
            if not config:
                continue
            addresses.append(LoadBalancerBackendAddress(
                str(address.get("name") or ""), config, tuple(
                    NatRulePortMapping(str(m.get("inboundNatRuleName")), int(m.get("frontendPort") or 0),
                                       int(m.get("backendPort") or 0))
                    for m in _list(ap.get("inboundNatRulesPortMapping"), "inboundNatRulesPortMapping"))))
        pools.append(BackendAddressPool(
            _child_name(item, "backendAddressPools"),
            tuple(i for i in (_ref_id(c) for c in _list(p.get("backendIPConfigurations"), "backendIPConfigurations")) if i),
            tuple(addresses)))
    probes = []
    for item in _list(props.get("probes"), "probes"):
        p = _props(item)
        probes.append(Probe(_child_name(item, "probes"), _choice(ProbeProtocol, p.get("protocol"), "probes.protocol",
                                                                  ProbeProtocol.TCP),
                            _int(p.get("port"), "probes.port") or 0,
                            _int(p.get("intervalInSeconds"), "intervalInSeconds", 15) or 15,
                            _int(p.get("numberOfProbes"), "numberOfProbes", 2) or 2,
                            p.get("requestPath") if isinstance(p.get("requestPath"), str) else None))
    rules = []
    for item in _list(props.get("loadBalancingRules"), "loadBalancingRules"):
        p = _props(item)
        rules.append(LoadBalancingRule(
            _child_name(item, "loadBalancingRules"),
            _child_ref_name(p.get("frontendIPConfiguration"), "loadBalancingRules.frontendIPConfiguration") or "",
            _child_ref_name(p.get("backendAddressPool"), "loadBalancingRules.backendAddressPool") or "",
            _choice(TransportProtocol, p.get("protocol"), "loadBalancingRules.protocol", TransportProtocol.TCP),
            _int(p.get("frontendPort"), "frontendPort") or 0, _int(p.get("backendPort"), "backendPort") or 0,
            _child_ref_name(p.get("probe"), "probe", required=False),
            _int(p.get("idleTimeoutInMinutes"), "idleTimeoutInMinutes", 4) or 4, bool(p.get("enableFloatingIP"))))
    nat_pools = []
    for item in _list(props.get("inboundNatPools"), "inboundNatPools"):
        p = _props(item)
        nat_pools.append(InboundNatPool(
            _child_name(item, "inboundNatPools"),
            _child_ref_name(p.get("frontendIPConfiguration"), "inboundNatPools.frontendIPConfiguration") or "",
            _choice(TransportProtocol, p.get("protocol"), "inboundNatPools.protocol", TransportProtocol.TCP),
            _int(p.get("frontendPortRangeStart"), "frontendPortRangeStart") or 0,
            _int(p.get("frontendPortRangeEnd"), "frontendPortRangeEnd") or 0,
            _int(p.get("backendPort"), "backendPort") or 0,
            _int(p.get("idleTimeoutInMinutes"), "idleTimeoutInMinutes", 4) or 4, bool(p.get("enableFloatingIP"))))
    pool_names = [pool.name.lower() for pool in nat_pools]
    nat_rules = []
    for item in _list(props.get("inboundNatRules"), "inboundNatRules"):
        p = _props(item)
        rule_name = _child_name(item, "inboundNatRules")
        backend_config = _ref_id(p.get("backendIPConfiguration"))
        prefix = rule_name.rsplit(".", 1)[0].lower() if "." in rule_name else None
        created_from = next((pool.name for pool in nat_pools if prefix == pool.name.lower()), None) \
            if backend_config and prefix in pool_names else None
        nat_rules.append(InboundNatRule(
            rule_name,
            _child_ref_name(p.get("frontendIPConfiguration"), "inboundNatRules.frontendIPConfiguration") or "",
            _choice(TransportProtocol, p.get("protocol"), "inboundNatRules.protocol", TransportProtocol.TCP),
            _int(p.get("backendPort"), "backendPort") or 0, _int(p.get("frontendPort"), "frontendPort"),
            backend_config, _int(p.get("frontendPortRangeStart"), "frontendPortRangeStart"),
            _int(p.get("frontendPortRangeEnd"), "frontendPortRangeEnd"),
            _child_ref_name(p.get("backendAddressPool"), "backendAddressPool", required=False), created_from,
            _int(p.get("idleTimeoutInMinutes"), "idleTimeoutInMinutes", 4) or 4, bool(p.get("enableFloatingIP"))))
    return LoadBalancer(name=validate_network_name(name), location=str(body.get("location") or location), id=lb_id,
                        sku=_sku(body), frontend_ip_configurations=tuple(frontends), backend_address_pools=tuple(pools),
                        probes=tuple(probes), load_balancing_rules=tuple(rules), inbound_nat_pools=tuple(nat_pools),
                        inbound_nat_rules=tuple(nat_rules))


# --- Network security groups -------------------------------------------------------------------

def _rule_to_arm(rule: SecurityRule, nsg_id: str, collection: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "provisioningState": SUCCEEDED, "protocol": rule.protocol.value, "sourcePortRange": rule.source_port_range,
        "destinationPortRange": rule.destination_port_range, "sourceAddressPrefix": rule.source_address_prefix,
        "destinationAddressPrefix": rule.destination_address_prefix, "access": rule.access.value,
        "priority": rule.priority, "direction": rule.direction.value}
    if rule.description:
        props["description"] = rule.description
    return {"id": child_id(nsg_id, collection, rule.name), "name": rule.name,
            "type": f"{NSG_TYPE}/{collection}", "properties": props}


def nsg_to_arm(nsg: NetworkSecurityGroup, subscription_id: str, resource_group: str,
               users: Sequence[str] = ()) -> dict[str, Any]:
    """`users`: ids of the NICs (and subnets) associated with the group."""
    nsg_id = network_id(subscription_id, resource_group, "networkSecurityGroups", nsg.name)
    props: dict[str, Any] = {
        "provisioningState": SUCCEEDED,
        "securityRules": [_rule_to_arm(r, nsg_id, "securityRules") for r in nsg.security_rules],
        "defaultSecurityRules": [_rule_to_arm(r, nsg_id, "defaultSecurityRules") for r in nsg.default_security_rules]}
    nics = [u for u in users if "/networkInterfaces/" in u]
    subnets = [u for u in users if "/subnets/" in u and "/networkInterfaces/" not in u]
    if nics:
        props["networkInterfaces"] = [{"id": u} for u in nics]
    if subnets:
        props["subnets"] = [{"id": u} for u in subnets]
    return {**_base(nsg_id, nsg.name, NSG_TYPE, nsg.location), "properties": props}


def security_rule_from_arm(item: Mapping[str, Any]) -> SecurityRule:
    p = _props(item)
    priority = _int(p.get("priority"), "priority")
    if priority is None:
        raise InvalidInputValue("A security rule needs a priority.", target="priority")
    return SecurityRule(
        name=_child_name(item, "securityRules"), priority=priority,
        direction=_choice(SecurityRuleDirection, p.get("direction"), "direction", SecurityRuleDirection.INBOUND),
        access=_choice(SecurityRuleAccess, p.get("access"), "access", SecurityRuleAccess.ALLOW),
        protocol=_choice(SecurityRuleProtocol, p.get("protocol"), "protocol", SecurityRuleProtocol.ANY),
        destination_port_range=str(p.get("destinationPortRange") or "*"),
        source_port_range=str(p.get("sourcePortRange") or "*"),
        source_address_prefix=str(p.get("sourceAddressPrefix") or "*"),
        destination_address_prefix=str(p.get("destinationAddressPrefix") or "*"),
        description=p.get("description") if isinstance(p.get("description"), str) else None)


def nsg_from_arm(body: Mapping[str, Any], name: str, location: str) -> NetworkSecurityGroup:
    props = _props(body)
    rules = tuple(security_rule_from_arm(item) for item in _list(props.get("securityRules"), "securityRules"))
    return NetworkSecurityGroup(validate_network_name(name), str(body.get("location") or location), rules,
                                DEFAULT_SECURITY_RULES)


# --- Network interfaces of scale-set VMs -------------------------------------------------------

def nic_to_arm(nic_id: str, name: str, location: str, ip_config_name: str, subnet_id: str,
               private_ip: str | None, *, public_ip_id: str | None = None,
               backend_pool_ids: Sequence[str] = (), nat_rule_ids: Sequence[str] = (),
               nsg_id: str | None = None, virtual_machine_id: str | None = None) -> dict[str, Any]:
    """One NIC with one primary IP configuration, as `GET .../networkInterfaces/{nic}` answers."""
    config: dict[str, Any] = {"provisioningState": SUCCEEDED, "privateIPAllocationMethod": "Dynamic",
                              "subnet": {"id": subnet_id}, "primary": True, "privateIPAddressVersion": "IPv4"}
    if private_ip:
        config["privateIPAddress"] = private_ip
    if public_ip_id:
        config["publicIPAddress"] = {"id": public_ip_id}
    if backend_pool_ids:
        config["loadBalancerBackendAddressPools"] = [{"id": i} for i in backend_pool_ids]
    if nat_rule_ids:
        config["loadBalancerInboundNatRules"] = [{"id": i} for i in nat_rule_ids]
    props: dict[str, Any] = {
        "provisioningState": SUCCEEDED, "primary": True, "enableAcceleratedNetworking": False,
        "enableIPForwarding": False,
        "ipConfigurations": [{"id": f"{nic_id}/ipConfigurations/{ip_config_name}", "name": ip_config_name,
                              "properties": config}]}
    if nsg_id:
        props["networkSecurityGroup"] = {"id": nsg_id}
    if virtual_machine_id:
        props["virtualMachine"] = {"id": virtual_machine_id}
    return {**_base(nic_id, name, NIC_TYPE, location), "properties": props}
