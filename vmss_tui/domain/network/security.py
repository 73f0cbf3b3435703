"""Network security group rules: validating them and deciding whether traffic gets in.

Rules are evaluated in priority order (lowest number first) within one direction; the first rule that
matches decides. Azure's six default rules sit at 65000-65500, so inbound traffic from the Internet is
denied unless a rule of the user's allows it. Sources in docs/emulator-fidelity.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from . import errors
from .models import (
    NetworkSecurityGroup,
    SecurityRule,
    SecurityRuleAccess,
    SecurityRuleDirection,
    SecurityRuleProtocol,
)

MIN_PRIORITY = 100
MAX_PRIORITY = 4096

SERVICE_TAGS = frozenset({"*", "Internet", "VirtualNetwork", "AzureLoadBalancer"})


def _port_bounds(value: str) -> tuple[int, int] | None:
    text = value.strip()
    if text == "*":
        return 0, 65535
    low, _, high = text.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return None
    bounds = (int(low), int(high or low))
    if not 0 <= bounds[0] <= bounds[1] <= 65535:
        return None
    return bounds


def validate_security_rules(rules: Sequence[SecurityRule]) -> None:
    """Priorities 100-4096, unique per direction; port ranges `*`, `n` or `n-m` within 0-65535."""
    seen: dict[tuple[SecurityRuleDirection, int], str] = {}
    for rule in rules:
        if not MIN_PRIORITY <= rule.priority <= MAX_PRIORITY:
            raise errors.security_rule_invalid_priority(rule.name, rule.priority)
        for value in (rule.destination_port_range, rule.source_port_range):
            if _port_bounds(value) is None:
                raise errors.security_rule_invalid_port_range(rule.name, value)
        key = (rule.direction, rule.priority)
        if key in seen:
            raise errors.security_rule_conflict(seen[key], rule.name)
        seen[key] = rule.name


def _address_matches(prefix: str, source: str) -> bool:
    if prefix == "*" or prefix == source:
        return True
    if prefix in SERVICE_TAGS or source in SERVICE_TAGS:
        return False
    try:
        return ipaddress.IPv4Address(source) in ipaddress.IPv4Network(prefix, strict=False)
    except ValueError:
        return False


def rule_matches(rule: SecurityRule, port: int, protocol: SecurityRuleProtocol, source: str) -> bool:
    bounds = _port_bounds(rule.destination_port_range)
    if bounds is None or not bounds[0] <= port <= bounds[1]:
        return False
    if rule.protocol is not SecurityRuleProtocol.ANY and rule.protocol is not protocol:
        return False
    return _address_matches(rule.source_address_prefix, source)


def deciding_rule(nsg: NetworkSecurityGroup, port: int, protocol: SecurityRuleProtocol = SecurityRuleProtocol.TCP,
                  source: str = "Internet") -> SecurityRule:
    """The inbound rule that decides traffic from `source` to `port` (the default rules end every list)."""
    rules = sorted((r for r in (*nsg.security_rules, *nsg.default_security_rules)
                    if r.direction is SecurityRuleDirection.INBOUND), key=lambda r: r.priority)
    return next(r for r in rules if rule_matches(r, port, protocol, source))


def inbound_allowed(nsg: NetworkSecurityGroup | None, port: int,
                    protocol: SecurityRuleProtocol = SecurityRuleProtocol.TCP, source: str = "Internet",
                    secure_by_default: bool = False) -> bool:
    """Whether inbound traffic gets through the security group.

    With no security group at all, a Basic public IP or load balancer lets traffic in, while a Standard
    one (`secure_by_default`) is closed to inbound traffic until a security group allows it.
    """
    if nsg is None:
        return not secure_by_default
    return deciding_rule(nsg, port, protocol, source).access is SecurityRuleAccess.ALLOW


# --- The rules az and the portal add ------------------------------------------------------------

def az_nsg_rule(nsg_rule: str) -> SecurityRule | None:
    """The rule az's `build_nsg_resource` puts in an NSG it creates: `RDP` -> `rdp` (3389), `NONE` -> none,
    anything else -> `default-allow-ssh` (22); Tcp, priority 1000, from anywhere.

    The comparison is case-sensitive, as in az: `az vm create` passes `RDP`/`SSH`, but `az vmss create`
    passes `rdp`/`ssh`, so a Windows scale set's NSG gets `default-allow-ssh` on 22, not RDP.
    """
    if nsg_rule == "NONE":
        return None
    rdp = nsg_rule == "RDP"
    return SecurityRule(name="rdp" if rdp else "default-allow-ssh", priority=1000,
                        direction=SecurityRuleDirection.INBOUND, access=SecurityRuleAccess.ALLOW,
                        protocol=SecurityRuleProtocol.TCP, destination_port_range="3389" if rdp else "22")


PORTAL_INBOUND_PORTS: dict[int, str] = {22: "SSH", 80: "HTTP", 443: "HTTPS", 3389: "RDP"}
"""The "Select inbound ports" choices of the portal's networking tab (seed 003)."""


def portal_inbound_rules(ports: Iterable[int]) -> tuple[SecurityRule, ...]:
    """The rules the portal's "Allow selected ports" creates: one per port, priority 300, 320, 340, ..."""
    rules = []
    for index, port in enumerate(dict.fromkeys(ports)):
        if port not in PORTAL_INBOUND_PORTS:
            raise errors.invalid_network_value(
                f"Inbound port {port} is not one of the selectable ports "
                f"{', '.join(f'{name} ({p})' for p, name in PORTAL_INBOUND_PORTS.items())}.", target="inboundPorts")
        rules.append(SecurityRule(name=PORTAL_INBOUND_PORTS[port], priority=300 + 20 * index,
                                  direction=SecurityRuleDirection.INBOUND, access=SecurityRuleAccess.ALLOW,
                                  protocol=SecurityRuleProtocol.TCP, destination_port_range=str(port)))
    return tuple(rules)


def portal_basic_nsg_name(nic_name: str) -> str:
    """The name the portal gives the "Basic" NIC security group: `basicNsg{nicName}` (seed 003)."""
    return f"basicNsg{nic_name}"
