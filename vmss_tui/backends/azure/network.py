"""The live adapter's Network capability: load balancers, public IPs, NSGs, vnets and NICs with azure-mgmt-network.

A mixin of `AzureBackend`: it reads the scale set as az does, then the load balancer and the public IP
through `NetworkManagementClient` (imported on first use; the emulator path never imports azure), and
answers `connection-info` with the same pure rule the emulator uses (domain/network/connection.py).
"""

from __future__ import annotations

import logging
from typing import Any

from ...arm import network as arm_network
from ...domain import errors
from .translated import translated
from ...domain.network.connection import (
    ScaleSetIpConfigurationRefs,
    ScaleSetNicConfigurationRefs,
    list_instance_connection_info,
)
from ...domain.network.names import validate_network_name


_OPERATIONS = {"vnet": "virtual_networks", "public-ip": "public_ip_addresses", "lb": "load_balancers",
               "nsg": "network_security_groups"}


def _operations(kind: str) -> str:
    try:
        return _OPERATIONS[kind]
    except KeyError:
        raise errors.InvalidParameter(f"Unknown network resource kind '{kind}'; use vnet, public-ip, lb or nsg.",
                                      target="kind") from None


def _group_and_name(resource_id: str) -> tuple[str, str]:
    group = resource_id.split("/resourceGroups/", 1)[1].split("/", 1)[0]
    return group, resource_id.rstrip("/").rsplit("/", 1)[-1]


def nic_configuration_refs(vmss: dict[str, Any]) -> tuple[ScaleSetNicConfigurationRefs, ...]:
    """What az reads of a scale set's `networkProfile` (ARM JSON)."""
    profile = ((vmss.get("properties") or {}).get("virtualMachineProfile") or {}).get("networkProfile") or {}
    found = []
    for nic in profile.get("networkInterfaceConfigurations") or ():
        props = nic.get("properties") or {}
        configs = tuple(
            ScaleSetIpConfigurationRefs(
                str(c.get("name") or ""),
                tuple(r["id"] for r in (c.get("properties") or {}).get("loadBalancerInboundNatPools") or () if r.get("id")),
                tuple(r["id"] for r in (c.get("properties") or {}).get("loadBalancerBackendAddressPools") or ()
                      if r.get("id")))
            for c in props.get("ipConfigurations") or ())
        found.append(ScaleSetNicConfigurationRefs(str(nic.get("name") or ""), bool(props.get("primary")), configs))
    if not any(nic.primary for nic in found):
        # az 2.91 takes `next(..., {})` for the primary configuration: none is "No load balancer exists ...",
        # never its (unreachable) "could not find a primary NIC".
        found.append(ScaleSetNicConfigurationRefs("", True, ()))
    return tuple(found)


def _props(body: Any) -> dict[str, Any]:
    props = body.get("properties") if isinstance(body, dict) else None
    return props if isinstance(props, dict) else {}


def _ref_id(ref: Any) -> str:
    return str(ref.get("id") or "") if isinstance(ref, dict) else ""


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _owner_id(child_id: str, collection: str) -> str:
    """`.../loadBalancers/lb/backendAddressPools/p` -> `.../loadBalancers/lb` (case kept, compared lower)."""
    head, marker, rest = child_id.partition(f"/{collection}/")
    return f"{head}{marker}{rest.split('/', 1)[0]}" if marker and rest else ""


def _primary_ip_configuration(nic: dict[str, Any]) -> dict[str, Any]:
    configs = _items(_props(nic).get("ipConfigurations"))
    return next((c for c in configs if _props(c).get("primary")), configs[0] if configs else {})


def nic_instance_id(nic: dict[str, Any]) -> str:
    """The instance a NIC belongs to: the last segment of its `virtualMachine` id (a Uniform instance id, or a
    Flexible VM's name, which is its instance id here)."""
    vm_id = _ref_id(_props(nic).get("virtualMachine"))
    return vm_id.rstrip("/").rsplit("/", 1)[-1] if vm_id else ""


def load_balancer_ids(nics: list[dict[str, Any]]) -> list[str]:
    """The load balancers the NICs' primary IP configurations point at (pools or NAT rules), in order, once each."""
    found: dict[str, str] = {}
    for nic in nics:
        config = _props(_primary_ip_configuration(nic))
        for key in ("loadBalancerBackendAddressPools", "loadBalancerInboundNatRules"):
            for ref in _items(config.get(key)):
                lb_id = _owner_id(_ref_id(ref), "loadBalancers")
                if lb_id:
                    found.setdefault(lb_id.lower(), lb_id)
    return list(found.values())


def instance_addresses(nics: list[dict[str, Any]], load_balancers: list[dict[str, Any]],
                       public_ips: dict[str, str | None], backend_port: int = 22
                       ) -> dict[str, tuple[str | None, str | None]]:
    """Each instance's (private IP, public endpoint), keyed by lower-case instance id, from ARM JSON.

    The endpoint is the instance's NAT mapping on a load balancer with a public frontend (a NAT rule V1 naming
    its IP configuration, else a NAT rule V2 port mapping of a backend pool: what az's
    `list-instance-connection-info` reads), else its own public IP with `backend_port`, as the emulator shows it.
    `public_ips` maps lower-case public IP ids to their addresses.
    """
    configs: dict[str, str] = {}
    found: dict[str, tuple[str | None, str | None]] = {}
    own_public: dict[str, str] = {}
    for nic in nics:
        instance = nic_instance_id(nic)
        if not instance:
            continue
        config = _primary_ip_configuration(nic)
        if config.get("id"):
            configs[str(config["id"]).lower()] = instance.lower()
        address = _props(config).get("privateIPAddress")
        found.setdefault(instance.lower(), (str(address) if address else None, None))
        pip_id = _ref_id(_props(config).get("publicIPAddress"))
        if pip_id:
            own_public[instance.lower()] = pip_id.lower()
    endpoints: dict[str, str] = {}
    for lb in load_balancers:
        props = _props(lb)
        frontends = {str(f.get("name") or "").lower(): public_ips.get(_ref_id(_props(f).get("publicIPAddress")).lower())
                     for f in _items(props.get("frontendIPConfigurations"))
                     if _ref_id(_props(f).get("publicIPAddress"))}
        rules = {str(r.get("name") or "").lower(): r for r in _items(props.get("inboundNatRules"))}

        def frontend_of(rule: dict[str, Any]) -> str | None:
            name = _ref_id(_props(rule).get("frontendIPConfiguration")).rstrip("/").rsplit("/", 1)[-1].lower()
            return frontends.get(name)

        for rule in rules.values():
            rp = _props(rule)
            instance = configs.get(_ref_id(rp.get("backendIPConfiguration")).lower())
            address = frontend_of(rule)
            if instance and address and rp.get("frontendPort") is not None:
                endpoints.setdefault(instance, f"{address}:{rp['frontendPort']}")
        for pool in _items(props.get("backendAddressPools")):
            for member in _items(_props(pool).get("loadBalancerBackendAddresses")):
                mp = _props(member)
                instance = configs.get(_ref_id(mp.get("networkInterfaceIPConfiguration")).lower())
                mappings = _items(mp.get("inboundNatRulesPortMapping"))
                if not instance or not mappings:
                    continue
                address = frontend_of(rules.get(str(mappings[0].get("inboundNatRuleName") or "").lower(), {}))
                if address and mappings[0].get("frontendPort") is not None:
                    endpoints.setdefault(instance, f"{address}:{mappings[0]['frontendPort']}")
    for instance, pip_id in own_public.items():
        if instance not in endpoints and public_ips.get(pip_id):
            endpoints[instance] = f"{public_ips[pip_id]}:{backend_port}"
    return {instance: (private, endpoints.get(instance)) for instance, (private, _) in found.items()}


class NetworkReads:
    """`Network` for the live adapter (mixed into AzureBackend, which supplies the credential and options)."""

    _credential: Any
    _client: Any
    _lock: Any
    _resource_client_options: dict[str, Any]
    subscription_id: str
    _network_client_instance: Any = None

    @staticmethod
    def _translate_error(error: Exception, endpoint: str | None) -> Exception:
        """The adapter's error translation (AzureBackend supplies its own); here: unchanged."""
        return error

    def _network_client(self) -> Any:
        """azure-mgmt-network's NetworkManagementClient on the same credential, endpoint and timeouts."""
        with self._lock:
            if self._network_client_instance is None:
                from azure.mgmt.network import NetworkManagementClient

                options = {key: value for key, value in self._resource_client_options.items() if value is not None}
                self._network_client_instance = NetworkManagementClient(self._credential, self.subscription_id,
                                                                        **options)
            return self._network_client_instance

    def _refuse_writes(self, what: str) -> None:
        refuse = getattr(self, "_refuse_if_read_only", None)
        if refuse is not None:
            refuse(what)

    @translated
    def connection_info(self, resource_group: str, name: str) -> dict[str, str]:
        vmss = self._client.virtual_machine_scale_sets.get(resource_group, name).as_dict()
        mode = str((vmss.get("properties") or {}).get("orchestrationMode") or "Uniform")
        client = self._network_client()

        def load_balancer(lb_id: str) -> Any:
            group, lb_name = _group_and_name(lb_id)
            body = client.load_balancers.get(group, lb_name).as_dict()
            return arm_network.load_balancer_from_arm(body, str(body.get("name") or lb_name),
                                                      str(body.get("location") or ""), lb_id)

        def public_ip(pip_id: str) -> Any:
            group, pip_name = _group_and_name(pip_id)
            body = client.public_ip_addresses.get(group, pip_name).as_dict()
            return arm_network.public_ip_from_arm(body, str(body.get("name") or pip_name), str(body.get("location") or ""))

        return list_instance_connection_info(mode, nic_configuration_refs(vmss), load_balancer, public_ip)

    def _instance_addresses(self, resource_group: str, name: str) -> dict[str, tuple[str | None, str | None]]:
        """(private IP, public endpoint) of each instance of a set, in a constant number of requests: the set's
        NICs (one paged list), each load balancer they use (one GET each, usually one), and the public IPs
        those name (one GET, or one list of the group when it needs several: a Flexible set's VMs)."""
        client = self._network_client()
        nics = [nic.as_dict() for nic in
                client.network_interfaces.list_virtual_machine_scale_set_network_interfaces(resource_group, name)]
        if not nics:
            return {}
        lbs = []
        for lb_id in load_balancer_ids(nics):
            group, lb_name = _group_and_name(lb_id)
            lbs.append(client.load_balancers.get(group, lb_name).as_dict())
        wanted = {_ref_id(_props(f).get("publicIPAddress")) for lb in lbs
                  for f in _items(_props(lb).get("frontendIPConfigurations"))}
        wanted |= {_ref_id(_props(_primary_ip_configuration(nic)).get("publicIPAddress")) for nic in nics}
        # a Uniform set's public IP per VM is a child of the set, not a resource of the group: not read here
        wanted = {pip_id for pip_id in wanted if pip_id and "/virtualMachineScaleSets/" not in pip_id}
        by_group: dict[str, list[str]] = {}
        for pip_id in wanted:
            by_group.setdefault(_group_and_name(pip_id)[0].lower(), []).append(pip_id)
        addresses: dict[str, str | None] = {}
        for group_ids in by_group.values():
            group = _group_and_name(group_ids[0])[0]
            if len(group_ids) == 1:
                bodies = [client.public_ip_addresses.get(group, _group_and_name(group_ids[0])[1]).as_dict()]
            else:
                bodies = [pip.as_dict() for pip in client.public_ip_addresses.list(group)]
            for body in bodies:
                address = _props(body).get("ipAddress")
                addresses[str(body.get("id") or "").lower()] = str(address) if address else None
        return instance_addresses(nics, lbs, addresses)

    @staticmethod
    def _with_addresses(instances: list[Any], found: dict[str, tuple[str | None, str | None]] | None) -> list[Any]:
        """The instances with their private IP and public endpoint; unchanged when the network could not be read
        (None: no Microsoft.Network permission, say) or the set has none: the instance list never fails for it."""
        if not found:
            return instances
        from dataclasses import replace

        return [replace(instance, private_ip=found[key][0], public_endpoint=found[key][1])
                if (key := instance.instance_id.lower()) in found else instance for instance in instances]

    def _addresses_or_none(self, resource_group: str, name: str) -> dict[str, tuple[str | None, str | None]] | None:
        try:
            return self._instance_addresses(resource_group, name)
        except Exception as error:  # noqa: BLE001 - addresses are extra; the instances still list
            logging.getLogger(__name__).info("addresses of %s/%s not read: %s", resource_group, name, error)
            return None

    @translated
    def scale_set_network_profile(self, resource_group: str, name: str) -> dict[str, Any] | None:
        vmss = self._client.virtual_machine_scale_sets.get(resource_group, name).as_dict()
        profile = ((vmss.get("properties") or {}).get("virtualMachineProfile") or {}).get("networkProfile")
        return dict(profile) if isinstance(profile, dict) and profile.get("networkInterfaceConfigurations") else None

    @translated
    def list_network_resources(self, kind: str, resource_group: str) -> list[dict[str, Any]]:
        operations = getattr(self._network_client(), _operations(kind))
        found = [item.as_dict() for item in operations.list(resource_group)]
        return sorted(found, key=lambda body: str(body.get("name") or "").lower())

    @translated
    def get_network_resource(self, kind: str, resource_group: str, name: str) -> dict[str, Any]:
        validate_network_name(name)
        return getattr(self._network_client(), _operations(kind)).get(resource_group, name).as_dict()

    @translated
    def delete_network_resource(self, kind: str, resource_group: str, name: str) -> None:
        validate_network_name(name)
        self._refuse_writes(f"network {kind} delete")
        getattr(self._network_client(), _operations(kind)).begin_delete(resource_group, name).result()

    def _put(self, kind: str, resource_group: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        validate_network_name(name)
        self._refuse_writes(f"network {kind} create")
        poller = getattr(self._network_client(), _operations(kind)).begin_create_or_update(resource_group, name, body)
        return poller.result().as_dict()

    def _location(self, resource_group: str, location: str | None) -> str:
        if location:
            return location
        groups = getattr(self, "get_resource_group", None)
        return groups(resource_group).location if groups is not None else "eastus"

    @translated
    def create_virtual_network(self, resource_group: str, name: str, *, location: str | None = None,
                               address_prefixes: tuple[str, ...] = ("10.0.0.0/16",), subnet_name: str | None = None,
                               subnet_prefix: str | None = None) -> dict[str, Any]:
        props: dict[str, Any] = {"addressSpace": {"addressPrefixes": list(address_prefixes)}}
        if subnet_name:
            validate_network_name(subnet_name)
            props["subnets"] = [{"name": subnet_name,
                                 "properties": {"addressPrefix": subnet_prefix or address_prefixes[0]}}]
        return self._put("vnet", resource_group, name,
                         {"location": self._location(resource_group, location), "properties": props})

    @translated
    def create_public_ip(self, resource_group: str, name: str, *, location: str | None = None, sku: str = "Standard",
                         allocation_method: str | None = None, dns_name: str | None = None) -> dict[str, Any]:
        props: dict[str, Any] = {"publicIPAllocationMethod": allocation_method or (
            "Static" if sku.lower() == "standard" else "Dynamic")}
        if dns_name:
            props["dnsSettings"] = {"domainNameLabel": dns_name}
        return self._put("public-ip", resource_group, name, {"location": self._location(resource_group, location),
                                                              "sku": {"name": sku}, "properties": props})

    @translated
    def create_load_balancer(self, resource_group: str, name: str, *, location: str | None = None,
                             sku: str = "Standard", public_ip: str | None = None,
                             backend_pool_name: str | None = None) -> dict[str, Any]:
        location = self._location(resource_group, location)
        pip_name = public_ip or f"{name}PublicIP"
        try:
            pip = self.get_network_resource("public-ip", resource_group, pip_name)
        except errors.ResourceNotFound:
            pip = self.create_public_ip(resource_group, pip_name, location=location, sku=sku)
        body = {"location": location, "sku": {"name": sku}, "properties": {
            "frontendIPConfigurations": [{"name": "LoadBalancerFrontEnd",
                                          "properties": {"publicIPAddress": {"id": pip["id"]}}}],
            "backendAddressPools": [{"name": backend_pool_name or f"{name}bepool"}]}}
        return self._put("lb", resource_group, name, body)

    @translated
    def create_nsg(self, resource_group: str, name: str, *, location: str | None = None,
                   inbound_ports: tuple[int, ...] = ()) -> dict[str, Any]:
        from ...domain.network.models import NetworkSecurityGroup
        from ...domain.network.security import portal_inbound_rules

        nsg = NetworkSecurityGroup(name, self._location(resource_group, location), portal_inbound_rules(inbound_ports))
        body = arm_network.nsg_to_arm(nsg, self.subscription_id, resource_group)
        body["properties"].pop("defaultSecurityRules", None)  # Azure adds them; they are read-only
        body["properties"].pop("provisioningState", None)
        for rule in body["properties"]["securityRules"]:
            rule.pop("id", None)
            rule.pop("type", None)
            rule["properties"].pop("provisioningState", None)
        return self._put("nsg", resource_group, name, {"location": body["location"], "properties": body["properties"]})

    @translated
    def list_scale_set_nics(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        operations = self._network_client().network_interfaces
        return [nic.as_dict() for nic in operations.list_virtual_machine_scale_set_network_interfaces(resource_group,
                                                                                                      name)]
