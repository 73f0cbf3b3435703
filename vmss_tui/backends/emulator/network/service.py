"""Microsoft.Network in the emulator: stored resources, and what a scale set's NICs hold.

The rules are the pure ones of `domain/network` (addresses, NAT ports, lifecycle, az's create plan);
this room stores their results and is told by compute of each event, inside compute's own transaction
(the store commits every shard a transaction touched atomically, so a scale-out's instances, their
addresses and the load balancer's NAT mappings land together or not at all):

- `scale_set_created`: build what `az vmss create` builds (`plan_network`), then give the first instances NICs;
- `members_changed`: the set's live instances are now these: new ones get an address (SubnetIsFull fails
  the whole change), a NAT port on the set's NAT pool or NAT rule V2 (exhaustion fails it), a public IP
  when the set has one per VM; departed ones release all of it; survivors keep theirs;
- `vm_added`: a VM added by hand to a Flexible set gets its own NIC (`az vm create`'s plan), and the lab's
  public IP and inbound ports when asked;
- `scale_set_deleted`, `group_deleted`: release everything.

Compute learns only each instance's `ip` and `ep` (public endpoint), written into its instance records.
A set created before networking existed has no binding: it gets nothing and keeps working.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ....arm import network as codec
from ....domain import errors
from ....domain.models import ScaleSetNetwork, VmSpec
from ....domain.network import lifecycle
from ....domain.network import errors as net_errors
from ....domain.network.addresses import RESERVED_AT_END, RESERVED_AT_START, SubnetAddresses, \
    validate_subnet_prefixes
from ....domain.network.connection import ScaleSetIpConfigurationRefs, ScaleSetNicConfigurationRefs, \
    list_instance_connection_info
from ....domain.network.models import (
    BackendAddressPool,
    FrontendIPConfiguration,
    InboundNatPool,
    InboundNatRule,
    IPAllocationMethod,
    LoadBalancer,
    LoadBalancingRule,
    NetworkSecurityGroup,
    PublicIPAddress,
    Sku,
    Subnet,
    TransportProtocol,
    VirtualNetwork,
    child_id,
    network_id,
    scale_set_nic_ip_configuration_id,
)
from ....domain.network.names import validate_domain_name_label, validate_network_name
from ....domain.tags import validate_tags
from ....domain.network.nat import check_nat_pool_allowed, child_name_1, sync_backend_pool, sync_nat_pool, \
    validate_load_balancer
from ....domain.network.plan import CreateNetworkOptions, ExistingLoadBalancer, VmNetworkOptions, plan_network, \
    plan_vm_network
from ....domain.network.security import az_nsg_rule, portal_basic_nsg_name, portal_inbound_rules, \
    validate_security_rules
from ..compute.shard import is_deleting
from ..engine.context import Context
from ..resources import groups
from ..store import Transaction
from . import store_keys as keys

VNETS, PIPS, LBS, NSGS = keys.COLLECTIONS


def _one(txn: Transaction, key: str, table: str) -> dict[str, Any] | None:
    docs = list(txn.view(key).get(table, {}).values())
    return docs[0] if docs else None


TAGS_TABLE = "tags"
"""A resource's tags, in its shard beside its ARM body: the room's own rewrites of the body (pools, NAT rules,
addresses) go through domain values that carry no tags, and leave this table alone."""


def _with_tags(arm: dict[str, Any], tags_doc: dict[str, Any] | None) -> dict[str, Any]:
    """The stored body with its tags (none: no `tags` key, as ARM omits it)."""
    tags = (tags_doc or {}).get("tags") or {}
    return {**arm, "tags": dict(tags)} if tags else {k: v for k, v in arm.items() if k != "tags"}


def _write(txn: Transaction, key: str, tables: Mapping[str, dict[str, Any]]) -> None:
    db = txn.db(key)
    for name, doc in tables.items():
        table = db.table(name)
        table.truncate()
        table.insert(doc)


class NetworkService:
    """Virtual networks, public IPs, load balancers, NSGs, and the NICs of scale-set instances."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- stored resources --------------------------------------------------------------------

    def _sub(self, txn: Transaction) -> str:
        return groups.meta_doc(txn)["id"]

    def _arm(self, txn: Transaction, group: str, collection: str, name: str) -> dict[str, Any] | None:
        key = keys.resource_key(group, collection, name)
        if not txn.exists(key):
            return None
        doc = _one(txn, key, "resource")
        return _with_tags(doc["arm"], _one(txn, key, TAGS_TABLE)) if doc else None

    def _names(self, txn: Transaction, group: str, collection: str) -> list[dict[str, Any]]:
        found = []
        for key in txn.shard_keys(keys.collection_prefix(group, collection)):
            doc = _one(txn, key, "resource")
            if doc:
                found.append(_with_tags(doc["arm"], _one(txn, key, TAGS_TABLE)))
        return sorted(found, key=lambda arm: arm["name"].lower())

    def _save_arm(self, txn: Transaction, group: str, collection: str, arm: dict[str, Any]) -> None:
        _write(txn, keys.resource_key(group, collection, arm["name"]), {"resource": {"arm": arm}})

    def _not_found(self, collection: str, group: str, name: str) -> errors.ResourceNotFound:
        kind = {VNETS: "virtualNetworks", PIPS: "publicIPAddresses", LBS: "loadBalancers",
                NSGS: "networkSecurityGroups"}[collection]
        return errors.ResourceNotFound(
            f"The Resource 'Microsoft.Network/{kind}/{errors_shown(name)}' under resource group "
            f"'{errors_shown(group)}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            target=name)

    def _vnet(self, txn: Transaction, group: str, name: str) -> tuple[VirtualNetwork, dict[str, dict[str, str]]] | None:
        arm = self._arm(txn, group, VNETS, name)
        if arm is None:
            return None
        vnet = codec.vnet_from_arm(arm, arm["name"], arm["location"])
        held = _one(txn, keys.resource_key(group, VNETS, name), "addresses") or {}
        return vnet, {k: dict(v) for k, v in held.items()}

    def _save_vnet(self, txn: Transaction, group: str, vnet: VirtualNetwork, held: Mapping[str, Mapping[str, str]]) -> None:
        configs = {subnet: sorted(holders.values()) for subnet, holders in held.items()}
        arm = codec.vnet_to_arm(vnet, self._sub(txn), group, configs)
        _write(txn, keys.resource_key(group, VNETS, vnet.name),
               {"resource": {"arm": arm}, "addresses": {k: dict(v) for k, v in held.items()}})

    def _lb(self, txn: Transaction, group: str, name: str) -> LoadBalancer | None:
        arm = self._arm(txn, group, LBS, name)
        return None if arm is None else codec.load_balancer_from_arm(arm, arm["name"], arm["location"], arm["id"])

    def _pip(self, txn: Transaction, group: str, name: str) -> PublicIPAddress | None:
        arm = self._arm(txn, group, PIPS, name)
        return None if arm is None else codec.public_ip_from_arm(arm, arm["name"], arm["location"])

    def _pip_by_id(self, txn: Transaction, pip_id: str) -> PublicIPAddress:
        group = pip_id.split("/resourceGroups/", 1)[1].split("/", 1)[0]
        found = self._pip(txn, group, pip_id.rsplit("/", 1)[-1])
        if found is None:
            raise self._not_found(PIPS, group, pip_id.rsplit("/", 1)[-1])
        return found

    def _public_held(self, txn: Transaction) -> dict[str, str]:
        return dict(_one(txn, keys.PUBLIC_ADDRESSES, "held") or {})

    def _take_public(self, txn: Transaction, holder: str) -> str:
        held = self._public_held(txn)
        address = lifecycle.next_public_address(held.keys())
        held[address] = holder
        _write(txn, keys.PUBLIC_ADDRESSES, {"held": held})
        return address

    def _release_public(self, txn: Transaction, addresses: Iterable[str | None]) -> None:
        held = self._public_held(txn)
        gone = [a for a in addresses if a and a in held]
        if gone:
            for address in gone:
                held.pop(address)
            _write(txn, keys.PUBLIC_ADDRESSES, {"held": held})

    # --- reads (the Network capability) ------------------------------------------------------

    def list_resources(self, collection: str, resource_group: str) -> list[dict[str, Any]]:
        with self.ctx.store.snapshot() as txn:
            groups.require_group(txn, resource_group, self.ctx.now())
            return [self._decorate(txn, resource_group, collection, arm)
                    for arm in self._names(txn, resource_group, collection)]

    def get_resource(self, collection: str, resource_group: str, name: str) -> dict[str, Any]:
        validate_network_name(name)
        with self.ctx.store.snapshot() as txn:
            groups.require_group(txn, resource_group, self.ctx.now())
            arm = self._arm(txn, resource_group, collection, name)
            if arm is None:
                raise self._not_found(collection, resource_group, name)
            return self._decorate(txn, resource_group, collection, arm)

    def _decorate(self, txn: Transaction, group: str, collection: str, arm: dict[str, Any]) -> dict[str, Any]:
        """An NSG lists the NICs using it (computed from the bindings, not stored twice)."""
        if collection != NSGS:
            return arm
        nsg = codec.nsg_from_arm(arm, arm["name"], arm["location"])
        shown = codec.nsg_to_arm(nsg, self._sub(txn), group, self._nsg_users(txn, group, arm["id"]))
        return {**shown, "tags": arm["tags"]} if arm.get("tags") else shown

    # --- creates and deletes -----------------------------------------------------------------

    def create_virtual_network(self, resource_group: str, name: str, *, location: str | None = None,
                               address_prefixes: tuple[str, ...] = ("10.0.0.0/16",),
                               subnet_name: str | None = None, subnet_prefix: str | None = None) -> dict[str, Any]:
        validate_network_name(name)
        if subnet_name is not None:
            validate_network_name(subnet_name)
        with self.ctx.store.transaction() as txn:
            row = groups.require_group_for_change(txn, resource_group, self.ctx.now())
            if self._arm(txn, resource_group, VNETS, name) is not None:
                raise errors.Conflict(f"Virtual network '{errors_shown(name)}' already exists in resource group "
                                      f"'{resource_group}'.", target=name)
            subnets = (Subnet(subnet_name, subnet_prefix or address_prefixes[0]),) if subnet_name else ()
            vnet = VirtualNetwork(name, location or row["location"], tuple(address_prefixes), subnets)
            validate_subnet_prefixes(name, vnet.address_prefixes, {s.name: s.address_prefix for s in subnets})
            self._save_vnet(txn, resource_group, vnet, {})
            return self._arm(txn, resource_group, VNETS, name) or {}

    def create_public_ip(self, resource_group: str, name: str, *, location: str | None = None, sku: str = "Standard",
                         allocation_method: str | None = None, dns_name: str | None = None) -> dict[str, Any]:
        validate_network_name(name)
        if dns_name:
            validate_domain_name_label(dns_name)
        with self.ctx.store.transaction() as txn:
            row = groups.require_group_for_change(txn, resource_group, self.ctx.now())
            if self._arm(txn, resource_group, PIPS, name) is not None:
                raise errors.Conflict(f"Public IP address '{errors_shown(name)}' already exists in resource group "
                                      f"'{resource_group}'.", target=name)
            pip = self._new_public_ip(txn, resource_group, name, location or row["location"], sku, allocation_method,
                                      dns_name)
            return codec.public_ip_to_arm(pip, self._sub(txn), resource_group)

    def create_nsg(self, resource_group: str, name: str, *, location: str | None = None,
                   inbound_ports: tuple[int, ...] = ()) -> dict[str, Any]:
        validate_network_name(name)
        with self.ctx.store.transaction() as txn:
            row = groups.require_group_for_change(txn, resource_group, self.ctx.now())
            if self._arm(txn, resource_group, NSGS, name) is not None:
                raise errors.Conflict(f"Network security group '{errors_shown(name)}' already exists in resource "
                                      f"group '{resource_group}'.", target=name)
            nsg = NetworkSecurityGroup(name, location or row["location"], portal_inbound_rules(inbound_ports))
            validate_security_rules(nsg.security_rules)
            self._save_arm(txn, resource_group, NSGS, codec.nsg_to_arm(nsg, self._sub(txn), resource_group))
            return self._decorate(txn, resource_group, NSGS, self._arm(txn, resource_group, NSGS, name) or {})

    def create_load_balancer(self, resource_group: str, name: str, *, location: str | None = None,
                             sku: str = "Standard", public_ip: str | None = None,
                             backend_pool_name: str | None = None, frontend_ip_name: str = "LoadBalancerFrontEnd"
                             ) -> dict[str, Any]:
        """`az network lb create`: a frontend on a public IP (`{name}PublicIP`, created when missing) and one pool."""
        validate_network_name(name)
        pool = validate_network_name(backend_pool_name or f"{name}bepool")
        with self.ctx.store.transaction() as txn:
            row = groups.require_group_for_change(txn, resource_group, self.ctx.now())
            location = location or row["location"]
            if self._arm(txn, resource_group, LBS, name) is not None:
                raise errors.Conflict(f"Load balancer '{errors_shown(name)}' already exists in resource group "
                                      f"'{resource_group}'.", target=name)
            sku_value = codec._choice(Sku, sku, "sku", Sku.STANDARD)
            pip_name = public_ip or f"{name}PublicIP"
            pip = self._pip(txn, resource_group, pip_name) or self._new_public_ip(
                txn, resource_group, pip_name, location, sku_value.value, None, None)
            lb_id = network_id(self._sub(txn), resource_group, "loadBalancers", name)
            lb = LoadBalancer(name, location, lb_id, sku_value,
                              (FrontendIPConfiguration(frontend_ip_name, self._pip_id(txn, resource_group, pip.name)),),
                              (BackendAddressPool(pool),))
            self._attach_public_ip(txn, resource_group, pip, child_id(lb_id, "frontendIPConfigurations", frontend_ip_name))
            validate_load_balancer(lb, {self._pip_id(txn, resource_group, pip.name): self._pip(txn, resource_group, pip.name)
                                        or pip})
            self._save_lb(txn, resource_group, lb)
            return self._arm(txn, resource_group, LBS, name) or {}

    def put_resource(self, collection: str, resource_group: str, name: str,
                     body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or replace one resource from its ARM body (the endpoint's PUT); returns (resource, created).

        What the emulator keeps for itself survives a replace: subnets' handed-out addresses (a subnet still
        holding some cannot be dropped), a public IP's address and attachment, the backend pools' members
        and NAT-pool rules of a load balancer a scale set uses (dropping a pool it uses is refused).
        """
        validate_network_name(name)
        tags = validate_tags(body.get("tags"))  # a PUT is the whole resource: no tags means none
        with self.ctx.store.transaction() as txn:
            row = groups.require_group_for_change(txn, resource_group, self.ctx.now())
            location = str(body.get("location") or row["location"])
            sub = self._sub(txn)
            before = self._arm(txn, resource_group, collection, name)
            stored_name = before["name"] if before else name
            if collection == VNETS:
                vnet = codec.vnet_from_arm(body, stored_name, location)
                validate_subnet_prefixes(vnet.name, vnet.address_prefixes,
                                         {s.name: s.address_prefix for s in vnet.subnets})
                found = self._vnet(txn, resource_group, stored_name)
                held = found[1] if found else {}
                kept = {s.name.lower() for s in vnet.subnets}
                for old_subnet, holders in held.items():
                    if old_subnet not in kept and holders:
                        lifecycle.check_subnet_deletable(old_subnet, SubnetAddresses(
                            f"{network_id(sub, resource_group, 'virtualNetworks', stored_name)}/subnets/{old_subnet}",
                            "0.0.0.0/0", holders))
                self._save_vnet(txn, resource_group, vnet, {k: v for k, v in held.items() if k in kept})
            elif collection == PIPS:
                pip = codec.public_ip_from_arm(body, stored_name, location)
                old = codec.public_ip_from_arm(before, stored_name, location) if before else None
                address = old.ip_address if old else None
                attached = old.ip_configuration_id if old else None
                if address is None and (pip.allocation_method is IPAllocationMethod.STATIC or attached):
                    address = self._take_public(txn, self._pip_id(txn, resource_group, stored_name))
                pip = replace(pip, ip_address=address, ip_configuration_id=attached)
                self._save_arm(txn, resource_group, PIPS, codec.public_ip_to_arm(pip, sub, resource_group))
            elif collection == NSGS:
                nsg = codec.nsg_from_arm(body, stored_name, location)
                validate_security_rules(nsg.security_rules)
                self._save_arm(txn, resource_group, NSGS, codec.nsg_to_arm(nsg, sub, resource_group))
            elif collection == LBS:
                lb_id = network_id(sub, resource_group, "loadBalancers", stored_name)
                lb = codec.load_balancer_from_arm(body, stored_name, location, lb_id)
                if before is not None:
                    old = codec.load_balancer_from_arm(before, stored_name, location, lb_id)
                    lifecycle.check_load_balancer_update(old, lb, self._lb_users(txn, resource_group, stored_name))
                    pools = tuple(old.pool(p.name) or p for p in lb.backend_address_pools)
                    created = tuple(r for r in old.inbound_nat_rules if r.created_from_pool and
                                    lb.nat_pool(r.created_from_pool) is not None)
                    own = tuple(r for r in lb.inbound_nat_rules if not r.created_from_pool)
                    lb = replace(lb, backend_address_pools=pools, inbound_nat_rules=own + created)
                public_ips = {}
                for frontend in lb.frontend_ip_configurations:
                    if frontend.public_ip_address_id:
                        pip = self._pip_by_id(txn, frontend.public_ip_address_id)
                        public_ips[frontend.public_ip_address_id] = pip
                validate_load_balancer(lb, public_ips)
                for frontend in lb.frontend_ip_configurations:
                    if frontend.public_ip_address_id:
                        group = frontend.public_ip_address_id.split("/resourceGroups/", 1)[1].split("/", 1)[0]
                        self._attach_public_ip(txn, group, public_ips[frontend.public_ip_address_id],
                                               child_id(lb_id, "frontendIPConfigurations", frontend.name))
                self._save_lb(txn, resource_group, lb)
            else:
                raise ValueError(collection)
            tag_table = txn.db(keys.resource_key(resource_group, collection, stored_name)).table(TAGS_TABLE)
            tag_table.truncate()
            if tags:
                tag_table.insert({"tags": tags})
            stored = self._arm(txn, resource_group, collection, stored_name) or {}
            return self._decorate(txn, resource_group, collection, stored), before is None

    def delete_resource(self, collection: str, resource_group: str, name: str) -> None:
        """Delete one resource; one still in use is refused with Azure's error, naming the user."""
        validate_network_name(name)
        with self.ctx.store.transaction() as txn:
            groups.require_group(txn, resource_group, self.ctx.now())
            arm = self._arm(txn, resource_group, collection, name)
            if arm is None:
                return  # ARM answers a delete of nothing with 204
            if collection == VNETS:
                vnet, held = self._vnet(txn, resource_group, name) or (None, {})
                assert vnet is not None
                lifecycle.check_vnet_deletable(vnet, {
                    s.name: SubnetAddresses(child_id(arm["id"], "subnets", s.name), s.address_prefix,
                                            held.get(s.name.lower(), {})) for s in vnet.subnets})
            elif collection == PIPS:
                lifecycle.check_public_ip_deletable(arm["id"], codec.public_ip_from_arm(arm, name, arm["location"]))
                self._release_public(txn, [arm["properties"].get("ipAddress")])
            elif collection == NSGS:
                lifecycle.check_nsg_deletable(arm["id"], self._nsg_users(txn, resource_group, arm["id"]))
            elif collection == LBS:
                lb = codec.load_balancer_from_arm(arm, name, arm["location"], arm["id"])
                lifecycle.check_load_balancer_deletable(lb, self._lb_users(txn, resource_group, lb.name))
                for frontend in lb.frontend_ip_configurations:
                    if frontend.public_ip_address_id:
                        pip = self._pip_by_id(txn, frontend.public_ip_address_id)
                        self._detach_public_ip(txn, frontend.public_ip_address_id.split("/resourceGroups/", 1)[1]
                                               .split("/", 1)[0], pip)
            txn.drop(keys.resource_key(resource_group, collection, name))

    def _nsg_users(self, txn: Transaction, group: str, nsg_id: str) -> list[str]:
        users = []
        for binding in self._bindings(txn, group):
            if binding.get("nsg") and nsg_id.lower().endswith(f"/{binding['nsg'].lower()}"):
                users += [self._nic_id(txn, binding, iid) for iid, nic in binding["nics"].items() if not nic.get("vm")]
            users += [self._nic_id(txn, binding, iid) for iid, nic in binding["nics"].items()
                      if nic.get("vm") and nic.get("nsg") and nsg_id.lower().endswith(f"/{nic['nsg'].lower()}")]
        for vnet_arm in self._names(txn, group, VNETS):
            for subnet in vnet_arm["properties"]["subnets"]:
                ref = subnet["properties"].get("networkSecurityGroup")
                if ref and ref["id"].lower() == nsg_id.lower():
                    users.append(subnet["id"])
        return users

    def _lb_users(self, txn: Transaction, group: str, lb_name: str) -> dict[str, list[str]]:
        users: dict[str, list[str]] = {}
        for binding in self._bindings(txn, group):
            if (binding.get("lb") or "").lower() == lb_name.lower():
                users[self._set_id(txn, binding)] = [n for n in (binding.get("pool"), binding.get("nat_pool")) if n]
        return users

    # --- helpers that build resources --------------------------------------------------------

    def _pip_id(self, txn: Transaction, group: str, name: str) -> str:
        return network_id(self._sub(txn), group, "publicIPAddresses", name)

    def _new_public_ip(self, txn: Transaction, group: str, name: str, location: str, sku: str | None,
                       allocation: str | None, dns_name: str | None) -> PublicIPAddress:
        sku_value = codec._choice(Sku, sku, "sku", Sku.BASIC)
        method = codec._choice(IPAllocationMethod, allocation, "allocationMethod",
                               IPAllocationMethod.STATIC if sku_value is Sku.STANDARD else IPAllocationMethod.DYNAMIC)
        address = self._take_public(txn, self._pip_id(txn, group, name)) if method is IPAllocationMethod.STATIC else None
        pip = PublicIPAddress(validate_network_name(name), location, sku_value, method, address,
                              validate_domain_name_label(dns_name) if dns_name else None)
        self._save_arm(txn, group, PIPS, codec.public_ip_to_arm(pip, self._sub(txn), group))
        return pip

    def _attach_public_ip(self, txn: Transaction, group: str, pip: PublicIPAddress, config_id: str) -> PublicIPAddress:
        """A Dynamic address is handed out when the public IP is attached to something (NET-SDK `ipAddress`)."""
        current = self._pip(txn, group, pip.name) or pip
        if current.ip_configuration_id and current.ip_configuration_id.lower() != config_id.lower():
            raise net_errors.NetworkBadRequest(
                f"Public IP address {self._pip_id(txn, group, pip.name)} is already used by "
                f"{current.ip_configuration_id} and cannot be used by {config_id}.", code="PublicIPAddressInUse",
                target=pip.name)
        address = current.ip_address or self._take_public(txn, self._pip_id(txn, group, pip.name))
        attached = replace(current, ip_address=address, ip_configuration_id=config_id)
        self._save_arm(txn, group, PIPS, codec.public_ip_to_arm(attached, self._sub(txn), group))
        return attached

    def _detach_public_ip(self, txn: Transaction, group: str, pip: PublicIPAddress) -> None:
        current = self._pip(txn, group, pip.name)
        if current is None:
            return
        address = current.ip_address
        if current.allocation_method is IPAllocationMethod.DYNAMIC:
            self._release_public(txn, [address])
            address = None
        detached = replace(current, ip_address=address, ip_configuration_id=None)
        self._save_arm(txn, group, PIPS, codec.public_ip_to_arm(detached, self._sub(txn), group))

    def _save_lb(self, txn: Transaction, group: str, lb: LoadBalancer) -> None:
        self._save_arm(txn, group, LBS, codec.load_balancer_to_arm(lb, self._sub(txn), group))

    def _bindings(self, txn: Transaction, group: str) -> list[dict[str, Any]]:
        found = []
        for key in txn.shard_keys(keys.collection_prefix(group, keys.BINDINGS)):
            doc = _one(txn, key, "binding")
            if doc:
                found.append(doc)
        return found

    def _binding(self, txn: Transaction, group: str, set_name: str) -> dict[str, Any] | None:
        key = keys.binding_key(group, set_name)
        if not txn.exists(key):
            return None
        doc = _one(txn, key, "binding")
        return {**doc, "nics": {k: dict(v) for k, v in doc["nics"].items()}} if doc else None

    def _set_id(self, txn: Transaction, binding: Mapping[str, Any]) -> str:
        return (f"/subscriptions/{self._sub(txn)}/resourceGroups/{binding['rg']}/providers/Microsoft.Compute/"
                f"virtualMachineScaleSets/{binding['set']}")

    def _nic_id(self, txn: Transaction, binding: Mapping[str, Any], instance_id: str) -> str:
        nic = binding["nics"][instance_id]
        if binding["mode"] == "Uniform" and not nic.get("vm"):
            return f"{self._set_id(txn, binding)}/virtualMachines/{instance_id}/networkInterfaces/{nic['nic']}"
        return network_id(self._sub(txn), binding["rg"], "networkInterfaces", nic["nic"])

    def _ip_config_id(self, txn: Transaction, binding: Mapping[str, Any], instance_id: str) -> str:
        nic = binding["nics"][instance_id]
        if binding["mode"] == "Uniform" and not nic.get("vm"):
            return scale_set_nic_ip_configuration_id(self._set_id(txn, binding), instance_id, nic["nic"], nic["ipconfig"])
        return f"{self._nic_id(txn, binding, instance_id)}/ipConfigurations/{nic['ipconfig']}"

    # --- events from compute -----------------------------------------------------------------

    def scale_set_created(self, txn: Transaction, set_doc: dict[str, Any], instances: list[dict[str, Any]],
                          options: ScaleSetNetwork | None) -> None:
        """Build what `az vmss create` builds for this set (`plan_network`), then the first instances' NICs."""
        group, name = set_doc["rg"], set_doc["name"]
        key = keys.binding_key(group, name)
        if txn.exists(key):
            txn.drop(key)  # a set of the same name was deleted before: start afresh
        if options is None:
            return
        mode = set_doc["mode"]
        binding: dict[str, Any] = {"set": name, "rg": group, "mode": mode, "location": set_doc["location"],
                                   "nics": {}, "profile": False}
        if set_doc.get("has_profile"):
            for value in (options.vnet_name, options.subnet, options.backend_pool_name, options.nat_rule_name,
                          options.nat_pool_name):
                if value and not value.startswith("/subscriptions/"):
                    validate_network_name(value)
            if options.load_balancer:
                validate_network_name(options.load_balancer)
            if options.nsg:
                validate_network_name(options.nsg)
            self._build_for_set(txn, set_doc, options, binding, len(instances))
        _write(txn, key, {"binding": binding})
        self.members_changed(txn, set_doc, instances)

    def _build_for_set(self, txn: Transaction, set_doc: dict[str, Any], options: ScaleSetNetwork,
                       binding: dict[str, Any], instance_count: int) -> None:
        group, name, location = set_doc["rg"], set_doc["name"], set_doc["location"]
        sub = self._sub(txn)
        existing_vnets = tuple(codec.vnet_from_arm(a, a["name"], a["location"]) for a in self._names(txn, group, VNETS))
        existing_lbs = {}
        for arm in self._names(txn, group, LBS):
            lb = codec.load_balancer_from_arm(arm, arm["name"], arm["location"], arm["id"])
            existing_lbs[lb.name] = ExistingLoadBalancer(tuple(p.name for p in lb.backend_address_pools),
                                                         tuple(p.name for p in lb.inbound_nat_pools))
        windows = (set_doc.get("image") or "").lower().startswith("win")
        plan = plan_network(CreateNetworkOptions(
            name=name, orchestration_mode=set_doc["mode"], instance_count=instance_count, os_type="windows" if windows else "linux", location=location,
            subscription_id=sub, resource_group=group, vnet_name=options.vnet_name, subnet=options.subnet,
            load_balancer=options.load_balancer, backend_pool_name=options.backend_pool_name, lb_sku=options.lb_sku,
            nat_pool_name=options.nat_pool_name, nat_rule_name=options.nat_rule_name, backend_port=options.backend_port,
            public_ip_per_vm=options.public_ip_per_vm, nsg=options.nsg,
            disable_overprovision=None,  # the emulator does not overprovision; az's range still counts it
            single_placement_group=set_doc.get("spg") if set_doc["mode"] == "Uniform" else None,
            zones=tuple(set_doc.get("zones") or ()), existing_vnets=existing_vnets,
            existing_load_balancers=existing_lbs,
            existing_public_ips=frozenset(a["name"] for a in self._names(txn, group, PIPS)),
            existing_nsgs=frozenset(a["name"] for a in self._names(txn, group, NSGS))))
        # the virtual network and subnet
        found = self._vnet(txn, group, plan.vnet.name)
        if found is None:
            if not plan.vnet.new:
                raise self._not_found(VNETS, group, plan.vnet.name)
            vnet = VirtualNetwork(plan.vnet.name, location, (plan.vnet.address_prefix or "10.0.0.0/16",), ())
            held: dict[str, dict[str, str]] = {}
        else:
            vnet, held = found
        if vnet.subnet(plan.vnet.subnet_name) is None:
            if not plan.vnet.new:
                raise errors.ResourceNotFound(f"Subnet '{errors_shown(plan.vnet.subnet_name)}' was not found in "
                                              f"virtual network '{vnet.name}'.", target=plan.vnet.subnet_name)
            prefix = plan.vnet.subnet_address_prefix or vnet.address_prefixes[0]
            vnet = replace(vnet, subnets=vnet.subnets + (Subnet(plan.vnet.subnet_name, prefix),))
            validate_subnet_prefixes(vnet.name, vnet.address_prefixes, {s.name: s.address_prefix for s in vnet.subnets})
            self._save_vnet(txn, group, vnet, held)
        subnet = vnet.subnet(plan.vnet.subnet_name)
        assert subnet is not None
        binding.update(profile=True, vnet=vnet.name, subnet=subnet.name, nic=plan.nic_name,
                       ipconfig=plan.ip_config_name, port=plan.backend_port, lb=None, pool=None, nat_pool=None,
                       nsg=None, pip_per_vm=None)
        # the network security group
        if plan.nsg is not None:
            if plan.nsg.new:
                rule = az_nsg_rule("NONE" if plan.nsg.rule_name is None else (
                    "RDP" if plan.nsg.rule_name == "rdp" else "SSH"))
                nsg = NetworkSecurityGroup(plan.nsg.name, location, (rule,) if rule else ())
                self._save_arm(txn, group, NSGS, codec.nsg_to_arm(nsg, sub, group))
            elif self._arm(txn, group, NSGS, plan.nsg.name) is None:
                raise self._not_found(NSGS, group, plan.nsg.name)
            binding["nsg"] = plan.nsg.name
        # the load balancer
        lb_plan = plan.load_balancer
        if lb_plan is not None:
            if lb_plan.new:
                lb_id = network_id(sub, group, "loadBalancers", lb_plan.name)
                sku = Sku.STANDARD if lb_plan.effective_sku.lower() == "standard" else Sku.BASIC
                frontend_pip_id = None
                if lb_plan.public_ip is not None:
                    pip = self._pip(txn, group, lb_plan.public_ip.name)
                    if pip is None:
                        pip = self._new_public_ip(txn, group, lb_plan.public_ip.name, location,
                                                  lb_plan.public_ip.sku, lb_plan.public_ip.allocation_method,
                                                  lb_plan.public_ip.domain_name_label)
                    frontend_pip_id = self._pip_id(txn, group, pip.name)
                    self._attach_public_ip(txn, group, pip, child_id(lb_id, "frontendIPConfigurations",
                                                                    lb_plan.frontend_ip_name))
                frontend = FrontendIPConfiguration(lb_plan.frontend_ip_name, frontend_pip_id,
                                                   None if frontend_pip_id else child_id(
                                                       network_id(sub, group, "virtualNetworks", vnet.name),
                                                       "subnets", subnet.name))
                nat_pools = ()
                nat_rules = ()
                if lb_plan.nat_pool is not None:
                    nat_pools = (InboundNatPool(lb_plan.nat_pool.name, frontend.name, TransportProtocol.TCP,
                                                lb_plan.nat_pool.frontend_port_range_start,
                                                lb_plan.nat_pool.frontend_port_range_end, lb_plan.nat_pool.backend_port),)
                if lb_plan.nat_rule is not None:
                    nat_rules = (InboundNatRule(lb_plan.nat_rule.name, frontend.name, TransportProtocol.TCP,
                                                lb_plan.nat_rule.backend_port,
                                                frontend_port_range_start=lb_plan.nat_rule.frontend_port_range_start,
                                                frontend_port_range_end=lb_plan.nat_rule.frontend_port_range_end,
                                                backend_address_pool_name=lb_plan.backend_pool_name),)
                rules = ()
                if lb_plan.load_balancing_rule is not None:
                    r = lb_plan.load_balancing_rule
                    rules = (LoadBalancingRule(r.name, frontend.name, lb_plan.backend_pool_name, TransportProtocol.TCP,
                                               r.frontend_port, r.backend_port,
                                               idle_timeout_in_minutes=r.idle_timeout_in_minutes),)
                lb = LoadBalancer(lb_plan.name, location, lb_id, sku, (frontend,),
                                  (BackendAddressPool(lb_plan.backend_pool_name),), (), rules, nat_pools, nat_rules)
                public_ips = {frontend_pip_id: self._pip_by_id(txn, frontend_pip_id)} if frontend_pip_id else {}
                validate_load_balancer(lb, public_ips)
                self._save_lb(txn, group, lb)
            else:
                lb = self._lb(txn, group, lb_plan.name)
                if lb is None:
                    raise self._not_found(LBS, group, lb_plan.name)
            nat_pool = lb_plan.nat_pool.name if lb_plan.nat_pool is not None else None
            if nat_pool:
                check_nat_pool_allowed(set_doc["mode"], name, [lb.child("inboundNatPools", nat_pool)])
            binding.update(lb=lb.name, pool=lb_plan.backend_pool_name, nat_pool=nat_pool)
        if plan.instance_public_ip is not None:
            binding["pip_per_vm"] = {"name": plan.instance_public_ip.name,
                                     "idle": plan.instance_public_ip.idle_timeout_in_minutes,
                                     "dns": plan.instance_public_ip.domain_name_label}
        binding["warnings"] = list(plan.warnings)

    def members_changed(self, txn: Transaction, set_doc: dict[str, Any], instances: list[dict[str, Any]]) -> None:
        """The set's live instances are `instances` minus those being deleted: NICs, addresses and NAT follow."""
        binding = self._binding(txn, set_doc["rg"], set_doc["name"])
        if binding is None:
            return  # a set made before networking (or without a network): nothing to do
        group = binding["rg"]
        live = {d["instance_id"]: d for d in instances if not is_deleting(d)}
        departed = [iid for iid in binding["nics"] if iid not in live]
        self._release_nics(txn, binding, departed)
        if binding.get("profile"):
            newcomers = [iid for iid, d in live.items() if d.get("by_set", True) and iid not in binding["nics"]]
            self._add_profile_nics(txn, binding, set_doc, newcomers)
            self._sync_load_balancer(txn, binding, [iid for iid, d in live.items() if d.get("by_set", True)])
        _write(txn, keys.binding_key(group, binding["set"]), {"binding": binding})
        self._write_endpoints(txn, binding, live)

    def _release_nics(self, txn: Transaction, binding: dict[str, Any], instance_ids: list[str]) -> None:
        if not instance_ids:
            return
        by_vnet: dict[tuple[str, str], list[str]] = {}
        public: list[str | None] = []
        for iid in instance_ids:
            nic = binding["nics"][iid]
            by_vnet.setdefault((nic["vnet"], nic["subnet"]), []).append(self._ip_config_id(txn, binding, iid))
            if nic.get("pip_name"):  # its own public IP resource: detached, kept (Azure's default delete option)
                pip = self._pip(txn, binding["rg"], nic["pip_name"])
                if pip is not None:
                    self._detach_public_ip(txn, binding["rg"], pip)
            elif nic.get("pip"):
                public.append(nic["pip"])
        self._release_public(txn, public)
        for (vnet_name, subnet_name), holders in by_vnet.items():
            found = self._vnet(txn, binding["rg"], vnet_name)
            if found is None:
                continue
            vnet, held = found
            gone = set(holders)
            held[subnet_name.lower()] = {a: h for a, h in held.get(subnet_name.lower(), {}).items() if h not in gone}
            self._save_vnet(txn, binding["rg"], vnet, held)
        for iid in instance_ids:
            binding["nics"].pop(iid)

    def _add_profile_nics(self, txn: Transaction, binding: dict[str, Any], set_doc: dict[str, Any],
                          instance_ids: list[str]) -> None:
        if not instance_ids:
            return
        found = self._vnet(txn, binding["rg"], binding["vnet"])
        if found is None:
            raise self._not_found(VNETS, binding["rg"], binding["vnet"])
        vnet, held = found
        subnet = vnet.subnet(binding["subnet"])
        assert subnet is not None
        subnet_id = child_id(network_id(self._sub(txn), binding["rg"], "virtualNetworks", vnet.name), "subnets",
                             subnet.name)
        for iid in instance_ids:
            nic_name = binding["nic"] if binding["mode"] == "Uniform" else f"{_vm_name(set_doc, iid)}-{binding['nic']}"
            binding["nics"][iid] = {"nic": nic_name, "ipconfig": binding["ipconfig"], "vnet": vnet.name,
                                    "subnet": subnet.name}
        addresses = SubnetAddresses(subnet_id, subnet.address_prefix, held.get(subnet.name.lower(), {}))
        holders = {self._ip_config_id(txn, binding, iid): iid for iid in instance_ids}
        try:
            addresses, given = allocate_dynamic(addresses, holders)
        except errors.AzureError:
            for iid in instance_ids:
                binding["nics"].pop(iid)
            raise
        for holder, address in given.items():
            binding["nics"][holders[holder]]["ip"] = address
        held[subnet.name.lower()] = dict(addresses.holders)
        self._save_vnet(txn, binding["rg"], vnet, held)
        if binding.get("pip_per_vm"):
            for iid in instance_ids:
                binding["nics"][iid]["pip"] = self._take_public(txn, f"{self._ip_config_id(txn, binding, iid)}"
                                                                     f"/publicIPAddresses/{binding['pip_per_vm']['name']}")

    def _sync_load_balancer(self, txn: Transaction, binding: dict[str, Any], members: list[str]) -> None:
        if not binding.get("lb"):
            return
        lb = self._lb(txn, binding["rg"], binding["lb"])
        if lb is None:
            return
        by_config = {iid: self._ip_config_id(txn, binding, iid) for iid in members}
        if binding.get("nat_pool") and lb.nat_pool(binding["nat_pool"]) is not None:
            lb = sync_nat_pool(lb, binding["nat_pool"], by_config)
        if binding.get("pool") and lb.pool(binding["pool"]) is not None:
            others = self._other_pool_members(txn, binding, lb)
            lb = sync_backend_pool(lb, binding["pool"], {**others, **by_config})
        self._save_lb(txn, binding["rg"], lb)

    def _other_pool_members(self, txn: Transaction, binding: dict[str, Any], lb: LoadBalancer) -> dict[str, str]:
        """Live members of the pool that belong to other sets sharing the load balancer (their ports are kept)."""
        kept: dict[str, str] = {}
        for other in self._bindings(txn, binding["rg"]):
            if other["set"].lower() == binding["set"].lower() or not other.get("profile"):
                continue
            if (other.get("lb") or "").lower() != lb.name.lower() or \
                    (other.get("pool") or "").lower() != (binding.get("pool") or "").lower():
                continue
            for iid, nic in other["nics"].items():
                if not nic.get("vm"):
                    kept[f"{other['set']}_{iid}"] = self._ip_config_id(txn, other, iid)
        return kept

    def _write_endpoints(self, txn: Transaction, binding: dict[str, Any], live: Mapping[str, dict[str, Any]]) -> None:
        """Each live instance's private address and public endpoint, for compute's instance views."""
        endpoints = self._endpoints(txn, binding)
        for iid, doc in live.items():
            nic = binding["nics"].get(iid)
            if nic is None:
                continue
            doc["ip"] = nic.get("ip")
            doc["ep"] = endpoints.get(iid)
            own = self._own_public_address(txn, binding, nic)
            for key, value in (("pub", own), ("nic", self._nic_id(txn, binding, iid))):
                if value:
                    doc[key] = value
                else:
                    doc.pop(key, None)

    def _own_public_address(self, txn: Transaction, binding: Mapping[str, Any], nic: Mapping[str, Any]) -> str | None:
        """The address of the public IP on the instance's own NIC (None: none, or reached through a load balancer)."""
        if nic.get("pip"):
            return str(nic["pip"])
        if nic.get("pip_name"):
            pip = self._pip(txn, binding["rg"], nic["pip_name"])
            return pip.ip_address if pip is not None and pip.ip_address else None
        return None

    def get_network_interface(self, resource_group: str, name: str) -> dict[str, Any]:
        """`GET .../networkInterfaces/{name}`: a VM's own NIC (a Flexible set's VM or one added by hand)."""
        with self.ctx.store.snapshot() as txn:
            sets = [binding["set"] for binding in self._bindings(txn, resource_group)]
        for set_name in sets:
            for nic in self.list_scale_set_nics(resource_group, set_name):
                if nic["name"].lower() == name.lower() and "/virtualMachineScaleSets/" not in nic["id"]:
                    return nic
        raise errors.ResourceNotFound(
            f"The Resource 'Microsoft.Network/networkInterfaces/{errors_shown(name)}' under resource group "
            f"'{errors_shown(resource_group)}' was not found. For more details please go to "
            "https://aka.ms/ARMResourceNotFoundFix", target=name)

    def _endpoints(self, txn: Transaction, binding: Mapping[str, Any]) -> dict[str, str]:
        found: dict[str, str] = {}
        port = binding.get("port") or 22
        config_to_instance = {self._ip_config_id(txn, binding, iid).lower(): iid for iid in binding["nics"]}
        if binding.get("lb"):
            lb = self._lb(txn, binding["rg"], binding["lb"])
            frontend = lb.frontend_ip_configurations[0] if lb and lb.frontend_ip_configurations else None
            if lb is not None and frontend is not None and frontend.public_ip_address_id:
                address = self._pip_by_id(txn, frontend.public_ip_address_id).ip_address
                for rule in lb.inbound_nat_rules:
                    iid = config_to_instance.get((rule.backend_ip_configuration_id or "").lower())
                    if iid is not None and rule.frontend_port is not None:
                        found.setdefault(iid, f"{address}:{rule.frontend_port}")
                for pool in lb.backend_address_pools:
                    for member in pool.load_balancer_backend_addresses:
                        iid = config_to_instance.get(member.network_interface_ip_configuration_id.lower())
                        if iid is not None and member.inbound_nat_rules_port_mapping:
                            found.setdefault(iid, f"{address}:{member.inbound_nat_rules_port_mapping[0].frontend_port}")
        for iid, nic in binding["nics"].items():
            if iid in found:
                continue
            if nic.get("pip"):
                found[iid] = f"{nic['pip']}:{port}"
            elif nic.get("pip_name"):
                pip = self._pip(txn, binding["rg"], nic["pip_name"])
                if pip is not None and pip.ip_address:
                    found[iid] = f"{pip.ip_address}:{nic.get('port', port)}"
        return found

    def vm_added(self, txn: Transaction, set_doc: dict[str, Any], vm_doc: dict[str, Any], spec: VmSpec) -> None:
        """A VM added by hand to a Flexible set: `az vm create`'s NIC, and the lab's public IP and ports."""
        binding = self._binding(txn, set_doc["rg"], set_doc["name"])
        if binding is None:
            return
        group, vm_name, location = set_doc["rg"], vm_doc["name"], set_doc["location"]
        existing_vnets = tuple(codec.vnet_from_arm(a, a["name"], a["location"]) for a in self._names(txn, group, VNETS))
        if binding.get("profile"):  # the set's own network first, as the portal's networking tab proposes
            first = next((v for v in existing_vnets if v.name == binding["vnet"]), None)
            existing_vnets = ((first,) if first else ()) + tuple(v for v in existing_vnets if v is not first)
        windows = (vm_doc.get("image") or "").lower().startswith("win")
        plan = plan_vm_network(VmNetworkOptions(
            name=vm_name, os_type="windows" if windows else "linux", location=location, nsg="",
            public_ip_address=None if spec.public_ip else "", public_ip_sku="Standard",
            existing_vnets=existing_vnets))
        found = self._vnet(txn, group, plan.vnet.name)
        if found is None:
            vnet, held = VirtualNetwork(plan.vnet.name, location, (plan.vnet.address_prefix or "10.0.0.0/16",), ()), {}
        else:
            vnet, held = found
        if vnet.subnet(plan.vnet.subnet_name) is None:
            vnet = replace(vnet, subnets=vnet.subnets + (Subnet(plan.vnet.subnet_name,
                                                                plan.vnet.subnet_address_prefix or "10.0.0.0/24"),))
            validate_subnet_prefixes(vnet.name, vnet.address_prefixes, {s.name: s.address_prefix for s in vnet.subnets})
        subnet = vnet.subnet(plan.vnet.subnet_name)
        assert subnet is not None
        iid = vm_doc["instance_id"]
        nic: dict[str, Any] = {"nic": plan.nic_name, "ipconfig": plan.ip_config_name, "vnet": vnet.name,
                               "subnet": subnet.name, "vm": True, "port": 3389 if windows else 22}
        binding["nics"][iid] = nic
        config_id = self._ip_config_id(txn, binding, iid)
        subnet_id = child_id(network_id(self._sub(txn), group, "virtualNetworks", vnet.name), "subnets", subnet.name)
        addresses, nic["ip"] = SubnetAddresses(subnet_id, subnet.address_prefix,
                                               held.get(subnet.name.lower(), {})).allocate(config_id)
        held[subnet.name.lower()] = dict(addresses.holders)
        self._save_vnet(txn, group, vnet, held)
        if plan.public_ip is not None:
            pip = self._pip(txn, group, plan.public_ip.name)
            pip = pip or self._new_public_ip(txn, group, plan.public_ip.name, location, plan.public_ip.sku,
                                             plan.public_ip.allocation_method, None)
            self._attach_public_ip(txn, group, pip, config_id)
            nic["pip_name"] = pip.name
        if spec.inbound_ports:
            nsg_name = portal_basic_nsg_name(plan.nic_name)
            nsg = NetworkSecurityGroup(nsg_name, location, portal_inbound_rules(spec.inbound_ports))
            self._save_arm(txn, group, NSGS, codec.nsg_to_arm(nsg, self._sub(txn), group))
            nic["nsg"] = nsg_name
        _write(txn, keys.binding_key(group, binding["set"]), {"binding": binding})
        self._write_endpoints(txn, binding, {iid: vm_doc})

    def scale_set_deleted(self, txn: Transaction, set_doc: dict[str, Any]) -> None:
        """Release every NIC, address and NAT mapping of the set; the resources az made for it stay, as in Azure."""
        binding = self._binding(txn, set_doc["rg"], set_doc["name"])
        if binding is None:
            return
        self._release_nics(txn, binding, list(binding["nics"]))
        if binding.get("profile"):
            self._sync_load_balancer(txn, binding, [])
        txn.drop(keys.binding_key(binding["rg"], binding["set"]))

    def group_deleted(self, txn: Transaction, resource_group: str) -> list[str]:
        """Remove every network resource of the group (in the caller's transaction); returns what went."""
        removed: list[str] = []
        public: list[str | None] = []
        for key in txn.shard_keys(keys.group_prefix(resource_group)):
            doc = _one(txn, key, "resource")
            if doc is not None:
                arm = doc["arm"]
                removed.append(f"{arm['type'].split('/', 1)[1]}/{arm['name']}")
                if arm["type"] == codec.PUBLIC_IP_TYPE:
                    public.append(arm["properties"].get("ipAddress"))
            binding = _one(txn, key, "binding")
            if binding is not None:
                public += [nic.get("pip") for nic in binding["nics"].values()]
            txn.drop(key)
        self._release_public(txn, public)
        return removed

    # --- what az reads -----------------------------------------------------------------------

    def connection_info(self, resource_group: str, set_name: str, mode: str) -> dict[str, str]:
        """`az vmss list-instance-connection-info`, read as az reads it (domain/network/connection.py)."""
        with self.ctx.store.snapshot() as txn:
            binding = self._binding(txn, resource_group, set_name)
            configs = self._nic_configuration_refs(txn, binding)

            def lb_by_id(lb_id: str) -> LoadBalancer:
                group = lb_id.split("/resourceGroups/", 1)[1].split("/", 1)[0]
                found = self._lb(txn, group, lb_id.rsplit("/", 1)[-1])
                if found is None:
                    raise self._not_found(LBS, group, lb_id.rsplit("/", 1)[-1])
                return found

            return list_instance_connection_info(mode, configs, lb_by_id, lambda i: self._pip_by_id(txn, i))

    def _nic_configuration_refs(self, txn: Transaction, binding: Mapping[str, Any] | None
                                ) -> tuple[ScaleSetNicConfigurationRefs, ...]:
        if binding is None or not binding.get("profile"):
            # A set stored before networking (or made without one): az 2.91 takes `next(..., {})` for the
            # primary NIC configuration, so a missing one is never its "could not find a primary NIC" but
            # "No load balancer exists ..." (azure-cli vm/custom.py as installed, 2.91).
            return (ScaleSetNicConfigurationRefs("nic", True, (ScaleSetIpConfigurationRefs("ipconfig1"),)),)
        nat_pools: tuple[str, ...] = ()
        pools: tuple[str, ...] = ()
        if binding.get("lb"):
            lb_id = network_id(self._sub(txn), binding["rg"], "loadBalancers", binding["lb"])
            if binding.get("nat_pool"):
                nat_pools = (child_id(lb_id, "inboundNatPools", binding["nat_pool"]),)
            if binding.get("pool"):
                pools = (child_id(lb_id, "backendAddressPools", binding["pool"]),)
        return (ScaleSetNicConfigurationRefs(binding["nic"], True, (
            ScaleSetIpConfigurationRefs(binding["ipconfig"], nat_pools, pools),)),)

    def network_profile(self, resource_group: str, set_name: str) -> dict[str, Any] | None:
        """The scale set's `virtualMachineProfile.networkProfile` as ARM shows it (None: no network)."""
        with self.ctx.store.snapshot() as txn:
            binding = self._binding(txn, resource_group, set_name)
            if binding is None or not binding.get("profile"):
                return None  # the body stays as it was before networking (az then finds no load balancer)
            sub = self._sub(txn)
            refs = self._nic_configuration_refs(txn, binding)[0].ip_configurations[0]
            subnet_id = child_id(network_id(sub, binding["rg"], "virtualNetworks", binding["vnet"]), "subnets",
                                 binding["subnet"])
            ip_props: dict[str, Any] = {"subnet": {"id": subnet_id}, "privateIPAddressVersion": "IPv4"}
            if refs.load_balancer_backend_address_pool_ids:
                ip_props["loadBalancerBackendAddressPools"] = [{"id": i} for i in refs.load_balancer_backend_address_pool_ids]
            if refs.load_balancer_inbound_nat_pool_ids:
                ip_props["loadBalancerInboundNatPools"] = [{"id": i} for i in refs.load_balancer_inbound_nat_pool_ids]
            if binding.get("pip_per_vm"):
                per_vm = binding["pip_per_vm"]
                config: dict[str, Any] = {"idleTimeoutInMinutes": per_vm["idle"]}
                if per_vm.get("dns"):
                    config["dnsSettings"] = {"domainNameLabel": per_vm["dns"]}
                ip_props["publicIPAddressConfiguration"] = {"name": per_vm["name"], "properties": config}
            nic_props: dict[str, Any] = {"primary": True, "enableAcceleratedNetworking": False,
                                         "enableIPForwarding": False,
                                         "ipConfigurations": [{"name": binding["ipconfig"], "properties": ip_props}]}
            if binding.get("nsg"):
                nic_props["networkSecurityGroup"] = {"id": network_id(sub, binding["rg"], "networkSecurityGroups",
                                                                      binding["nsg"])}
            return {"networkInterfaceConfigurations": [{"name": binding["nic"], "properties": nic_props}]}

    def list_scale_set_nics(self, resource_group: str, set_name: str) -> list[dict[str, Any]]:
        """`GET .../virtualMachineScaleSets/{set}/networkInterfaces`: each instance's NIC."""
        with self.ctx.store.snapshot() as txn:
            binding = self._binding(txn, resource_group, set_name)
            if binding is None:
                return []
            sub = self._sub(txn)
            lb = self._lb(txn, resource_group, binding["lb"]) if binding.get("lb") else None
            result = []
            for iid in sorted(binding["nics"], key=lambda i: (0, int(i), "") if i.isdigit() else (1, 0, i)):
                nic = binding["nics"][iid]
                config_id = self._ip_config_id(txn, binding, iid)
                pools, rules = [], []
                if lb is not None and not nic.get("vm"):
                    if binding.get("pool"):
                        pools.append(lb.child("backendAddressPools", binding["pool"]))
                    rules = [lb.child("inboundNatRules", r.name) for r in lb.inbound_nat_rules
                             if (r.backend_ip_configuration_id or "").lower() == config_id.lower()]
                pip_id = None
                if nic.get("pip_name"):
                    pip_id = network_id(sub, resource_group, "publicIPAddresses", nic["pip_name"])
                elif nic.get("pip") and binding.get("pip_per_vm"):
                    pip_id = f"{config_id}/publicIPAddresses/{binding['pip_per_vm']['name']}"
                nsg_name = nic.get("nsg") or (None if nic.get("vm") else binding.get("nsg"))
                subnet_id = child_id(network_id(sub, resource_group, "virtualNetworks", nic["vnet"]), "subnets",
                                     nic["subnet"])
                vm_id = (f"{self._set_id(txn, binding)}/virtualMachines/{iid}" if binding["mode"] == "Uniform"
                         and not nic.get("vm") else
                         f"/subscriptions/{sub}/resourceGroups/{resource_group}/providers/Microsoft.Compute/"
                         f"virtualMachines/{iid}")
                result.append(codec.nic_to_arm(
                    self._nic_id(txn, binding, iid), nic["nic"], binding["location"], nic["ipconfig"], subnet_id,
                    nic.get("ip"), public_ip_id=pip_id, backend_pool_ids=pools, nat_rule_ids=rules,
                    nsg_id=network_id(sub, resource_group, "networkSecurityGroups", nsg_name) if nsg_name else None,
                    virtual_machine_id=vm_id))
            return result


def allocate_dynamic(addresses: SubnetAddresses, holder_ids: Iterable[str]) -> tuple[SubnetAddresses, dict[str, str]]:
    """`SubnetAddresses.allocate_many` in one pass: the same addresses (lowest free first, all or none).

    The domain's version allocates one address at a time (a scan and a copy each), which a 1000-instance
    create makes quadratic (about 2 s); tests/network_provider checks both give the same answer.
    """
    by_holder = {holder: address for address, holder in addresses.holders.items()}
    wanted = [holder for holder in dict.fromkeys(holder_ids) if holder not in by_holder]
    if len(wanted) > addresses.free_count:
        raise net_errors.subnet_is_full(addresses.subnet_id, addresses.address_prefix, len(wanted))
    network = addresses.network
    first = int(network.network_address) + RESERVED_AT_START
    last = int(network.broadcast_address) - RESERVED_AT_END
    held = dict(addresses.holders)
    given: dict[str, str] = {}
    value = first
    for holder in wanted:
        while True:
            candidate = str(ipaddress.IPv4Address(value))
            value += 1
            if candidate not in held:
                break
        assert value - 1 <= last
        held[candidate] = holder
        given[holder] = candidate
    return SubnetAddresses(addresses.subnet_id, addresses.address_prefix, held), given


def _vm_name(set_doc: Mapping[str, Any], instance_id: str) -> str:
    return instance_id if set_doc["mode"] != "Uniform" else f"{set_doc['name']}_{instance_id}"


def errors_shown(value: str) -> str:
    from ....domain.names import shown

    return shown(value)
