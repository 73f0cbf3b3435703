"""The live adapter's Network capability: load balancers, public IPs, NSGs, vnets and NICs with azure-mgmt-network.

A mixin of `AzureBackend`: it reads the scale set as az does, then the load balancer and the public IP
through `NetworkManagementClient` (imported on first use; the emulator path never imports azure), and
answers `connection-info` with the same pure rule the emulator uses (domain/network/connection.py).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from ...arm import network as arm_network
from ...domain import errors
from ...domain.network.connection import (
    ScaleSetIpConfigurationRefs,
    ScaleSetNicConfigurationRefs,
    list_instance_connection_info,
)
from ...domain.network.names import validate_network_name

ReturnType = TypeVar("ReturnType")

_OPERATIONS = {"vnet": "virtual_networks", "public-ip": "public_ip_addresses", "lb": "load_balancers",
               "nsg": "network_security_groups"}


def _translated(function: Callable[..., ReturnType]) -> Callable[..., ReturnType]:
    """SDK and transport errors become domain errors, as the adapter's other public methods do."""

    @functools.wraps(function)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> ReturnType:
        try:
            return function(self, *args, **kwargs)
        except errors.AzureError:
            raise
        except Exception as error:
            raise self._translate_error(error, getattr(self, "endpoint", None)) from error

    return wrapper


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

    @_translated
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

    @_translated
    def list_network_resources(self, kind: str, resource_group: str) -> list[dict[str, Any]]:
        operations = getattr(self._network_client(), _operations(kind))
        found = [item.as_dict() for item in operations.list(resource_group)]
        return sorted(found, key=lambda body: str(body.get("name") or "").lower())

    @_translated
    def get_network_resource(self, kind: str, resource_group: str, name: str) -> dict[str, Any]:
        validate_network_name(name)
        return getattr(self._network_client(), _operations(kind)).get(resource_group, name).as_dict()

    @_translated
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

    @_translated
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

    @_translated
    def create_public_ip(self, resource_group: str, name: str, *, location: str | None = None, sku: str = "Standard",
                         allocation_method: str | None = None, dns_name: str | None = None) -> dict[str, Any]:
        props: dict[str, Any] = {"publicIPAllocationMethod": allocation_method or (
            "Static" if sku.lower() == "standard" else "Dynamic")}
        if dns_name:
            props["dnsSettings"] = {"domainNameLabel": dns_name}
        return self._put("public-ip", resource_group, name, {"location": self._location(resource_group, location),
                                                              "sku": {"name": sku}, "properties": props})

    @_translated
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

    @_translated
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

    @_translated
    def list_scale_set_nics(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        operations = self._network_client().network_interfaces
        return [nic.as_dict() for nic in operations.list_virtual_machine_scale_set_network_interfaces(resource_group,
                                                                                                      name)]
