"""Inbound NAT to every instance: which frontend port each instance gets, and the load balancer's rules.

Azure documents no formula for the port an instance gets from an inbound NAT pool (V1) or a NAT rule
V2; az only reads back what the load balancer shows. The emulator's rule (docs/emulator-fidelity.md,
"Networking (issue 14)", "NAT port mapping"), fitted to the three observations there is:

1. An instance that already has a port keeps it for as long as it stays a member (scale-in never
   renumbers, as the NAT rule V2 documentation says of the remaining virtual machines).
2. New members take the lowest free ports of the range, in ascending instance-id order (numbers in
   numeric order, then names). So the seed's vmss_0, vmss_1, vmss_2 get 50000, 50001, 50002; the docs'
   instances 0-3 get 50000-50003 and the survivors 1 and 3 keep 50001 and 50003; and a batch 117, 118,
   ... created after every earlier instance left starts again at 50000, as a listing of a real set shows.
3. If the members outnumber the ports of the range, nothing changes and the request fails as Azure
   fails a scale-out the range cannot hold.

Since every member's port is either kept or chosen among the free ones, no two members ever share a
port and no surviving member's port ever moves; the result does not depend on the caller's order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from ..errors import AzureError
from . import errors
from .models import (
    InboundNatPool,
    InboundNatRule,
    LoadBalancer,
    LoadBalancerBackendAddress,
    NatRulePortMapping,
    PublicIPAddress,
    Sku,
    TransportProtocol,
)

MAX_FRONTEND_PORT = 65534
"""NAT rule frontend ports: 1..65534 (network spec). A NAT pool's range end may be 65535."""
MAX_PORT = 65535

_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/[^/]+/[^/]+/[^/]+/([^/]+)",
                     re.IGNORECASE)


def child_name_1(resource_id: str) -> str | None:
    """The first child name of an ARM id, as az's `parse_resource_id(...)['child_name_1']` reads it.

    For a Uniform instance's NIC IP configuration
    `.../virtualMachineScaleSets/{set}/virtualMachines/{instanceId}/networkInterfaces/...` it is the
    instance id.
    """
    match = _ARM_ID.match(resource_id or "")
    return match.group(1) if match else None


def instance_sort_key(instance_id: str) -> tuple[int, int, str]:
    """Numbers in numeric order first, then names in text order."""
    return (0, int(instance_id), "") if instance_id.isdigit() else (1, 0, instance_id)


def assign_frontend_ports(start: int, end: int, current: Mapping[str, int], members: Iterable[str],
                          too_small: Callable[[int], AzureError]) -> dict[str, int]:
    """Each member's frontend port in `start..end` by the rule in this module's docstring.

    `current` holds the ports members had before (entries of departed members are dropped);
    `too_small(requested)` builds the error raised when the members outnumber the range.
    """
    wanted = sorted(set(members), key=instance_sort_key)
    if len(wanted) > end - start + 1:
        raise too_small(len(wanted))
    ports: dict[str, int] = {}
    taken: set[int] = set()
    for member in wanted:
        port = current.get(member)
        if port is not None and start <= port <= end and port not in taken:
            ports[member] = port
            taken.add(port)
    next_lowest = start
    for member in wanted:
        if member in ports:
            continue
        while next_lowest in taken:
            next_lowest += 1
        ports[member] = next_lowest
        taken.add(next_lowest)
    return {member: ports[member] for member in wanted}


def az_frontend_port_range_end(instance_count: int, disable_overprovision: bool | None) -> int:
    """The end az gives the 50000-based range it creates: room for every VM, twice when overprovisioning.

    `max(50119, 49999 + count * (1 if disable_overprovision else 2))`; a Flexible set passes None,
    which az counts as overprovisioning.
    """
    return max(50119, 49999 + instance_count * (1 if disable_overprovision else 2))


AZ_FRONTEND_PORT_RANGE_START = 50000


# --- NAT pool (V1) -----------------------------------------------------------------------------

def nat_pool_rule_name(pool_name: str, instance_id: str) -> str:
    """The name of the NAT rule Azure creates for one instance from a NAT pool (`{pool}.{instanceId}`)."""
    return f"{pool_name}.{instance_id}"


def sync_nat_pool(lb: LoadBalancer, pool_name: str, members: Mapping[str, str]) -> LoadBalancer:
    """The load balancer with one NAT rule per member of an inbound NAT pool, ports kept stable.

    `members` maps each instance id to the id of the NIC IP configuration that references the pool.
    Rules of departed instances disappear; other rules are untouched.
    """
    pool = lb.nat_pool(pool_name)
    if pool is None:
        raise errors.invalid_network_value(f"Inbound NAT pool '{pool_name}' does not exist in load balancer "
                                           f"'{lb.name}'.", target=pool_name)
    def from_this_pool(rule: InboundNatRule) -> bool:
        return (rule.created_from_pool or "").lower() == pool.name.lower()

    own = [r for r in lb.inbound_nat_rules if from_this_pool(r)]
    current = {child_name_1(r.backend_ip_configuration_id or "") or r.name.rsplit(".", 1)[-1]: r.frontend_port
               for r in own if r.frontend_port is not None}
    ports = assign_frontend_ports(
        pool.frontend_port_range_start, pool.frontend_port_range_end, current, members,
        lambda requested: errors.nat_pool_range_too_small(lb.child("inboundNatPools", pool.name),
                                                          pool.frontend_port_range_start,
                                                          pool.frontend_port_range_end, requested))
    created = tuple(
        InboundNatRule(name=nat_pool_rule_name(pool.name, instance), frontend_ip_configuration_name=
                       pool.frontend_ip_configuration_name, protocol=pool.protocol, backend_port=pool.backend_port,
                       frontend_port=port, backend_ip_configuration_id=members[instance], created_from_pool=pool.name,
                       idle_timeout_in_minutes=pool.idle_timeout_in_minutes,
                       enable_floating_ip=pool.enable_floating_ip)
        for instance, port in ports.items())
    others = tuple(r for r in lb.inbound_nat_rules if not from_this_pool(r))
    return replace(lb, inbound_nat_rules=others + created)


def check_nat_pool_allowed(orchestration_mode: str, scale_set_name: str, nat_pool_ids: Iterable[str]) -> None:
    """A Flexible set cannot reference an inbound NAT pool; only Uniform sets use NAT pools."""
    if orchestration_mode.lower() == "flexible" and any(True for _ in nat_pool_ids):
        raise errors.nat_pool_on_flexible_set(scale_set_name)


# --- NAT rule V2 (backend-pool based) ----------------------------------------------------------

def sync_backend_pool(lb: LoadBalancer, pool_name: str, members: Mapping[str, str]) -> LoadBalancer:
    """The load balancer with `members` as the backend pool, and every NAT rule V2 on it mapped.

    `members` maps each member's instance id (a Uniform instance id or a Flexible VM name) to its NIC IP
    configuration id. On a Standard load balancer the pool lists each member with its port on every
    NAT rule V2 that targets the pool; a Basic load balancer does not support NAT rule V2 and lists
    none (az then finds no connection information).
    """
    pool = lb.pool(pool_name)
    if pool is None:
        raise errors.invalid_network_value(f"Backend address pool '{pool_name}' does not exist in load balancer "
                                           f"'{lb.name}'.", target=pool_name)
    ordered = sorted(members, key=instance_sort_key)
    config_ids = tuple(members[m] for m in ordered)
    v2_rules = [r for r in lb.inbound_nat_rules
                if r.is_v2 and (r.backend_address_pool_name or "").lower() == pool.name.lower()]
    if lb.sku != Sku.STANDARD:
        return lb.with_pool(replace(pool, backend_ip_configuration_ids=config_ids,
                                    load_balancer_backend_addresses=()))
    previous = {a.network_interface_ip_configuration_id: a for a in pool.load_balancer_backend_addresses}
    rule_ports: dict[str, dict[str, int]] = {}
    for rule in v2_rules:
        current = {}
        for member in ordered:
            old = previous.get(members[member])
            mapping = next((m for m in old.inbound_nat_rules_port_mapping
                            if m.inbound_nat_rule_name.lower() == rule.name.lower()), None) if old else None
            if mapping is not None:
                current[member] = mapping.frontend_port
        start, end = rule.frontend_port_range_start or 0, rule.frontend_port_range_end or -1
        rule_ports[rule.name] = assign_frontend_ports(
            start, end, current, ordered,
            lambda requested, rule=rule, start=start, end=end: errors.nat_rule_range_too_small(
                lb.child("inboundNatRules", rule.name), start, end, requested))
    addresses = tuple(
        LoadBalancerBackendAddress(
            name=previous[members[m]].name if members[m] in previous else f"{pool.name}_{m}",
            network_interface_ip_configuration_id=members[m],
            inbound_nat_rules_port_mapping=tuple(
                NatRulePortMapping(rule.name, rule_ports[rule.name][m], rule.backend_port) for rule in v2_rules))
        for m in ordered)
    return lb.with_pool(replace(pool, backend_ip_configuration_ids=config_ids,
                                load_balancer_backend_addresses=addresses))


# --- Rules a load balancer must satisfy ---------------------------------------------------------

def _check_port(value: int | None, low: int, high: int, what: str, target: str) -> None:
    if value is None or not low <= value <= high:
        raise errors.invalid_network_value(f"{what} must be between {low} and {high}, got {value}.", target=target)


def _range_of(rule: InboundNatRule | InboundNatPool) -> tuple[int, int]:
    if isinstance(rule, InboundNatPool):
        return rule.frontend_port_range_start, rule.frontend_port_range_end
    if rule.frontend_port is not None:
        return rule.frontend_port, rule.frontend_port
    return rule.frontend_port_range_start or 0, rule.frontend_port_range_end or 0


def _protocols_meet(first: TransportProtocol, second: TransportProtocol) -> bool:
    return first == second or TransportProtocol.ALL in (first, second)


def validate_load_balancer(lb: LoadBalancer, public_ips: Mapping[str, PublicIPAddress] | None = None) -> None:
    """Refuse a load balancer Azure would refuse: port values, NAT rule V1/V2 shapes, overlapping
    frontend ranges, rules sharing a backend port on one pool, SKUs that differ from their public IPs."""
    frontends = {f.name.lower() for f in lb.frontend_ip_configurations}
    for pool in lb.inbound_nat_pools:
        target = lb.child("inboundNatPools", pool.name)
        _check_port(pool.frontend_port_range_start, 1, MAX_FRONTEND_PORT, "frontendPortRangeStart", target)
        _check_port(pool.frontend_port_range_end, 1, MAX_PORT, "frontendPortRangeEnd", target)
        _check_port(pool.backend_port, 1, MAX_PORT, "backendPort", target)
        if pool.frontend_port_range_end < pool.frontend_port_range_start:
            raise errors.invalid_network_value("frontendPortRangeEnd must not be smaller than frontendPortRangeStart.",
                                               target=target)
        _check_frontend(frontends, pool.frontend_ip_configuration_name, target)
    for rule in lb.inbound_nat_rules:
        target = lb.child("inboundNatRules", rule.name)
        has_range = rule.frontend_port_range_start is not None or rule.frontend_port_range_end is not None
        if rule.frontend_port is not None and has_range:
            raise errors.nat_rule_port_and_range(target, rule.frontend_port)
        if rule.is_v2 and (rule.frontend_port_range_start is None or rule.frontend_port_range_end is None):
            raise errors.nat_rule_v2_missing_range(target)
        if rule.frontend_port is not None:
            _check_port(rule.frontend_port, 1, MAX_FRONTEND_PORT, "frontendPort", target)
        if has_range:
            _check_port(rule.frontend_port_range_start, 1, MAX_FRONTEND_PORT, "frontendPortRangeStart", target)
            _check_port(rule.frontend_port_range_end, 1, MAX_PORT, "frontendPortRangeEnd", target)
            if (rule.frontend_port_range_end or 0) < (rule.frontend_port_range_start or 0):
                raise errors.invalid_network_value(
                    "frontendPortRangeEnd must not be smaller than frontendPortRangeStart.", target=target)
        _check_port(rule.backend_port, 1, MAX_PORT, "backendPort", target)
        _check_frontend(frontends, rule.frontend_ip_configuration_name, target)
        if rule.is_v2 and lb.pool(rule.backend_address_pool_name or "") is None:
            raise errors.invalid_network_value(
                f"Backend address pool '{rule.backend_address_pool_name}' does not exist in load balancer "
                f"'{lb.name}'.", target=target)
    _check_overlapping_ranges(lb)
    _check_shared_backend_ports(lb)
    for rule in lb.load_balancing_rules:
        target = lb.child("loadBalancingRules", rule.name)
        _check_port(rule.frontend_port, 0, MAX_FRONTEND_PORT, "frontendPort", target)
        _check_port(rule.backend_port, 0, MAX_PORT, "backendPort", target)
        _check_frontend(frontends, rule.frontend_ip_configuration_name, target)
        if rule.probe_name and not any(p.name.lower() == rule.probe_name.lower() for p in lb.probes):
            raise errors.invalid_network_value(f"Probe '{rule.probe_name}' does not exist in load balancer "
                                               f"'{lb.name}'.", target=target)
    for probe in lb.probes:
        _check_port(probe.port, 1, MAX_PORT, "port", lb.child("probes", probe.name))
        if probe.interval_in_seconds < 5:
            raise errors.invalid_network_value("intervalInSeconds must be at least 5.", target=probe.name)
    if public_ips:
        for frontend in lb.frontend_ip_configurations:
            address = public_ips.get(frontend.public_ip_address_id or "")
            if address is not None and address.sku != lb.sku:
                raise errors.different_sku_load_balancer_and_public_ip(
                    lb.id or lb.name, lb.sku.value, frontend.public_ip_address_id or "", address.sku.value)


def _check_frontend(frontends: set[str], name: str, target: str) -> None:
    if name.lower() not in frontends:
        raise errors.invalid_network_value(f"Frontend IP configuration '{name}' does not exist.", target=target)


def _check_overlapping_ranges(lb: LoadBalancer) -> None:
    """No two NAT rules or pools may claim one frontend port on one frontend and protocol.

    Rules created from a NAT pool sit inside the pool's own range and are not compared with it.
    """
    claims: list[tuple[str, str, TransportProtocol, int, int]] = []
    for pool in lb.inbound_nat_pools:
        start, end = _range_of(pool)
        claims.append((lb.child("inboundNatPools", pool.name), pool.frontend_ip_configuration_name.lower(),
                       pool.protocol, start, end))
    for rule in lb.inbound_nat_rules:
        if rule.created_from_pool:
            continue
        start, end = _range_of(rule)
        claims.append((lb.child("inboundNatRules", rule.name), rule.frontend_ip_configuration_name.lower(),
                       rule.protocol, start, end))
    for index, (first_id, frontend, protocol, start, end) in enumerate(claims):
        for second_id, other_frontend, other_protocol, other_start, other_end in claims[index + 1:]:
            if frontend == other_frontend and _protocols_meet(protocol, other_protocol) \
                    and start <= other_end and other_start <= end:
                raise errors.nat_rule_ranges_overlap(first_id, second_id)


def _check_shared_backend_ports(lb: LoadBalancer) -> None:
    """Load-balancing rules and NAT rules V2 that target one pool must not share protocol and backend port
    (unless floating IP is on)."""
    users: list[tuple[str, str, TransportProtocol, int, bool]] = []
    for rule in lb.load_balancing_rules:
        users.append((lb.child("loadBalancingRules", rule.name), rule.backend_address_pool_name,
                      rule.protocol, rule.backend_port, rule.enable_floating_ip))
    for nat in lb.inbound_nat_rules:
        if nat.is_v2:
            users.append((lb.child("inboundNatRules", nat.name), nat.backend_address_pool_name or "",
                          nat.protocol, nat.backend_port, nat.enable_floating_ip))
    for index, (first_id, pool, protocol, port, floating) in enumerate(users):
        for second_id, other_pool, other_protocol, other_port, other_floating in users[index + 1:]:
            if pool.lower() == other_pool.lower() and port == other_port \
                    and _protocols_meet(protocol, other_protocol) and not (floating or other_floating):
                raise errors.rules_use_same_backend_port(first_id, second_id, protocol.value, port,
                                                         lb.child("backendAddressPools", pool))
